import Redis from 'ioredis';
import { RunningSandbox, startSandbox } from '../sandbox/sandbox-server';
import { normaliseJobRequest } from '../src/jobs/parameters/job-parameters';
import { SyncScheduler } from '../src/jobs/schedules/sync.scheduler';
import { query } from './helpers/database';
import { sandboxEnv } from './helpers/sandbox-env';
import { endpointCount, FAST_JOBS_ENV, JobBody, seedLinkedSongs, waitForJob } from './helpers/sync-jobs';
import { createTestApp, TestApp, TEST_REDIS_URL } from './helpers/test-app';

/** Development tier (one request a track), told to the service so plans carry no probes. */
describe('sync job lanes, priority and dry-run plans (development tier)', () => {
  let sandbox: RunningSandbox;
  let t: TestApp;

  beforeAll(async () => {
    sandbox = await startSandbox({ tier: 'development', catalogueSize: 3_000, clientId: 'jobs-lanes', latencyMs: 15 });
    t = await createTestApp('jobs_lanes', {
      ...sandboxEnv(sandbox),
      ...FAST_JOBS_ENV,
      SPOTIFY_ACCESS_TIER: 'development',
      // one bulk slot: without the interactive lane a single-song sync would wait for the sweep
      JOB_CONCURRENCY: '1',
      JOB_INTERACTIVE_CONCURRENCY: '1',
      JOB_CHUNK_SIZE: '200',
      SPOTIFY_MAX_INLINE_WAIT_MS: '200',
    });
  });
  afterAll(async () => {
    await t.close();
    await sandbox.close();
  });
  beforeEach(async () => {
    await sandbox.admin.reset();
    await query(t.db.url, `UPDATE spotify_sync_jobs SET status = 'cancelled' WHERE status IN ('pending', 'running')`);
    await query(t.db.url, 'DELETE FROM songs');
  });

  const songIdOf = async (trackId: string) => (await t.api().get(`/v1/songs/by-spotify-id/${trackId}`).expect(200)).body.id as string;

  it('gives interactive to jobs that name songs, bulk to sweeps; a caller may lower any job but never raise a sweep', async () => {
    const tracks = await seedLinkedSongs(t, sandbox, 3);
    const [a, b, c] = await Promise.all(tracks.map((track) => songIdOf(track.id)));

    const single = await t.api().post(`/v1/songs/${a}/spotify/sync`).expect(202);
    expect(single.body.priority).toBe('interactive');
    const named = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync', parameters: { songIds: [b] } }).expect(202);
    expect(named.body.priority).toBe('interactive');
    const lowered = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync', parameters: { songIds: [c] }, priority: 'bulk' }).expect(202);
    expect(lowered.body.priority).toBe('bulk');
    const sweep = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync' }).expect(202);
    expect(sweep.body.priority).toBe('bulk');

    const raised = await t.api().post('/v1/sync-jobs').send({ type: 'popularity_update', priority: 'interactive' }).expect(400);
    expect(raised.body.details.map((d: { field: string }) => d.field)).toEqual(['priority']);
    const unknown = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync', targetId: a, priority: 'urgent' }).expect(400);
    expect(unknown.body.details.map((d: { field: string }) => d.field)).toEqual(['priority']);

    for (const job of [single, named, lowered, sweep]) {
      expect(await waitForJob(t, job.body.id)).toMatchObject({ status: 'completed', priority: job.body.priority });
    }
    const [row] = await query<{ priority: string }>(t.db.url, 'SELECT priority FROM spotify_sync_jobs WHERE id = $1', [lowered.body.id]);
    expect(row.priority).toBe('bulk');
  });

  it('an interactive caller asking for the work of an identical pending bulk job moves it to the interactive lane', async () => {
    const [track] = await seedLinkedSongs(t, sandbox, 1, 2_980);
    const songId = await songIdOf(track.id);
    const request = normaliseJobRequest('track_sync', null, { songIds: [songId] }, 'bulk');
    // pending bulk, held back by runAfter so no worker takes it meanwhile
    const [row] = await query<{ id: string }>(
      t.db.url,
      `INSERT INTO spotify_sync_jobs (job_type, parameters, dedupe_key, priority, run_after)
       VALUES ('track_sync', $1, $2, 'bulk', now() + interval '1 hour') RETURNING id`,
      [request.parameters, request.dedupeKey],
    );
    const again = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync', parameters: { songIds: [songId] } }).expect(200);
    expect(again.body).toMatchObject({ id: row.id, status: 'pending', priority: 'interactive' });
    // asking for bulk again does not lower it
    const lower = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync', parameters: { songIds: [songId] }, priority: 'bulk' }).expect(200);
    expect(lower.body).toMatchObject({ id: row.id, priority: 'interactive' });
    await t.api().post(`/v1/sync-jobs/${row.id}/cancel`).expect(200);
  });

  it('dryRun answers the plan and creates nothing; the run then spends what it said', async () => {
    const tracks = await seedLinkedSongs(t, sandbox, 60, 100);
    // five songs in back-off: the run skips them, so the plan does too
    await query(t.db.url, `UPDATE songs SET spotify_sync_not_before = now() + interval '1 hour' WHERE spotify_track_id = ANY($1)`, [
      tracks.slice(0, 5).map((track) => track.id),
    ]);
    const before = await query<{ n: number }>(t.db.url, 'SELECT count(*)::int AS n FROM spotify_sync_jobs');

    const plan = await t.api().post('/v1/sync-jobs').set('Idempotency-Key', 'plan-1').send({ type: 'track_sync', dryRun: true }).expect(200);
    expect(plan.body).toEqual({
      plan: { type: 'track_sync', songs: 55, requests: 55, estimatedSeconds: expect.any(Number), tier: 'development', budgetPer30s: expect.any(Number) },
    });
    const replay = await t.api().post('/v1/sync-jobs').set('Idempotency-Key', 'plan-1').send({ type: 'track_sync', dryRun: true }).expect(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(plan.body);
    const popularity = await t.api().post('/v1/sync-jobs').send({ type: 'popularity_update', dryRun: true }).expect(200);
    expect(popularity.body.plan).toMatchObject({ songs: 0, requests: 0, estimatedSeconds: 0 });
    const named = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync', parameters: { songIds: [await songIdOf(tracks[0].id)] }, dryRun: true }).expect(200);
    expect(named.body.plan).toMatchObject({ songs: 1, requests: 1 });
    await t.api().post('/v1/sync-jobs').send({ type: 'track_sync', dryRun: true, priority: 'interactive' }).expect(400);

    // nothing created: no row, no Bull job, no request to Spotify
    expect(await query(t.db.url, 'SELECT count(*)::int AS n FROM spotify_sync_jobs')).toEqual(before);
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const keys = await redis.keys(`${t.config.redisKeyPrefix}:bull:*`);
      expect(keys.filter((key) => /:[0-9a-f-]{36}$/.test(key))).toEqual([]);
    } finally {
      redis.disconnect();
    }
    expect(await endpointCount(sandbox, 'GET /v1/tracks/{id}')).toBe(0);

    const run = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync' }).expect(202);
    expect(await waitForJob(t, run.body.id)).toMatchObject({ status: 'completed', progress: { total: 55, done: 55, failed: 0 } });
    const spent = (await sandbox.admin.counters()).total;
    expect(Math.abs(spent - plan.body.plan.requests)).toBeLessThanOrEqual(Math.ceil(plan.body.plan.requests * 0.05));
  });

  it('the reconciler queues rows of both lanes that have no Bull job (written while Redis was away)', async () => {
    const tracks = await seedLinkedSongs(t, sandbox, 2, 2_950);
    const [a, b] = await Promise.all(tracks.map((track) => songIdOf(track.id)));
    const rows = await query<{ id: string }>(
      t.db.url,
      `INSERT INTO spotify_sync_jobs (job_type, parameters, dedupe_key, priority)
       VALUES ('track_sync', $1, 'reconcile-interactive', 'interactive'), ('track_sync', $2, 'reconcile-bulk', 'bulk') RETURNING id`,
      [{ songIds: [a] }, { songIds: [b] }],
    );
    for (const row of rows) {
      expect(await waitForJob(t, row.id, undefined, 15_000)).toMatchObject({ status: 'completed', progress: { total: 1, done: 1, failed: 0 } });
    }
  });

  it('schedules sweep at the tier\'s staleness, as bulk, and spend nothing on popularity in development', async () => {
    const scheduler = t.app.get(SyncScheduler);
    await scheduler.enqueuePopularityUpdate(new Date('2026-11-30T03:30:00Z'));
    expect(await query(t.db.url, `SELECT id FROM spotify_sync_jobs WHERE schedule_key LIKE 'popularity-update@%'`)).toEqual([]);
    await scheduler.enqueueStaleTrackSync(new Date('2026-11-30T06:00:00Z'));
    const rows = await query<{ parameters: unknown; priority: string }>(
      t.db.url,
      `SELECT parameters, priority FROM spotify_sync_jobs WHERE schedule_key = 'stale-track-sync@2026-11-30T06:00:00.000Z'`,
    );
    expect(rows).toEqual([{ parameters: { staleAfter: 'P30D' }, priority: 'bulk' }]);
  });

  it('a single-song sync that meets a pause is delayed, never completed without its song', async () => {
    const [track] = await seedLinkedSongs(t, sandbox, 1, 2_900);
    const songId = await songIdOf(track.id);
    await sandbox.admin.configure({ rateLimit: { everyN: 1, retryAfterSeconds: 2 } });
    const single = await t.api().post(`/v1/songs/${songId}/spotify/sync`).expect(202);
    const delayed = await waitForJob(t, single.body.id, (job) => job.status === 'pending' && job.runAfter !== null, 15_000);
    expect(delayed.progress.done).toBe(0);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(((await t.api().get(`/v1/sync-jobs/${single.body.id}`).expect(200)).body as JobBody).status).not.toBe('completed');

    await sandbox.admin.configure({ rateLimit: null });
    const done = await waitForJob(t, single.body.id, undefined, 30_000);
    expect(done).toMatchObject({ status: 'completed', progress: { total: 1, done: 1, failed: 0 } });
    const { body: song } = await t.api().get(`/v1/songs/${songId}`).expect(200);
    expect(song.spotifyLastSync).toEqual(expect.any(String));
  }, 60_000);
});

