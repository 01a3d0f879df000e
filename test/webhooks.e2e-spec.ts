import { EntityManager } from '@mikro-orm/postgresql';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { WebhookDeliveryWorker } from '../src/webhooks/delivery/webhook-delivery.worker';
import { createMigratedDatabase, TestDatabase } from './helpers/database';
import { createTestApp, TestApp } from './helpers/test-app';
import { Receiver, recordEvent, sleep, startReceiver } from './helpers/webhooks';

// every process of one deployment shares the keys (the secret is encrypted by the api, read by workers)
const KEYS = `k1:${randomBytes(32).toString('base64')}`;
const JOB = { id: '8b1c2d3e-4f50-4a61-9b72-c83d94e5f601', type: 'track_sync', status: 'completed', progress: { total: 3, done: 3, failed: 0 } };

describe('webhooks', () => {
  let db: TestDatabase;
  let api: TestApp;
  let worker: TestApp;
  let main: Receiver;
  let flaky: Receiver;
  let dropped: Receiver;
  let em: EntityManager;
  const created: string[] = [];

  const subscribe = async (url: string, events: string[]) => {
    const res = await api.api().post('/v1/webhooks').send({ url, events }).expect(201);
    created.push(res.body.id);
    return res.body as { id: string; secret: string; url: string; events: string[] };
  };
  const deliveries = async (id: string) => (await api.api().get(`/v1/webhooks/${id}/deliveries`).expect(200)).body.items;
  const waitForDelivery = async (id: string, until: (d: { status: string; attempts: number }) => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const [d] = await deliveries(id);
      if (d && until(d)) return d;
      await sleep(100);
    }
    throw new Error(`delivery of ${id} not as expected: ${JSON.stringify(await deliveries(id))}`);
  };

  beforeAll(async () => {
    [main, flaky, dropped] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
    db = await createMigratedDatabase('webhooks');
    const hosts = [main, flaky, dropped].map((r) => `http://127.0.0.1:${r.port}`);
    // the api role takes subscriptions only; the worker (which delivers) no longer allows `dropped`
    api = await createTestApp('webhooks_api', { APP_ROLE: 'api', TOKEN_ENCRYPTION_KEYS: KEYS, WEBHOOK_ALLOWED_HOSTS: hosts.join(',') }, db);
    worker = await createTestApp(
      'webhooks_worker',
      {
        APP_ROLE: 'worker',
        TOKEN_ENCRYPTION_KEYS: KEYS,
        WEBHOOK_ALLOWED_HOSTS: hosts.slice(0, 2).join(','),
        WEBHOOK_RETRY_DELAYS: '1s,1s,1s',
        // far beyond every wait below: deliveries within them prove the NOTIFY wake-up
        WEBHOOK_POLL_INTERVAL_MS: '60000',
      },
      db,
    );
    em = api.app.get(EntityManager);
  });
  afterEach(async () => {
    for (const id of created.splice(0)) await api.api().delete(`/v1/webhooks/${id}`);
    for (const r of [main, flaky, dropped]) {
      r.received.length = 0;
      r.respond = () => 200;
    }
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await db?.drop();
    await Promise.all([main, flaky, dropped].map((r) => r?.close()));
  });

  it('creates a subscription whose secret is shown once and stored only encrypted', async () => {
    const sub = await subscribe(main.url('/created'), ['sync_job.failed', 'sync_job.completed']);
    expect(sub).toMatchObject({ url: main.url('/created'), events: ['sync_job.completed', 'sync_job.failed'] });
    expect(sub.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const got = await api.api().get(`/v1/webhooks/${sub.id}`).expect(200);
    expect(got.body).toEqual({ id: sub.id, url: sub.url, events: sub.events, description: null, createdAt: expect.any(String) });
    const list = await api.api().get('/v1/webhooks').expect(200);
    expect(JSON.stringify(list.body)).not.toContain(sub.secret);
    expect(JSON.stringify(list.body)).not.toContain('secret');
    const rows = await em.getConnection().execute('SELECT secret_encrypted FROM webhook_subscriptions WHERE id = ?', [sub.id]);
    expect(rows[0].secret_encrypted).toMatch(/^v2\.k1\./);
    expect(rows[0].secret_encrypted).not.toContain(sub.secret.slice(6));
  });

  it('refuses bad subscriptions with a 400 naming the field, and never contacts a disallowed host', async () => {
    const post = (body: object) => api.api().post('/v1/webhooks').send(body).expect(400);
    const unknownEvent = await post({ url: main.url(), events: ['sync_job.completed', 'song.deleted'] });
    expect(unknownEvent.body.details).toEqual([{ field: 'events', reasons: [expect.stringContaining('must be one of')] }]);
    const disallowed = await post({ url: 'http://127.0.0.1:1/hook', events: ['sync_job.completed'] });
    expect(disallowed.body.details).toEqual([{ field: 'url', reasons: ['url host is not in WEBHOOK_ALLOWED_HOSTS'] }]);
    const metadata = await post({ url: 'http://169.254.169.254/latest/meta-data', events: ['sync_job.completed'] });
    expect(metadata.body.details[0].field).toBe('url');
    const https = await post({ url: 'https://evil.example/hook', events: ['sync_job.completed'] });
    expect(https.body.details[0].field).toBe('url');
    expect((await post({ url: main.url(), events: [] })).body.details[0].field).toBe('events');
    expect((await post({ url: main.url() })).body.details[0].field).toBe('events');
    expect((await post({ events: ['sync_job.completed'] })).body.details[0].field).toBe('url');
    expect((await post({ url: main.url(), events: ['sync_job.completed'], secret: 'mine' })).body.details[0].field).toBe('secret');
    expect((await post({ url: main.url(), events: ['sync_job.completed', 'sync_job.completed'] })).body.details[0].field).toBe('events');
    expect((await api.api().get('/v1/webhooks?limit=0').expect(400)).body.details[0].field).toBe('limit');
    await api.api().get('/v1/webhooks/not-a-uuid').expect(400);
    await api.api().get('/v1/webhooks/3f6c1a2b-8d4e-4f5a-9b6c-7d8e9f0a1b2c').expect(404);
    await api.http().get('/v1/webhooks').expect(401);
    const total = await em.getConnection().execute('SELECT count(*)::int AS n FROM webhook_subscriptions');
    expect(total[0].n).toBe(0);
  });

  it('delivers a committed event within about a second, signed per Standard Webhooks', async () => {
    const sub = await subscribe(main.url('/signed'), ['sync_job.completed']);
    const other = await subscribe(main.url('/other'), ['song.spotify_gone']);
    const started = Date.now();
    const eventId = await recordEvent(em, 'sync_job.completed', JOB);
    const [got] = await main.waitFor(1, 5_000);
    expect(got.at - started).toBeLessThan(2_000);
    expect(got.path).toBe('/signed');
    expect(got.headers['content-type']).toBe('application/json');
    const payload = new Webhook(sub.secret).verify(got.body, got.headers as Record<string, string>) as Record<string, unknown>;
    expect(payload).toEqual({ type: 'sync_job.completed', timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/), data: JOB });
    expect(() => new Webhook(other.secret).verify(got.body, got.headers as Record<string, string>)).toThrow();
    expect(got.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);

    const delivered = await waitForDelivery(sub.id, (d) => d.status === 'delivered');
    expect(delivered).toMatchObject({ id: got.headers['webhook-id'], eventId, eventType: 'sync_job.completed', attempts: 1, nextAttemptAt: null });
    expect(delivered.log).toEqual([
      { attempt: 1, attemptedAt: expect.any(String), statusCode: 200, error: null, responseExcerpt: 'ok', durationMs: expect.any(Number) },
    ]);
    await sleep(300);
    expect(main.received).toHaveLength(1); // the other subscription wants other events
    expect(await deliveries(other.id)).toEqual([]);
  });

  it('a rolled-back transaction produces no event and no delivery', async () => {
    const sub = await subscribe(main.url('/rollback'), ['sync_job.failed']);
    await expect(recordEvent(em, 'sync_job.failed', JOB, { fail: true })).rejects.toThrow('rolled back on purpose');
    await sleep(1_500);
    expect(main.received).toHaveLength(0);
    expect(await deliveries(sub.id)).toEqual([]);
    const events = await em.getConnection().execute(`SELECT count(*)::int AS n FROM webhook_events WHERE type = 'sync_job.failed'`);
    expect(events[0].n).toBe(0);
  });

  it('retries a failing receiver with backoff until a 2xx, which ends the delivery; same webhook-id each time', async () => {
    const sub = await subscribe(flaky.url('/flaky'), ['spotify_connection.needs_reauth']);
    flaky.respond = (index) => (index === 0 ? 503 : index === 1 ? 302 : 200);
    await recordEvent(em, 'spotify_connection.needs_reauth', { userId: 'u1', status: 'needs_reauth' });
    const all = await flaky.waitFor(3, 10_000).catch(async (error) => {
      throw new Error(`${(error as Error).message}; log: ${JSON.stringify(await deliveries(sub.id))}`);
    });
    await sleep(1_500); // a fourth attempt would come after 1 s
    expect(all.map((r) => r.status)).toEqual([503, 302, 200]);
    expect(new Set(all.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(all[1].at - all[0].at).toBeGreaterThanOrEqual(900); // the schedule, not a hot loop
    for (const r of all) expect(new Webhook(sub.secret).verify(r.body, r.headers as Record<string, string>)).toBeTruthy();
    const delivery = await waitForDelivery(sub.id, (d) => d.status === 'delivered');
    expect(delivery.attempts).toBe(3);
    expect(delivery.log.map((a: { statusCode: number; error: string | null }) => [a.statusCode, a.error])).toEqual([
      [503, 'HTTP 503'],
      [302, 'redirect (302) not followed'],
      [200, null],
    ]);
    expect(delivery.log[0].responseExcerpt).toBe('no thanks (503)');
  });

  it('gives up after the last step of the schedule and says so in the log', async () => {
    const sub = await subscribe(flaky.url('/down'), ['song.spotify_gone']);
    flaky.respond = () => 500;
    await recordEvent(em, 'song.spotify_gone', { id: 's1' });
    const failed = await waitForDelivery(sub.id, (d) => d.status === 'failed', 15_000);
    expect(failed).toMatchObject({ attempts: 4, nextAttemptAt: null, deliveredAt: null });
    expect(flaky.received).toHaveLength(4);
  });

  it('never contacts a host removed from the allow-list after the subscription was made', async () => {
    const sub = await subscribe(dropped.url('/removed'), ['spotify_connection.connected']);
    await recordEvent(em, 'spotify_connection.connected', { userId: 'u2', status: 'active' });
    const delivery = await waitForDelivery(sub.id, (d) => d.attempts >= 2, 10_000);
    expect(delivery.log[0]).toMatchObject({ statusCode: null, error: 'not sent: host is not in WEBHOOK_ALLOWED_HOSTS', durationMs: 0 });
    expect(dropped.received).toHaveLength(0);
    const metrics = (await worker.metricsHttp().get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/^webhook_attempts_total\{outcome="not_sent"\} [1-9]/m);
    expect(metrics).toMatch(/^webhook_attempts_total\{outcome="delivered"\} [1-9]/m);
    expect(metrics).toMatch(/^webhook_delivery_lag_seconds_count [1-9]/m);
  });

  it('redelivers a delivered event with the same webhook-id, 202; 409 while pending, 404 for unknown ids', async () => {
    const sub = await subscribe(main.url('/again'), ['sync_job.completed']);
    await recordEvent(em, 'sync_job.completed', JOB);
    const [first] = await main.waitFor(1);
    const delivery = await waitForDelivery(sub.id, (d) => d.status === 'delivered');
    const res = await api.api().post(`/v1/webhooks/${sub.id}/deliveries/${delivery.id}/redeliver`).expect(202);
    expect(res.body).toMatchObject({ id: delivery.id, status: 'pending' });
    const [, second] = await main.waitFor(2, 3_000);
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    new Webhook(sub.secret).verify(second.body, second.headers as Record<string, string>);
    const after = await waitForDelivery(sub.id, (d) => d.status === 'delivered' && d.attempts === 2);
    expect(after.log.map((a: { statusCode: number }) => a.statusCode)).toEqual([200, 200]);

    flaky.respond = () => 500;
    const slow = await subscribe(flaky.url('/pending'), ['sync_job.failed']);
    await recordEvent(em, 'sync_job.failed', JOB);
    const pending = await waitForDelivery(slow.id, (d) => d.status === 'pending' && d.attempts >= 1);
    await api.api().post(`/v1/webhooks/${slow.id}/deliveries/${pending.id}/redeliver`).expect(409);
    await api.api().post(`/v1/webhooks/${sub.id}/deliveries/${pending.id}/redeliver`).expect(404);
  });

  it('several workers send each attempt once', async () => {
    const second = await createTestApp(
      'webhooks_worker2',
      { APP_ROLE: 'worker', TOKEN_ENCRYPTION_KEYS: KEYS, WEBHOOK_ALLOWED_HOSTS: `http://127.0.0.1:${main.port}`, WEBHOOK_CONCURRENCY: '3' },
      db,
    );
    try {
      await subscribe(main.url('/many'), ['song.spotify_gone']);
      for (let i = 0; i < 60; i++) await recordEvent(em, 'song.spotify_gone', { id: `song-${i}` });
      await main.waitFor(60, 15_000);
      await sleep(500);
      expect(main.received).toHaveLength(60);
      expect(new Set(main.received.map((r) => r.headers['webhook-id'])).size).toBe(60);
    } finally {
      await second.close();
    }
  });

  it('lists subscriptions and deliveries with cursors; a deleted subscription is gone with its deliveries', async () => {
    const subs = [];
    for (let i = 0; i < 3; i++) subs.push(await subscribe(main.url(`/page-${i}`), ['sync_job.completed']));
    const page1 = await api.api().get('/v1/webhooks?limit=2').expect(200);
    expect(page1.body.items.map((s: { id: string }) => s.id)).toEqual([subs[2].id, subs[1].id]);
    const page2 = await api.api().get(`/v1/webhooks?limit=2&cursor=${page1.body.nextCursor}`).expect(200);
    expect(page2.body).toEqual({ items: [expect.objectContaining({ id: subs[0].id })], nextCursor: null });

    await recordEvent(em, 'sync_job.completed', JOB);
    await recordEvent(em, 'sync_job.completed', JOB);
    await main.waitFor(6);
    const d1 = await api.api().get(`/v1/webhooks/${subs[0].id}/deliveries?limit=1`).expect(200);
    expect(d1.body.items).toHaveLength(1);
    const d2 = await api.api().get(`/v1/webhooks/${subs[0].id}/deliveries?limit=1&cursor=${d1.body.nextCursor}`).expect(200);
    expect(d2.body.items).toHaveLength(1);
    expect(d2.body.items[0].id).not.toBe(d1.body.items[0].id);
    await api.api().get(`/v1/webhooks/${subs[1].id}/deliveries?limit=1&cursor=${d1.body.nextCursor}`).expect(400);

    await api.api().delete(`/v1/webhooks/${subs[0].id}`).expect(204);
    await api.api().get(`/v1/webhooks/${subs[0].id}`).expect(404);
    await api.api().get(`/v1/webhooks/${subs[0].id}/deliveries`).expect(404);
    await api.api().delete(`/v1/webhooks/${subs[0].id}`).expect(404);
    const left = await em.getConnection().execute('SELECT count(*)::int AS n FROM webhook_deliveries WHERE subscription_id = ?', [subs[0].id]);
    expect(left[0].n).toBe(0);
  });

  it('deletes events past WEBHOOK_RETENTION_DAYS with their deliveries, never one still pending', async () => {
    const sub = await subscribe(main.url('/old'), ['sync_job.completed']);
    const done = await recordEvent(em, 'sync_job.completed', JOB);
    await main.waitFor(1);
    await waitForDelivery(sub.id, (d) => d.status === 'delivered');
    const waiting = await recordEvent(em, 'sync_job.completed', JOB);
    // let the worker finish with it first, so no attempt in flight overwrites the state set below
    await main.waitFor(2);
    for (const deadline = Date.now() + 10_000; ; await sleep(100)) {
      const all = (await deliveries(sub.id)) as { status: string }[];
      if (all.length === 2 && all.every((d) => d.status === 'delivered')) break;
      if (Date.now() > deadline) throw new Error(`deliveries not settled: ${JSON.stringify(all)}`);
    }
    const sql = em.getConnection();
    // the second one is made to wait far ahead, as a delivery deep in its schedule would
    await sql.execute(
      `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now() + interval '1 day' WHERE event_id = ?`,
      [waiting],
    );
    await sql.execute(`UPDATE webhook_events SET occurred_at = occurred_at - interval '31 days' WHERE id IN (?, ?)`, [done, waiting]);
    expect(await worker.app.get(WebhookDeliveryWorker).purgeExpired()).toBe(1);
    const left = await sql.execute<{ id: string }[]>('SELECT id FROM webhook_events WHERE id IN (?, ?)', [done, waiting]);
    expect(left.map((r: { id: string }) => r.id)).toEqual([waiting]);
    expect((await deliveries(sub.id)).map((d: { eventId: string }) => d.eventId)).toEqual([waiting]);
  });

  it('documents the routes with camelCase operation ids, summaries and the API key', async () => {
    const doc = (await api.http().get('/docs-json').expect(200)).body;
    const ops = {
      createWebhook: doc.paths['/v1/webhooks'].post,
      listWebhooks: doc.paths['/v1/webhooks'].get,
      getWebhook: doc.paths['/v1/webhooks/{id}'].get,
      deleteWebhook: doc.paths['/v1/webhooks/{id}'].delete,
      listWebhookDeliveries: doc.paths['/v1/webhooks/{id}/deliveries'].get,
      redeliverWebhook: doc.paths['/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver'].post,
    };
    for (const [operationId, op] of Object.entries(ops)) {
      expect(op).toMatchObject({ operationId, summary: expect.any(String), security: [{ 'api-key': [] }] });
    }
    expect(ops.createWebhook.responses['201']).toBeDefined();
    expect(ops.createWebhook.responses['400']).toBeDefined();
    expect(ops.redeliverWebhook.responses['202']).toBeDefined();
  });
});
