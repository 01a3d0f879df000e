import { EntityManager } from '@mikro-orm/postgresql';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { ChildApp, startChildApp } from './helpers/child-app';
import { freePort } from './helpers/free-port';
import { createMigratedDatabase, TestDatabase } from './helpers/database';
import { createTestApp, TestApp, testEnv } from './helpers/test-app';
import { Receiver, recordEvent, sleep, startReceiver } from './helpers/webhooks';

const KEYS = `k1:${randomBytes(32).toString('base64')}`;

async function kill(worker: ChildApp, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (worker.child.exitCode === null && !worker.child.signalCode) worker.child.kill(signal);
  return worker.exited;
}

/** Worker processes (role worker) that die or stop with deliveries outstanding. */
describe('webhook delivery across worker restarts', () => {
  let db: TestDatabase;
  let api: TestApp;
  let receiver: Receiver;
  let em: EntityManager;
  const workers: ChildApp[] = [];

  const startWorker = async () => {
    const env = testEnv({
      DATABASE_URL: db.url,
      APP_ROLE: 'worker',
      TOKEN_ENCRYPTION_KEYS: KEYS,
      WEBHOOK_ALLOWED_HOSTS: `http://127.0.0.1:${receiver.port}`,
      WEBHOOK_REQUEST_TIMEOUT_MS: '1000',
      WEBHOOK_SHUTDOWN_GRACE_MS: '500',
      LOG_LEVEL: 'warn',
    });
    const worker = await startChildApp(['node', '-r', 'ts-node/register/transpile-only', 'src/main.ts'], env, {
      port: await freePort(),
      timeoutMs: 90_000,
    });
    workers.push(worker);
    return worker;
  };
  const delivery = async (subscriptionId: string) => (await api.api().get(`/v1/webhooks/${subscriptionId}/deliveries`).expect(200)).body.items[0];

  beforeAll(async () => {
    receiver = await startReceiver();
    db = await createMigratedDatabase('webhooks_restart');
    api = await createTestApp(
      'webhooks_restart_api',
      { APP_ROLE: 'api', TOKEN_ENCRYPTION_KEYS: KEYS, WEBHOOK_ALLOWED_HOSTS: `http://127.0.0.1:${receiver.port}` },
      db,
    );
    em = api.app.get(EntityManager);
  }, 60_000);
  afterAll(async () => {
    for (const worker of workers) await kill(worker, 'SIGKILL');
    await api?.close();
    await db?.drop();
    await receiver?.close();
  });

  it('delivers, after a restart, an event committed while the only worker was dead', async () => {
    const sub = (await api.api().post('/v1/webhooks').send({ url: receiver.url('/dead'), events: ['sync_job.failed'] }).expect(201)).body;
    const first = await startWorker();
    await kill(first, 'SIGKILL');
    await recordEvent(em, 'sync_job.failed', { id: 'job-1', status: 'failed' });
    await sleep(1_000);
    expect(receiver.received).toHaveLength(0);

    await startWorker();
    const [got] = await receiver.waitFor(1, 15_000);
    expect(new Webhook(sub.secret).verify(got.body, got.headers as Record<string, string>)).toMatchObject({
      type: 'sync_job.failed',
      data: { id: 'job-1', status: 'failed' },
    });
    await sleep(1_000);
    expect(receiver.received).toHaveLength(1);
    expect(await delivery(sub.id)).toMatchObject({ status: 'delivered', attempts: 1 });
  }, 120_000);

  it('sends again, once, an attempt whose worker was killed mid-request (after its claim expires)', async () => {
    receiver.received.length = 0;
    const sub = (await api.api().post('/v1/webhooks').send({ url: receiver.url('/crash'), events: ['song.spotify_gone'] }).expect(201)).body;
    receiver.respond = (index) => (index === 0 ? 'hang' : 200);
    const running = workers[workers.length - 1];
    await recordEvent(em, 'song.spotify_gone', { id: 'song-1' });
    const [stalled] = await receiver.waitFor(1, 5_000);
    await kill(running, 'SIGKILL');

    await startWorker();
    const [, again] = await receiver.waitFor(2, 30_000);
    expect(again.headers['webhook-id']).toBe(stalled.headers['webhook-id']);
    // the claim lasted the request timeout plus a margin: no second sender meanwhile
    expect(again.at - stalled.at).toBeGreaterThanOrEqual(10_000);
    await sleep(1_000);
    expect(receiver.received).toHaveLength(2);
    expect(await delivery(sub.id)).toMatchObject({ status: 'delivered', attempts: 2, log: [expect.objectContaining({ attempt: 2, statusCode: 200 })] });
  }, 120_000);

  it('on SIGTERM a worker hands back an unfinished attempt, exits 0, and the next worker sends it at once', async () => {
    receiver.received.length = 0;
    const sub = (await api.api().post('/v1/webhooks').send({ url: receiver.url('/term'), events: ['sync_job.completed'] }).expect(201)).body;
    receiver.respond = (index) => (index === 0 ? 'hang' : 200);
    const running = workers[workers.length - 1];
    await recordEvent(em, 'sync_job.completed', { id: 'job-2' });
    await receiver.waitFor(1, 5_000);
    const stopping = Date.now();
    expect(await kill(running, 'SIGTERM')).toEqual({ code: 0, signal: null });
    expect(Date.now() - stopping).toBeLessThan(10_000);
    expect(await delivery(sub.id)).toMatchObject({ status: 'pending', attempts: 0, log: [] });

    const restarted = Date.now();
    await startWorker();
    await receiver.waitFor(2, 15_000);
    expect(receiver.received[1].at - restarted).toBeLessThan(10_000);
    expect(await delivery(sub.id)).toMatchObject({ status: 'delivered', attempts: 1 });
  }, 120_000);
});
