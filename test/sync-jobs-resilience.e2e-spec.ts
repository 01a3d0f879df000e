import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { RunningSandbox, startSandbox } from '../sandbox/sandbox-server';
import { normaliseJobRequest, SWEEP_STALE_AFTER } from '../src/jobs/parameters/job-parameters';
import { SyncScheduler } from '../src/jobs/schedules/sync.scheduler';
import { ChildApp, startChildApp } from './helpers/child-app';
import { query } from './helpers/database';
import { freePort } from './helpers/free-port';
import { createMigratedDatabase, TestDatabase } from './helpers/database';
import { sandboxEnv } from './helpers/sandbox-env';
import { FAST_JOBS_ENV, seedLinkedSongs, waitForJob } from './helpers/sync-jobs';
import { createTestApp, TestApp, testEnv } from './helpers/test-app';

/** A Redis of the test's own, on another port, that the test may stop (never the machine's). */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 50; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const probe = spawn('redis-cli', ['-p', String(port), 'ping'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      probe.stdout.on('data', (d) => (out += d));
      probe.on('exit', () => resolve(out.includes('PONG')));
    });
    if (up) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`redis-server on ${port} did not start`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('sync jobs under failure', () => {
  let sandbox: RunningSandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({ tier: 'development', catalogueSize: 500, clientId: 'resilience' });
  });
  afterAll(() => sandbox.close());

  it('accepts a job while Redis is down and runs it once Redis is back', async () => {
    const port = await freePort();
    let redis = await startRedis(port);
    const t = await createTestApp('redis_outage', { ...sandboxEnv(sandbox), ...FAST_JOBS_ENV, REDIS_URL: `redis://127.0.0.1:${port}` });
    try {
      const [track] = await seedLinkedSongs(t, sandbox, 1);
      const { body: song } = await t.api().get(`/v1/songs/by-spotify-id/${track.id}`).expect(200);
      await stop(redis);

      const started = Date.now();
      const created = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync', targetId: song.id }).expect(202);
      expect(Date.now() - started).toBeLessThan(3_000); // never hangs on a dead Redis
      expect(created.body.status).toBe('pending');
      await new Promise((r) => setTimeout(r, 1_000));
      expect((await t.api().get(`/v1/sync-jobs/${created.body.id}`).expect(200)).body.status).toBe('pending');

      redis = await startRedis(port); // empty: the queue lost everything
      const job = await waitForJob(t, created.body.id);
      expect(job).toMatchObject({ status: 'completed', progress: { done: 1, failed: 0 } });
    } finally {
      await t.close();
      await stop(redis);
    }
  });

  it('delays a job past a QUOTA_EXCEEDED pause instead of holding a worker, then completes it', async () => {
    const t = await createTestApp('quota_pause', { ...sandboxEnv(sandbox), ...FAST_JOBS_ENV, SPOTIFY_MAX_INLINE_WAIT_MS: '200' });
    try {
      await seedLinkedSongs(t, sandbox, 5, 50);
      await sandbox.admin.configure({ quotaExceeded: { retryAfterSeconds: 2 } });
      const created = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync' }).expect(202);
      const delayed = await waitForJob(t, created.body.id, (job) => job.runAfter !== null, 15_000);
      expect(delayed.status).toBe('pending');
      expect(delayed.resultMessage).toMatch(/quota/i);
      await sandbox.admin.configure({ quotaExceeded: null });
      const job = await waitForJob(t, created.body.id, undefined, 30_000);
      expect(job).toMatchObject({ status: 'completed', progress: { done: 5, failed: 0 }, retryCount: 0 });
      // nothing reached Spotify while the pause lasted
      const log = await sandbox.admin.requests();
      const quota = log.filter((entry) => entry.status === 429);
      expect(quota.length).toBeGreaterThan(0);
      const first = quota[0].at;
      expect(log.filter((entry) => entry.at > first + 100 && entry.at < first + 1_900 && entry.endpoint.startsWith('GET /v1'))).toEqual([]);
    } finally {
      await t.close();
      await sandbox.admin.reset();
    }
  });

  describe('with worker processes', () => {
    let db: TestDatabase;
    let api: TestApp;
    const prefix = `test-workers-${randomBytes(4).toString('hex')}`;
    const workers: ChildApp[] = [];

    const workerEnv = () =>
      testEnv({
        ...sandboxEnv(sandbox),
        ...FAST_JOBS_ENV,
        DATABASE_URL: db.url,
        REDIS_KEY_PREFIX: prefix,
        APP_ROLE: 'worker',
        JOB_CHUNK_SIZE: '20',
        LOG_LEVEL: 'warn',
      });
    const startWorker = async () => {
      const worker = await startChildApp(['node', '-r', 'ts-node/register/transpile-only', 'src/main.ts'], workerEnv(), {
        port: await freePort(),
        timeoutMs: 60_000,
      });
      workers.push(worker);
      return worker;
    };

    beforeAll(async () => {
      db = await createMigratedDatabase('workers');
      api = await createTestApp('workers_api', { ...sandboxEnv(sandbox), ...FAST_JOBS_ENV, APP_ROLE: 'api', REDIS_KEY_PREFIX: prefix }, db);
    });
    afterEach(async () => {
      for (const worker of workers.splice(0)) {
        worker.child.kill('SIGKILL');
        await worker.exited;
      }
    });
    afterAll(async () => {
      await api.close();
      await db.drop();
    });

    it('finishes a job whose worker was killed mid-run, from its checkpoint, with no duplicate rows', async () => {
      await seedLinkedSongs(api, sandbox, 200, 100);
      await sandbox.admin.configure({ latencyMs: 40 });
      const first = await startWorker();
      const created = await api.api().post('/v1/sync-jobs').send({ type: 'track_sync' }).expect(202);
      const midway = await waitForJob(api, created.body.id, (job) => job.progress.done >= 40, 60_000);
      expect(midway.status).toBe('running');
      first.child.kill('SIGKILL');
      await first.exited;

      await startWorker();
      const job = await waitForJob(api, created.body.id, undefined, 90_000);
      expect(job).toMatchObject({ status: 'completed', progress: { total: 200, done: 200, failed: 0 } });
      expect(job.retryCount).toBeGreaterThanOrEqual(1);
      const [counts] = await query<{ songs: number; synced: number }>(
        db.url,
        'SELECT count(*)::int AS songs, count(spotify_last_sync)::int AS synced FROM songs',
      );
      expect(counts).toEqual({ songs: 200, synced: 200 });
      await sandbox.admin.configure({ latencyMs: 0 });
    }, 180_000);

    it('on SIGTERM a worker stops its job at a checkpoint and exits 0; another worker finishes it', async () => {
      await query(db.url, 'UPDATE songs SET spotify_last_sync = NULL');
      await sandbox.admin.configure({ latencyMs: 40 });
      const worker = await startWorker();
      const created = await api.api().post('/v1/sync-jobs').send({ type: 'track_sync' }).expect(202);
      await waitForJob(api, created.body.id, (job) => job.progress.done >= 40, 60_000);
      const stoppedAt = Date.now();
      worker.child.kill('SIGTERM');
      const exit = await worker.exited;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(Date.now() - stoppedAt).toBeLessThan(15_000);
      const paused = (await api.api().get(`/v1/sync-jobs/${created.body.id}`).expect(200)).body;
      expect(paused.status).toBe('pending');
      expect(paused.progress.done).toBeLessThan(200);

      await startWorker();
      const job = await waitForJob(api, created.body.id, undefined, 90_000);
      expect(job).toMatchObject({ status: 'completed', retryCount: 0, progress: { total: 200, done: 200, failed: 0 } });
      await sandbox.admin.configure({ latencyMs: 0 });
    }, 180_000);

    it('creates one job when several worker replicas fire the same schedule tick', async () => {
      const replicas = await Promise.all(
        [1, 2].map(() => createTestApp('workers_tick', { ...sandboxEnv(sandbox), ...FAST_JOBS_ENV, APP_ROLE: 'worker', REDIS_KEY_PREFIX: prefix }, db)),
      );
      try {
        const tick = new Date('2026-11-27T06:00:00Z');
        await Promise.all(replicas.map((r) => r.app.get(SyncScheduler).enqueueStaleTrackSync(tick)));
        await Promise.all(replicas.map((r) => r.app.get(SyncScheduler).enqueueStaleTrackSync(tick)));
        const rows = await query(db.url, `SELECT id FROM spotify_sync_jobs WHERE schedule_key = 'stale-track-sync@2026-11-27T06:00:00.000Z'`);
        expect(rows).toHaveLength(1);
        await waitForJob(api, String(rows[0].id));

        // a tick while an identical run is still active (held back here by runAfter): that run, no error
        const [active] = await query<{ id: string }>(
          db.url,
          `INSERT INTO spotify_sync_jobs (job_type, parameters, dedupe_key, run_after)
           VALUES ('track_sync', $1, $2, now() + interval '1 hour') RETURNING id`,
          // the development tier's sweep staleness (the sandbox is development; unknown is costed the same)
          [{ staleAfter: 'P30D' }, normaliseJobRequest('track_sync', null, { staleAfter: SWEEP_STALE_AFTER.development.track_sync }).dedupeKey],
        );
        await replicas[0].app.get(SyncScheduler).enqueueStaleTrackSync(new Date('2026-11-27T12:00:00Z'));
        const later = await query(db.url, `SELECT id FROM spotify_sync_jobs WHERE schedule_key = 'stale-track-sync@2026-11-27T12:00:00.000Z'`);
        expect(later).toEqual([]);
        await api.api().post(`/v1/sync-jobs/${active.id}/cancel`).expect(200);
      } finally {
        for (const r of replicas) await r.close();
      }
    });
  });
});
