/**
 * Webhooks benchmark (issue 13): 1,000 events recorded as emitters record them (each in its own
 * transaction, through WebhookEvents.record), delivered by a compiled worker process
 * (`node dist/main.js`, APP_ROLE=worker, default WEBHOOK_CONCURRENCY) to a receiver on 127.0.0.1
 * that verifies every signature. Two runs: a paced one (100 events/s) for the delay from commit
 * to arrival, and a backlog (1,000 events recorded while the worker is stopped, then a worker
 * started) for the events/s one worker delivers. Baseline: the same 1,000 signed POSTs sent
 * straight from this process at the same concurrency, the ceiling of the HTTP path without the outbox.
 * Needs `npm run build` first (npm run bench does it).
 */
import { MikroORM } from '@mikro-orm/postgresql';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { parseEnv } from '../src/config/app-config';
import { createOrmConfig } from '../src/config/mikro-orm.config';
import { TokenCipher } from '../src/crypto/token-cipher.service';
import { WebhookEvents } from '../src/webhooks/webhook-events.service';
import { webhookSecretBinding, WebhooksRepository } from '../src/webhooks/webhooks.repository';
import { createTestDatabase } from '../test/helpers/database';
import { ms, printTable, summarise } from './support';

const EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 1_000);
const PACED_PER_SECOND = Number(process.env.BENCH_WEBHOOK_RATE ?? 100);
const RECORDERS = 8;
const CONCURRENCY = 10; // WEBHOOK_CONCURRENCY's default

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
const sleep = (n: number) => new Promise((r) => setTimeout(r, n));

interface Receiver {
  port: number;
  arrivals: Map<string, number>;
  ids: Set<string>;
  bad: number;
  waitFor(count: number): Promise<void>;
  close(): void;
}

async function startReceiver(secret: string): Promise<Receiver> {
  const wh = new Webhook(secret);
  let notify: (() => void) | undefined;
  const receiver: Receiver = {
    port: 0,
    arrivals: new Map(),
    ids: new Set(),
    bad: 0,
    waitFor: async (count) => {
      while (receiver.arrivals.size < count) await new Promise<void>((r) => (notify = r));
    },
    close: () => server.close(),
  };
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.timeOrigin + performance.now();
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        const payload = wh.verify(body, req.headers as Record<string, string>) as { data: { key: string } };
        receiver.ids.add(String(req.headers['webhook-id']));
        if (!receiver.arrivals.has(payload.data.key)) receiver.arrivals.set(payload.data.key, at);
      } catch {
        receiver.bad++;
      }
      res.writeHead(204).end();
      notify?.();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.port = (server.address() as { port: number }).port;
  return receiver;
}

