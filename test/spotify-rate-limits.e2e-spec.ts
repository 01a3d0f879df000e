import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { RunningSandbox, startSandbox } from '../sandbox/sandbox-server';
import { RequestLogEntry } from '../sandbox/traffic';
import { SpotifyRateLimitedError, SpotifyTransientError } from '../src/spotify/spotify.errors';
import { PAUSE_KEY } from '../src/spotify/spotify-rate-limiter';
import { createMigratedDatabase, TestDatabase } from './helpers/database';
import { freePort } from './helpers/free-port';
import { SpotifyProcess, startSpotifyProcess } from './helpers/spotify-process';

// Two "processes" (own Nest context, own Redis connection, own caches) share one Redis prefix,
// as replicas of one deployment do. Retry-After values are 1 s to keep the file quick.
describe('Spotify rate limits, quota and server errors', () => {
  let db: TestDatabase;
  let sandbox: RunningSandbox;
  let ids: string[];
  const processes: SpotifyProcess[] = [];

  async function twoProcesses(env: Record<string, string> = {}): Promise<[SpotifyProcess, SpotifyProcess]> {
    const prefix = `test-rl-${randomBytes(4).toString('hex')}`;
    const pair = await Promise.all([
      startSpotifyProcess(db, sandbox, { REDIS_KEY_PREFIX: prefix, SPOTIFY_ACCESS_TIER: 'development', ...env }),
      startSpotifyProcess(db, sandbox, { REDIS_KEY_PREFIX: prefix, SPOTIFY_ACCESS_TIER: 'development', ...env }),
    ]);
    processes.push(...pair);
    // Tokens first, so the counters below are Web API calls only.
    await Promise.all(pair.map((p) => p.accounts.getAppAccessToken()));
    return pair;
  }

  const webApi = (log: RequestLogEntry[]) => log.filter((r) => r.endpoint.startsWith('GET /v1'));

  beforeAll(async () => {
    [db, sandbox] = await Promise.all([
      createMigratedDatabase('spotify_rate_limits'),
      startSandbox({ tier: 'development', clientId: 'client-rate-limits', catalogueSize: 500 }),
    ]);
    ids = sandbox.catalogue.map((t) => t.id);
  });
  beforeEach(() => sandbox.admin.reset());
  afterEach(async () => {
    while (processes.length > 0) await processes.pop()!.close();
  });
  afterAll(async () => {
    await sandbox.close();
    await db.drop();
  });

  it('a 429 pauses every process until Retry-After has passed: no request leaves during the pause', async () => {
    const [a, b] = await twoProcesses();
    await sandbox.admin.configure({ rateLimit: { everyN: 8, retryAfterSeconds: 1 } });

    const fetchOneByOne = async (p: SpotifyProcess, slice: string[]) => {
      for (const id of slice) expect(await p.client.getTrack(id)).not.toBeNull();
    };
    await Promise.all([fetchOneByOne(a, ids.slice(0, 7)), fetchOneByOne(b, ids.slice(7, 14))]);

    const log = webApi(await sandbox.admin.requests());
    const limited = log.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    expect(log.filter((r) => r.status === 200)).toHaveLength(14);
    for (const hit of limited) {
      // Requests already on the wire when the 429 went out are allowed; nothing after that until 1 s has passed.
      const during = log.filter((r) => r.at > hit.at + 100 && r.at < hit.at + 1_000);
      expect(during).toEqual([]);
    }
  });

  it('a pause longer than the inline limit throws SpotifyRateLimitedError, in every process, without a request', async () => {
    const [a, b] = await twoProcesses({ SPOTIFY_MAX_INLINE_WAIT_MS: '200' });
    await sandbox.admin.configure({ rateLimit: { everyN: 1, retryAfterSeconds: 1 } });

    const first = await a.client.getTrack(ids[0]).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(SpotifyRateLimitedError);
    expect(first).toMatchObject({ quotaExceeded: false, retryAfterMs: 1_000 });
    const second = await b.client.getTracks([ids[1]]).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(SpotifyRateLimitedError);
    expect((second as SpotifyRateLimitedError).retryAfterMs).toBeLessThanOrEqual(1_000);
    expect(webApi(await sandbox.admin.requests())).toHaveLength(1);
    expect(await a.redis.pttl(PAUSE_KEY)).toBeGreaterThan(0);

    await sandbox.admin.configure({ rateLimit: null });
    await sleep(1_000);
    await expect(b.client.getTrack(ids[1])).resolves.not.toBeNull();
  });

  it('Retry-After missing or 0 still pauses for 1 s', async () => {
    const [a] = await twoProcesses({ SPOTIFY_MAX_INLINE_WAIT_MS: '0' });
    await sandbox.admin.configure({ rateLimit: { everyN: 1, retryAfterSeconds: null } });
    await expect(a.client.getTrack(ids[0])).rejects.toMatchObject({ retryAfterMs: 1_000 });
    await sleep(1_000);
    await sandbox.admin.configure({ rateLimit: { everyN: 1, retryAfterSeconds: 0 } });
    await expect(a.client.getTrack(ids[0])).rejects.toMatchObject({ retryAfterMs: 1_000 });
    const pttl = await a.redis.pttl(PAUSE_KEY);
    expect(pttl).toBeGreaterThan(500);
    expect(pttl).toBeLessThanOrEqual(1_000);
  });

  it('QUOTA_EXCEEDED pauses all Spotify work for the quota window and is never retried inline', async () => {
    const [a, b] = await twoProcesses();
    await sandbox.admin.configure({ quotaExceeded: { retryAfterSeconds: 1 } });

    await expect(a.client.getTrack(ids[0])).rejects.toMatchObject({ quotaExceeded: true, retryAfterMs: 1_000 });
    // The other process does not even try, though 1 s is within its inline wait.
    await expect(b.client.getTracks([ids[1]])).rejects.toMatchObject({ quotaExceeded: true });
    await expect(b.client.searchTracks('the')).rejects.toBeInstanceOf(SpotifyRateLimitedError);
    expect(webApi(await sandbox.admin.requests())).toHaveLength(1);
    expect(await b.redis.get(PAUSE_KEY)).toBe('quota');

    await sandbox.admin.configure({ quotaExceeded: null });
    await sleep(1_050);
    await expect(b.client.getTrack(ids[1])).resolves.not.toBeNull();
  });

  it('5xx: retried with backoff and recovered; after the bounded attempts, SpotifyTransientError', async () => {
    const [a] = await twoProcesses();
    await sandbox.admin.configure({ serverErrors: { count: 2, status: 503 } });
    await expect(a.client.getTrack(ids[0])).resolves.toMatchObject({ id: ids[0] });
    expect(webApi(await sandbox.admin.requests()).map((r) => r.status)).toEqual([503, 503, 200]);

    await sandbox.admin.reset();
    await sandbox.admin.configure({ serverErrors: { count: 10, status: 500 } });
    const error = await a.client.getTrack(ids[0]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpotifyTransientError);
    expect(error).toMatchObject({ status: 500, retryable: true });
    expect(webApi(await sandbox.admin.requests())).toHaveLength(4);
  });

  it('network errors and timeouts: retried, then SpotifyTransientError', async () => {
    const port = await freePort();
    const closed = await startSpotifyProcess(db, sandbox, { SPOTIFY_API_BASE_URL: `http://127.0.0.1:${port}/v1`, SPOTIFY_ACCESS_TIER: 'development' });
    processes.push(closed);
    await expect(closed.client.getTrack(ids[0])).rejects.toThrow(/ECONNREFUSED/);

    const [slow] = await twoProcesses({ SPOTIFY_REQUEST_TIMEOUT_MS: '100' });
    await sandbox.admin.configure({ latencyMs: 300 });
    const error = await slow.client.getTrack(ids[0]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpotifyTransientError);
    expect((error as Error).message).toMatch(/no answer within 100 ms/);
  });
});