/** Its own sandbox and app: the budget learns this limit from scratch, and the sweep runs until the app closes. */
describe('interactive lane beside a bulk sweep, against a Spotify limit the service is not told', () => {
  let sandbox: RunningSandbox;
  let t: TestApp;

  beforeAll(async () => {
    // 600 requests per rolling 30 s, 20 ms latency: as the benchmark
    sandbox = await startSandbox({ tier: 'development', catalogueSize: 3_000, clientId: 'jobs-lanes-limited', latencyMs: 20, rateLimitPer30s: 600 });
    t = await createTestApp('jobs_lanes_limited', {
      ...sandboxEnv(sandbox),
      ...FAST_JOBS_ENV,
      SPOTIFY_ACCESS_TIER: 'development',
      JOB_CONCURRENCY: '1',
      JOB_INTERACTIVE_CONCURRENCY: '1',
    });
  });
  afterAll(async () => {
    await t.close();
    await sandbox.close();
  });

  const songIdOf = async (trackId: string) => (await t.api().get(`/v1/songs/by-spotify-id/${trackId}`).expect(200)).body.id as string;

  it('with a bulk sweep holding the only bulk slot under a Spotify limit the service is not told, five single-song syncs each complete in seconds', async () => {
    const tracks = [...(await seedLinkedSongs(t, sandbox, 600, 1_000)), ...(await seedLinkedSongs(t, sandbox, 600, 1_600))];
    const sweep = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync' }).expect(202);
    // past the budget's learning: the first 429 (which pauses everyone, as Spotify asks) is behind us
    await waitForJob(t, sweep.body.id, (job) => job.status === 'running' && job.progress.done > 0, 30_000);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const { budget } = (await t.api().get('/v1/spotify/capabilities').expect(200)).body;
      if (budget.rateLimitedLastHour >= 1 && budget.pausedUntil === null) break;
      if (Date.now() > deadline) throw new Error(`the budget did not meet the limit: ${JSON.stringify(budget)}`);
      await new Promise((r) => setTimeout(r, 250));
    }

    const picked = [tracks[1_199], tracks[1_150], tracks[1_100], tracks[1_050], tracks[1_000]];
    for (const track of picked) {
      const songId = await songIdOf(track.id);
      const started = Date.now();
      const single = await t.api().post(`/v1/songs/${songId}/spotify/sync`).expect(202);
      const done: JobBody = await waitForJob(t, single.body.id, undefined, 15_000);
      expect(done).toMatchObject({ status: 'completed', priority: 'interactive', progress: { total: 1, done: 1, failed: 0 } });
      expect(Date.now() - started).toBeLessThan(5_000);
      const { body: song } = await t.api().get(`/v1/songs/${songId}`).expect(200);
      expect(song.spotifyLastSync).toEqual(expect.any(String));
    }
    // the sweep was still at work (the single syncs did not wait for it), with an estimate of its end at the budget
    const during = (await t.api().get(`/v1/sync-jobs/${sweep.body.id}`).expect(200)).body as JobBody & { progress: { estimatedCompletionAt: string | null } };
    expect(during).toMatchObject({ status: 'running', priority: 'bulk' });
    expect(Date.parse(during.progress.estimatedCompletionAt!)).toBeGreaterThan(Date.now());
    const plan = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync', dryRun: true }).expect(200);
    expect(plan.body.plan.budgetPer30s).toBeGreaterThan(0);
    expect(plan.body.plan.estimatedSeconds).toBeGreaterThan(0);
  }, 180_000);
});
