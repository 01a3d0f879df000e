import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { RunningSandbox, startSandbox } from '../sandbox/sandbox-server';
import { RequestLogEntry } from '../sandbox/traffic';
import { SpotifyBudgetExhaustedError } from '../src/spotify/budget/spotify-request-budget';
import { withSpotifyPriority } from '../src/spotify/budget/spotify-priority';
import { SpotifyClient } from '../src/spotify/spotify.client';
import { SpotifyRateLimitedError } from '../src/spotify/spotify.errors';
import { createMigratedDatabase, TestDatabase } from './helpers/database';
import { freePort } from './helpers/free-port';
import { sandboxEnv } from './helpers/sandbox-env';
import { SpotifyProcess, startSpotifyProcess } from './helpers/spotify-process';
import { createTestApp } from './helpers/test-app';

const WINDOW = 30_000;

/** The most requests the sandbox received in any rolling 30 s. */
function maxInAnyWindow(log: RequestLogEntry[]): number {
  const times = log.map((entry) => entry.at).sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, start = 0; i < times.length; i++) {
    while (times[i] - times[start] >= WINDOW) start++;
    max = Math.max(max, i - start + 1);
  }
  return max;
}

const webApi = (log: RequestLogEntry[]) => log.filter((entry) => entry.endpoint.startsWith('GET /v1'));

/** `ids` fetched one by one by `concurrency` callers. */
async function fetchAll(p: SpotifyProcess, ids: string[], concurrency: number): Promise<void> {
  const queue = [...ids];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) expect(await p.client.getTrack(id)).not.toBeNull();
    }),
  );
}

