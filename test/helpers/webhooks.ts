import type { EntityManager } from '@mikro-orm/postgresql';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { WebhookEventType } from '../../src/webhooks/webhook-event-types';
import { WebhookEvents } from '../../src/webhooks/webhook-events.service';
import { WebhooksRepository } from '../../src/webhooks/webhooks.repository';

export interface ReceivedWebhook {
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** what the receiver answered */
  status: number;
}

/**
 * A webhook receiver on 127.0.0.1. `respond` picks the status of each request (by its 0-based
 * index); returning 'hang' never answers (a receiver that stalls).
 */
export interface Receiver {
  port: number;
  url: (path?: string) => string;
  received: ReceivedWebhook[];
  respond: (index: number, request: { headers: IncomingHttpHeaders; body: string }) => number | 'hang';
  /** resolves when `count` requests arrived */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const waiters: { count: number; resolve: () => void }[] = [];
  const receiver: Receiver = {
    port: 0,
    url: (path = '/hook') => `http://127.0.0.1:${receiver.port}${path}`,
    received: [],
    respond: () => 200,
    waitFor: async (count, timeoutMs = 10_000) => {
      if (receiver.received.length < count) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`receiver got ${receiver.received.length} of ${count} requests in ${timeoutMs} ms`)),
            timeoutMs,
          );
          waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
        });
      }
      return receiver.received;
    },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const status = receiver.respond(receiver.received.length, { headers: req.headers, body });
      receiver.received.push({ at: Date.now(), path: req.url ?? '', headers: req.headers, body, status: status === 'hang' ? 0 : status });
      for (const waiter of [...waiters]) {
        if (receiver.received.length >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
      if (status === 'hang') return;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : `no thanks (${status})`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.port = (server.address() as { port: number }).port;
  return receiver;
}

/**
 * The test-only trigger: records an event exactly as an emitter does, inside a transaction on
 * the given EntityManager (`fail` rolls the transaction back after recording).
 */
export async function recordEvent(
  em: EntityManager,
  type: WebhookEventType,
  data: object,
  options: { fail?: boolean } = {},
): Promise<string> {
  const events = new WebhookEvents(new WebhooksRepository(em));
  return em.fork().transactional(async (tx) => {
    await tx.getConnection().execute('SELECT 1', [], 'all', tx.getTransactionContext()); // some "change"
    const id = await events.record(tx, type, data);
    if (options.fail) throw new Error('rolled back on purpose');
    return id;
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