async function main(): Promise<void> {
  const db = await createTestDatabase('bench_webhooks');
  const keys = `bench:${randomBytes(32).toString('base64')}`;
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const receiver = await startReceiver(secret);
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: `bench-webhooks-${randomBytes(3).toString('hex')}`,
    API_KEYS: 'bench-api-key-0123456789',
    TOKEN_ENCRYPTION_KEYS: keys,
    SPOTIFY_CLIENT_ID: 'bench',
    SPOTIFY_CLIENT_SECRET: 'bench',
    SPOTIFY_REDIRECT_URI: 'http://127.0.0.1:3000/auth/spotify/callback',
    SYNC_TRACK_CRON: 'off',
    SYNC_POPULARITY_CRON: 'off',
    WEBHOOK_ALLOWED_HOSTS: `http://127.0.0.1:${receiver.port}`,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
  };
  const orm = await MikroORM.init(createOrmConfig(db.url, { pool: { min: 0, max: RECORDERS + 2 } }));
  await orm.getMigrator().up();
  const repository = new WebhooksRepository(orm.em.fork());
  const events = new WebhookEvents(repository);
  const url = `http://127.0.0.1:${receiver.port}/hook`;
  const subscriptionId = randomUUID();
  await repository.insertSubscription({
    id: subscriptionId,
    url,
    events: ['sync_job.completed'],
    description: 'bench',
    secretEncrypted: new TokenCipher(parseEnv(env)).encrypt(secret, webhookSecretBinding(subscriptionId)),
  });

  const startWorker = async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [join(__dirname, '..', 'dist', 'main.js')], {
      env: { PATH: process.env.PATH, ...env, APP_ROLE: 'worker', PORT: String(port) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    for (let i = 0; i < 150; i++) {
      if ((await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => null))?.ok) break;
      await sleep(200);
    }
    return child;
  };
  const stopWorker = async (child: ReturnType<typeof spawn>) => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  let worker = await startWorker();
  try {
    const committedAt = new Map<string, number>();
    const record = async (key: string) => {
      await orm.em.fork().transactional((tx) => events.record(tx, 'sync_job.completed', { key, id: key, status: 'completed' }));
      committedAt.set(key, performance.timeOrigin + performance.now());
    };
    const delays = (keys: string[]) => keys.map((k) => receiver.arrivals.get(k)! - committedAt.get(k)!);

    // warm-up: the worker's first requests open its connections
    const warmKeys = Array.from({ length: 50 }, (_, i) => `warm-${i}`);
    for (const key of warmKeys) await record(key);
    await receiver.waitFor(warmKeys.length);
    receiver.arrivals.clear();
    receiver.ids.clear();

    // paced: one event every 1000/PACED_PER_SECOND ms, each committed on its own
    const pacedKeys = Array.from({ length: EVENTS }, (_, i) => `paced-${i}`);
    const pacedStart = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < pacedKeys.length; i++) {
      const due = pacedStart + (i * 1000) / PACED_PER_SECOND;
      if (due > performance.now()) await sleep(due - performance.now());
      pending.push(record(pacedKeys[i]));
    }
    await Promise.all(pending);
    const offered = EVENTS / ((performance.now() - pacedStart) / 1000);
    await receiver.waitFor(EVENTS);
    const paced = summarise(delays(pacedKeys));

    // backlog: recorded while no worker runs, then drained by one
    await stopWorker(worker);
    const backlogKeys = Array.from({ length: EVENTS }, (_, i) => `backlog-${i}`);
    let next = 0;
    await Promise.all(
      Array.from({ length: RECORDERS }, async () => {
        while (next < backlogKeys.length) await record(backlogKeys[next++]);
      }),
    );
    worker = await startWorker();
    await receiver.waitFor(EVENTS * 2);
    const backlogArrivals = backlogKeys.map((k) => receiver.arrivals.get(k)!).sort((a, b) => a - b);
    const drainSeconds = (backlogArrivals[backlogArrivals.length - 1] - backlogArrivals[0]) / 1000;
    await sleep(500);
    const duplicates = receiver.ids.size - EVENTS * 2;

    // baseline: the same signed POSTs straight from here, CONCURRENCY at a time
    const wh = new Webhook(secret);
    const baseStart = performance.now();
    let sent = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (sent < EVENTS) {
          const i = sent++;
          const body = JSON.stringify({ type: 'sync_job.completed', timestamp: new Date().toISOString(), data: { key: `base-${i}` } });
          const id = `base-${i}`;
          const now = new Date();
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': wh.sign(id, now, body) },
            body,
          });
          await res.arrayBuffer();
        }
      }),
    );
    const baseSeconds = (performance.now() - baseStart) / 1000;

    printTable(`webhooks: ${EVENTS.toLocaleString('en')} events to a local receiver, one worker process (WEBHOOK_CONCURRENCY ${CONCURRENCY})`, [
      ['run', 'events/s', 'commit → arrival p50 / p95 / p99', 'notes'],
      [
        `paced (${PACED_PER_SECOND}/s asked)`,
        `${offered.toFixed(0)} offered`,
        `${ms(paced.p50)} / ${ms(paced.p95)} / ${ms(paced.p99)}`,
        'each event committed in its own transaction, worker woken by NOTIFY',
      ],
      [
        'backlog drained by one worker',
        `${Math.round(EVENTS / drainSeconds)}`,
        '-',
        `${EVENTS} recorded while stopped, first to last arrival ${drainSeconds.toFixed(2)} s`,
      ],
      ['baseline: direct signed POSTs', `${Math.round(EVENTS / baseSeconds)}`, '-', `${CONCURRENCY} at a time from the bench process, no database`],
    ]);
    console.log(`  bad signatures ${receiver.bad}, duplicate deliveries ${duplicates}`);
  } finally {
    await stopWorker(worker);
    receiver.close();
    await orm.close(true);
    await db.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