// A fixed SPOTIFY_REQUEST_BUDGET shared by two processes (own Nest context, own Redis connection,
// one Redis prefix and database), priority between interactive and bulk callers, and what shows.
describe('Spotify request budget: shared, prioritised, visible', () => {
  let db: TestDatabase;
  let sandbox: RunningSandbox;
  let ids: string[];
  const processes: SpotifyProcess[] = [];

  async function processesSharing(count: number, env: Record<string, string>): Promise<SpotifyProcess[]> {
    const prefix = `test-budget-${randomBytes(4).toString('hex')}`;
    const started = await Promise.all(
      Array.from({ length: count }, () => startSpotifyProcess(db, sandbox, { REDIS_KEY_PREFIX: prefix, SPOTIFY_ACCESS_TIER: 'development', ...env })),
    );
    processes.push(...started);
    await Promise.all(started.map((p) => p.accounts.getAppAccessToken()));
    return started;
  }

  beforeAll(async () => {
    [db, sandbox] = await Promise.all([
      createMigratedDatabase('spotify_request_budget'),
      startSandbox({ tier: 'development', clientId: 'client-budget', catalogueSize: 300 }),
    ]);
    ids = sandbox.catalogue.map((track) => track.id);
  });
  beforeEach(() => sandbox.admin.reset());
  afterEach(async () => {
    while (processes.length > 0) await processes.pop()!.close();
  });
  afterAll(async () => {
    await sandbox.close();
    await db.drop();
  });

  it('two processes never exceed a fixed budget together, over more than one window', async () => {
    const [a, b] = await processesSharing(2, { SPOTIFY_REQUEST_BUDGET: '20', SPOTIFY_MAX_INLINE_WAIT_MS: '45000' });
    // Spotify's limit is the same 20: any request beyond the budget would come back 429.
    await sandbox.admin.configure({ rateLimitPer30s: 20 });
    const started = Date.now();
    await Promise.all([fetchAll(a, ids.slice(0, 14), 3), fetchAll(b, ids.slice(14, 28), 3)]);

    const log = webApi(await sandbox.admin.requests());
    expect(log).toHaveLength(28);
    expect(log.filter((entry) => entry.status !== 200)).toEqual([]);
    expect(maxInAnyWindow(log)).toBeLessThanOrEqual(20);
    // The 8 beyond the first window waited for it to roll on.
    expect(Date.now() - started).toBeGreaterThanOrEqual(WINDOW);
    expect((await a.budget.report()).usedInWindow).toBeLessThanOrEqual(20);
  }, 60_000);

  it('a wait for room beyond SPOTIFY_MAX_INLINE_WAIT_MS throws a SpotifyRateLimitedError, without a request', async () => {
    const [a, b] = await processesSharing(2, { SPOTIFY_REQUEST_BUDGET: '20', SPOTIFY_MAX_INLINE_WAIT_MS: '300' });
    await fetchAll(a, ids.slice(0, 20), 4);
    const error = await b.client.getTrack(ids[20]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpotifyRateLimitedError);
    expect(error).toBeInstanceOf(SpotifyBudgetExhaustedError);
    expect(error).toMatchObject({ quotaExceeded: false, priority: 'interactive' });
    expect((error as SpotifyRateLimitedError).retryAfterMs).toBeGreaterThan(20_000);
    expect(webApi(await sandbox.admin.requests())).toHaveLength(20);
    expect(await b.budget.estimateSeconds(18, 'bulk')).toBeGreaterThan(20);
  });

  it('interactive calls are served within a couple of seconds while a bulk loop saturates the budget, and before bulk when the window frees', async () => {
    const [worker, api] = await processesSharing(2, { SPOTIFY_REQUEST_BUDGET: '20', SPOTIFY_MAX_INLINE_WAIT_MS: '45000' });
    await sandbox.admin.configure({ rateLimitPer30s: 20 });
    const bulkIds = ids.slice(0, 30);
    const bulk = withSpotifyPriority('bulk', () => fetchAll(worker, bulkIds, 4));
    // Bulk takes what it may (20 less the reserve of 2) and then waits.
    for (let i = 0; i < 100 && webApi(await sandbox.admin.requests()).length < 18; i++) await sleep(50);
    await sleep(300);
    expect(webApi(await sandbox.admin.requests())).toHaveLength(18);

    const interactive = ids.slice(100, 104);
    for (const id of interactive.slice(0, 2)) {
      const started = Date.now();
      expect(await api.client.getTrack(id)).not.toBeNull();
      expect(Date.now() - started).toBeLessThan(2_000);
    }
    // The window is now full: these two wait, and take the first permits that free, before any bulk caller.
    const later = Promise.all(interactive.slice(2).map((id) => api.client.getTrack(id)));
    await later;
    await bulk;

    const log = webApi(await sandbox.admin.requests());
    expect(log.filter((entry) => entry.status !== 200)).toEqual([]);
    const paths = log.map((entry) => entry.path);
    const afterFirstWindow = paths.slice(20);
    expect(afterFirstWindow.slice(0, 2).sort()).toEqual(interactive.slice(2).map((id) => `/v1/tracks/${id}`).sort());
    expect(maxInAnyWindow(log)).toBeLessThanOrEqual(20);
  }, 90_000);

  it('while Redis is unreachable each process keeps to a local window at the rate it knew', async () => {
    const [cut] = await processesSharing(1, { REDIS_URL: `redis://127.0.0.1:${await freePort()}`, SPOTIFY_REQUEST_BUDGET: '5', SPOTIFY_MAX_INLINE_WAIT_MS: '300' });
    for (const id of ids.slice(0, 5)) expect(await cut.client.getTrack(id)).not.toBeNull();
    await expect(cut.client.getTrack(ids[5])).rejects.toBeInstanceOf(SpotifyBudgetExhaustedError);
    expect(webApi(await sandbox.admin.requests())).toHaveLength(5);
    expect(await cut.budget.report()).toMatchObject({ mode: 'fixed', per30s: 5, usedInWindow: null, rateLimitedLastHour: null });
  });

  it('GET /v1/spotify/capabilities and /metrics show the budget: rate, use, 429s and the pause', async () => {
    const t = await createTestApp('budget_visible', sandboxEnv(sandbox, { APP_ROLE: 'api', SPOTIFY_ACCESS_TIER: 'development', SPOTIFY_REQUEST_BUDGET: '50', SPOTIFY_MAX_INLINE_WAIT_MS: '0' }), db);
    try {
      const client = t.app.get(SpotifyClient);
      for (const id of ids.slice(0, 3)) await client.getTrack(id);
      const { body } = await t.api().get('/v1/spotify/capabilities').expect(200);
      expect(body.budget).toEqual({ mode: 'fixed', per30s: 50, usedInWindow: 3, rateLimitedLastHour: 0, pausedUntil: null });
      const metrics = (await t.metricsHttp().get('/metrics').expect(200)).text;
      expect(metrics).toMatch(/^spotify_budget_per30s 50$/m);
      expect(metrics).toMatch(/^spotify_budget_used_in_window 3$/m);
      expect(metrics).toMatch(/^spotify_budget_rate_limited_last_hour 0$/m);
      expect(metrics).toMatch(/^spotify_budget_permits_total\{priority="interactive"\} 3$/m);

      await sandbox.admin.configure({ rateLimit: { everyN: 1, retryAfterSeconds: 5 } });
      await expect(client.getTrack(ids[3])).rejects.toBeInstanceOf(SpotifyRateLimitedError);
      const paused = (await t.api().get('/v1/spotify/capabilities').expect(200)).body.budget;
      expect(paused).toMatchObject({ usedInWindow: 4, rateLimitedLastHour: 1 });
      const until = new Date(paused.pausedUntil).getTime();
      expect(until).toBeGreaterThan(Date.now() + 3_000);
      expect(until).toBeLessThanOrEqual(Date.now() + 5_100);
      const after = (await t.metricsHttp().get('/metrics').expect(200)).text;
      expect(after).toMatch(/^spotify_budget_rate_limited_last_hour 1$/m);
      expect(after).toMatch(/^spotify_budget_paused_seconds [3-5](\.\d+)?$/m);
    } finally {
      await t.close();
    }
  });
});
