import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { RunningSandbox, startSandbox } from '../sandbox/sandbox-server';
import { sandboxEnv } from './helpers/sandbox-env';
import { connect, createUser, expireStoredToken } from './helpers/spotify-connect';
import { FAST_JOBS_ENV, seedLinkedSongs, waitForJob } from './helpers/sync-jobs';
import { createTestApp, TestApp } from './helpers/test-app';
import { Receiver, ReceivedWebhook, startReceiver } from './helpers/webhooks';

/** The emitters: a job's end and a connection's changes reach subscribers, signed, once. */
describe('webhook events from the service itself', () => {
  let sandbox: RunningSandbox;
  let receiver: Receiver;
  let t: TestApp;
  let webhook: Webhook;

  beforeAll(async () => {
    sandbox = await startSandbox({ tier: 'extended', catalogueSize: 200, clientId: 'emitters' });
    receiver = await startReceiver();
    t = await createTestApp('webhook_emitters', {
      ...sandboxEnv(sandbox),
      ...FAST_JOBS_ENV,
      JOB_ATTEMPTS: '1',
      WEBHOOK_ALLOWED_HOSTS: `http://127.0.0.1:${receiver.port}`,
    });
    const { body } = await t
      .api()
      .post('/v1/webhooks')
      .send({
        url: receiver.url(),
        events: ['sync_job.completed', 'sync_job.failed', 'spotify_connection.connected', 'spotify_connection.needs_reauth', 'song.spotify_gone'],
      })
      .expect(201);
    webhook = new Webhook(body.secret);
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
    await sandbox.close();
  });

  /** Waits for an event of `type` whose data matches `pick`, verifying every signature on the way. */
  async function eventOf(type: string, pick: (data: Record<string, unknown>) => boolean) {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const found = receiver.received.map(verified).filter((e) => e.type === type && pick(e.data));
      if (found.length) return found;
      if (Date.now() > deadline) throw new Error(`no ${type} event; got ${receiver.received.map((r) => verified(r).type).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  function verified(received: ReceivedWebhook): { type: string; data: Record<string, unknown> } {
    return webhook.verify(received.body, received.headers as Record<string, string>) as { type: string; data: Record<string, unknown> };
  }

  it('announces a completed job with the job as GET /v1/sync-jobs/:id shows it', async () => {
    await seedLinkedSongs(t, sandbox, 3);
    const { body: created } = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync' }).expect(202);
    const job = await waitForJob(t, created.id);
    expect(job.status).toBe('completed');
    const [event] = await eventOf('sync_job.completed', (data) => data.id === created.id);
    const { body: shown } = await t.api().get(`/v1/sync-jobs/${created.id}`).expect(200);
    expect(event.data).toEqual(shown);
  });

  it('announces a connection; a revoked grant then fails the import and marks the connection needs_reauth, each once', async () => {
    const userId = await createUser(t);
    const spotifyUserId = `emit-${randomUUID().slice(0, 8)}`;
    expect((await connect(t, userId, spotifyUserId)).status).toBeLessThan(400);
    const [connected] = await eventOf('spotify_connection.connected', (data) => data.userId === userId);
    expect(connected.data).toMatchObject({ userId, connected: true, spotifyUserId, status: 'active' });
    expect(JSON.stringify(connected.data)).not.toMatch(/token"/i);

    await sandbox.admin.revokeUser(spotifyUserId);
    await expireStoredToken(t, userId);
    const { body: created } = await t.api().post('/v1/sync-jobs').send({ type: 'user_library', targetId: userId }).expect(202);
    const job = await waitForJob(t, created.id);
    expect(job.status).toBe('failed');
    const [failed] = await eventOf('sync_job.failed', (data) => data.id === created.id);
    expect(failed.data).toMatchObject({ id: created.id, status: 'failed', errorMessage: job.errorMessage });
    const events = await eventOf('spotify_connection.needs_reauth', (data) => data.userId === userId);
    expect(events).toHaveLength(1);
    expect(events[0].data).toMatchObject({ userId, status: 'needs_reauth', tokenExpiresAt: null });
  });

  it('announces a song whose Spotify id Spotify no longer knows, once, however often it is synced', async () => {
    const goneId = `0${'A'.repeat(21)}`; // Spotify's shape, not in the sandbox's catalogue
    const { body: song } = await t.api().post('/v1/songs').send({ title: 'Vanished', artist: 'Nobody', spotifyTrackId: goneId }).expect(201);
    for (let run = 0; run < 2; run++) {
      const { body: created } = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync', parameters: { songIds: [song.id] } }).expect(202);
      await waitForJob(t, created.id);
    }
    const events = await eventOf('song.spotify_gone', (data) => data.id === song.id);
    const { body: shown } = await t.api().get(`/v1/songs/${song.id}`).expect(200);
    expect(events).toHaveLength(1);
    expect(events[0].data).toEqual(shown);
  });
});
