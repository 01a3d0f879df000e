import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { RunningSandbox, startSandbox } from '../sandbox/sandbox-server';
import { RequestLogEntry } from '../sandbox/traffic';
import { withSpotifyPriority } from '../src/spotify/budget/spotify-priority';
import { DECREASE_FACTOR, START_RATE } from '../src/spotify/budget/request-budget.policy';
import { SpotifyRateLimitedError } from '../src/spotify/spotify.errors';
import { createMigratedDatabase, TestDatabase } from './helpers/database';
import { SpotifyProcess, startSpotifyProcess } from './helpers/spotify-process';

const LIMIT = 60; // per rolling 30 s: the sandbox's, never told to the service
const RUN_MS = 75_000;

const webApi = (log: RequestLogEntry[]) => log.filter((entry) => entry.endpoint.startsWith('GET /v1'));

/** What the sandbox's Retry-After was for a 429 at `at`: until the oldest of the last LIMIT answered requests leaves its window. */
function retryAfterMsOf(log: RequestLogEntry[], at: number): number {
  const answered = log.filter((entry) => entry.status === 200 && entry.at > at - 30_000 && entry.at <= at).map((entry) => entry.at);
  const oldest = answered[answered.length - LIMIT] ?? at;
  return Math.max(1, Math.ceil((oldest + 30_000 - at) / 1000)) * 1000;
}

/** A bulk sweep that always has work: `concurrency` callers fetching tracks one by one until `until`. */
async function sweep(p: SpotifyProcess, ids: string[], concurrency: number, until: number): Promise<void> {
  let next = 0;
  await withSpotifyPriority('bulk', () =>
    Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < until) {
          const id = ids[next++ % ids.length];
          try {
            await p.client.getTrack(id);
          } catch (error) {
            // A job would be delayed by retryAfterMs; the sweep comes back after it.
            if (!(error instanceof SpotifyRateLimitedError)) throw error;
            await sleep(Math.min(error.retryAfterMs, Math.max(0, until - Date.now())));
          }
        }
      }),
    ),
  );
}

// SPOTIFY_REQUEST_BUDGET=auto against a sandbox that allows 60 requests per rolling 30 s.
describe('Spotify request budget: learning a limit it is not told', () => {
  let db: TestDatabase;
  let sandbox: RunningSandbox;
  let ids: string[];
  const processes: SpotifyProcess[] = [];

  async function processesSharing(count: number, prefix = `test-learn-${randomBytes(4).toString('hex')}`): Promise<SpotifyProcess[]> {
    const started = await Promise.all(
      Array.from({ length: count }, () =>
        startSpotifyProcess(db, sandbox, { REDIS_KEY_PREFIX: prefix, SPOTIFY_ACCESS_TIER: 'development', SPOTIFY_MAX_INLINE_WAIT_MS: '5000' }),
      ),
    );
    processes.push(...started);
    await Promise.all(started.map((p) => p.accounts.getAppAccessToken()));
    return started;
  }

  beforeAll(async () => {
    [db, sandbox] = await Promise.all([
      createMigratedDatabase('spotify_budget_learning'),
      startSandbox({ tier: 'development', clientId: 'client-budget-learning', catalogueSize: 500 }),
    ]);
    ids = sandbox.catalogue.map((track) => track.id);
  });
  afterAll(async () => {
    while (processes.length > 0) await processes.pop()!.close();
    await sandbox.close();
    await db.drop();
  });

  it('converges near the limit within the first minute, then rarely meets a 429, and sends nothing during a pause', async () => {
    await sandbox.admin.configure({ rateLimitPer30s: LIMIT });
    const [a, b] = await processesSharing(2);
    expect((await a.budget.report()).per30s).toBe(START_RATE);
    const started = Date.now();
    await Promise.all([sweep(a, ids.slice(0, 250), 4, started + RUN_MS), sweep(b, ids.slice(250), 4, started + RUN_MS)]);

    const log = webApi(await sandbox.admin.requests());
    const limited = log.filter((entry) => entry.status === 429);
    // Slow start meets the limit within seconds.
    expect(limited.length).toBeGreaterThanOrEqual(1);
    const firstHit = limited[0].at;
    expect(firstHit - started).toBeLessThan(15_000);
    // The requests already on the wire share that first 429; after that, at most one more in the rest of the run.
    const afterLearning = limited.filter((entry) => entry.at > firstHit + 1_000);
    expect(afterLearning.length).toBeLessThanOrEqual(1);

    for (const hit of limited) {
      // In flight when the 429 went out: allowed. Nothing else until its Retry-After has passed.
      const pauseEnd = hit.at + retryAfterMsOf(log, hit.at);
      const during = log.filter((entry) => entry.at > hit.at + 100 && entry.at < pauseEnd - 50);
      expect(during).toEqual([]);
    }

    const report = await b.budget.report();
    expect(report.mode).toBe('auto');
    expect(report.per30s).toBeGreaterThanOrEqual(Math.floor(LIMIT * 0.75));
    expect(report.per30s).toBeLessThanOrEqual(LIMIT + 10);
    expect(report.rateLimitedLastHour).toBe(limited.length);
    // The last 30 s ran close to the limit: at least 75 % of it answered.
    const lastWindow = log.filter((entry) => entry.status === 200 && entry.at > started + RUN_MS - 30_000);
    expect(lastWindow.length).toBeGreaterThanOrEqual(Math.floor(LIMIT * 0.75));

    const stored = await storedBudget(db, sandbox.clientId);
    expect(stored).toMatchObject({ per30s: report.per30s, phase: 'aimd' });
    expect(stored!.ceiling).toBeGreaterThanOrEqual(LIMIT);
    expect(stored!.per30s).toBeGreaterThanOrEqual(Math.floor(LIMIT * DECREASE_FACTOR) - 1);
  }, 120_000);

  it('a restart (new process, Redis state gone, same database) starts from the learnt rate', async () => {
    const learnt = (await storedBudget(db, sandbox.clientId))!.per30s;
    while (processes.length > 0) await processes.pop()!.close();
    await sandbox.admin.reset();
    await sandbox.admin.configure({ rateLimitPer30s: LIMIT });

    const [fresh] = await processesSharing(1);
    const burst = ids.slice(0, learnt - 4);
    const startedAt = Date.now();
    await withSpotifyPriority('interactive', () => Promise.all(burst.map((id) => fresh.client.getTrack(id))));
    // Far beyond the slow-start rate, at once, and within the limit: no 429.
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    const log = webApi(await sandbox.admin.requests());
    expect(log).toHaveLength(burst.length);
    expect(log.filter((entry) => entry.status !== 200)).toEqual([]);
    expect(await fresh.budget.report()).toMatchObject({ mode: 'auto', per30s: learnt });
  });
});

async function storedBudget(db: TestDatabase, clientId: string): Promise<{ per30s: number; phase: string; ceiling: number | null } | undefined> {
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT per30s, phase, ceiling FROM spotify_request_budgets WHERE client_id = $1', [clientId]);
    return rows[0];
  } finally {
    await client.end();
  }
}
