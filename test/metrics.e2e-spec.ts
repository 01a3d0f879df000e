import { MetricsService } from '../src/metrics/metrics.service';
import { createTestApp, TestApp } from './helpers/test-app';

/** The value of one sample line, e.g. sample(text, 'http_request_duration_seconds_count', { route: '/v1/songs' }). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const line = text
    .split('\n')
    .find(
      (l) =>
        (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) &&
        Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
    );
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('/metrics', () => {
  let t: TestApp;
  let other: TestApp;

  beforeAll(async () => {
    t = await createTestApp('metrics');
    other = await createTestApp('metrics_other', {}, t.db);
  });
  afterAll(async () => {
    await other.close();
    await t.close();
  });

  const scrape = async (app = t) => {
    const res = await app.metricsHttp().get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
    return res.text;
  };

  it('is served on its own listener only, never on the API port', async () => {
    await other.http().get('/metrics').expect(404);
    await other.metricsHttp().get('/docs-json').expect(404);
    await other.metricsHttp().post('/metrics').expect(404);
  });

  it('is public and has the default process metrics', async () => {
    const text = await scrape();
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(text).toContain('# TYPE nodejs_heap_size_used_bytes gauge');
  });

  it('times HTTP requests by route template, method and status', async () => {
    await t.api().get('/v1/songs').expect(200);
    await t.api().get('/v1/songs/00000000-0000-4000-8000-000000000000').expect(404);
    await t.http().get('/v1/songs').expect(401);
    await t.http().get('/no/such/route').expect(404);

    const text = await scrape();
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/v1/songs', status: '200' })).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count', { route: '/v1/songs/:id', status: '404' })).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count', { route: '/v1/songs', status: '401' })).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count', { route: 'unmatched', status: '404' })).toBe(1);
    expect(text).not.toContain('00000000-0000-4000-8000-000000000000');
    expect(sample(text, 'http_request_duration_seconds_bucket', { route: '/v1/songs', status: '200', le: '+Inf' })).toBe(1);
  });

  it('exports what the jobs and Spotify code record, per application instance', async () => {
    const metrics = t.app.get(MetricsService);
    metrics.recordJob('track_sync', 'completed');
    metrics.recordJob('track_sync', 'completed');
    metrics.recordJob('user_library', 'failed');
    metrics.recordSpotifyRequest('/tracks', 200);
    metrics.recordSpotifyRequest('/tracks', 429);
    metrics.recordSpotifyRequest('/me/tracks', 'error');
    metrics.recordRateLimited('rate_limit');
    metrics.recordPaused(2.5);
    metrics.recordPaused(1);
    metrics.recordTokenRefresh('user', 'refreshed');
    metrics.recordTokenRefresh('user', 'invalid_grant');

    const text = await scrape();
    expect(sample(text, 'sync_jobs_total', { type: 'track_sync', outcome: 'completed' })).toBe(2);
    expect(sample(text, 'sync_jobs_total', { type: 'user_library', outcome: 'failed' })).toBe(1);
    expect(sample(text, 'spotify_requests_total', { endpoint: '/tracks', status: '429' })).toBe(1);
    expect(sample(text, 'spotify_requests_total', { endpoint: '/me/tracks', status: 'error' })).toBe(1);
    expect(sample(text, 'spotify_rate_limited_total', { kind: 'rate_limit' })).toBe(1);
    expect(sample(text, 'spotify_paused_seconds_total')).toBe(3.5);
    expect(sample(text, 'spotify_token_refreshes_total', { kind: 'user', outcome: 'invalid_grant' })).toBe(1);

    // a second app in the same process has its own registry
    const otherText = await scrape(other);
    expect(sample(otherText, 'sync_jobs_total', { type: 'track_sync', outcome: 'completed' })).toBeUndefined();
    expect(otherText).toContain('# TYPE sync_jobs_total counter');
  });

  it('reads queue depth at scrape time from registered readers, and survives a failing one', async () => {
    const metrics = t.app.get(MetricsService);
    let waiting = 3;
    const unregister = metrics.registerQueueDepth(async () => [
      { queue: 'test-queue', state: 'waiting', count: waiting },
      { queue: 'test-queue', state: 'active', count: 1 },
    ]);
    const unregisterBroken = metrics.registerQueueDepth(() => Promise.reject(new Error('Redis is down')));
    try {
      expect(sample(await scrape(), 'sync_queue_depth', { queue: 'test-queue', state: 'waiting' })).toBe(3);
      waiting = 7;
      const text = await scrape();
      expect(sample(text, 'sync_queue_depth', { queue: 'test-queue', state: 'waiting' })).toBe(7);
      expect(sample(text, 'sync_queue_depth', { queue: 'test-queue', state: 'active' })).toBe(1);
    } finally {
      unregister();
      unregisterBroken();
    }
    expect(sample(await scrape(), 'sync_queue_depth', { queue: 'test-queue' })).toBeUndefined();
  });
});
