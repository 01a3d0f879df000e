import { RunningSandbox, startSandbox } from '../sandbox/sandbox-server';
import { SpotifyClient } from '../src/spotify/spotify.client';
import { createMigratedDatabase, TestDatabase } from './helpers/database';
import { sandboxEnv } from './helpers/sandbox-env';
import { createTestApp, TestApp } from './helpers/test-app';

describe('GET /v1/spotify/capabilities', () => {
  let db: TestDatabase;
  const open: { close(): Promise<void> }[] = [];

  async function appFor(sandbox: RunningSandbox, env: Record<string, string> = {}): Promise<TestApp> {
    // api role: these tests need the HTTP side only, not queue workers and schedules.
    const app = await createTestApp('capabilities', sandboxEnv(sandbox, { APP_ROLE: 'api', ...env }), db);
    open.push(app);
    return app;
  }

  async function sandboxFor(tier: 'extended' | 'development', clientId: string): Promise<RunningSandbox> {
    const sandbox = await startSandbox({ tier, clientId, catalogueSize: 300 });
    open.push(sandbox);
    return sandbox;
  }

  beforeAll(async () => {
    db = await createMigratedDatabase('spotify_capabilities');
  });
  afterEach(async () => {
    while (open.length > 0) await open.pop()!.close();
  });
  afterAll(() => db.drop());

  it('needs an API key', async () => {
    const t = await appFor(await sandboxFor('extended', 'caps-auth'));
    await t.http().get('/v1/spotify/capabilities').expect(401);
  });

  it('auto, development app: unknown at first, then development once batch fetches are known to be forbidden', async () => {
    const sandbox = await sandboxFor('development', 'caps-development');
    const t = await appFor(sandbox);
    const before = await t.api().get('/v1/spotify/capabilities').expect(200);
    expect(before.body).toEqual({
      tier: 'unknown',
      learnedAt: null,
      available: { batchTracks: null, popularity: null, audioFeatures: null, previewUrls: null },
      pause: null,
      budget: { mode: 'auto', per30s: 20, usedInWindow: 0, rateLimitedLastHour: 0, pausedUntil: null },
    });

    const ids = sandbox.catalogue.slice(0, 3).map((track) => track.id);
    const client = t.app.get(SpotifyClient);
    await client.getTracks(ids);
    const afterTracks = await t.api().get('/v1/spotify/capabilities').expect(200);
    expect(afterTracks.body).toEqual({
      tier: 'development',
      learnedAt: expect.any(String),
      available: { batchTracks: false, popularity: false, audioFeatures: null, previewUrls: false },
      pause: null,
      budget: expect.objectContaining({ mode: 'auto', usedInWindow: 4 }),
    });
    expect(new Date(afterTracks.body.learnedAt).getTime()).toBeGreaterThan(Date.now() - 60_000);

    await client.getAudioFeatures(ids);
    const after = await t.api().get('/v1/spotify/capabilities').expect(200);
    expect(after.body.available.audioFeatures).toBe(false);
  });

  it('auto, extended app: extended once batch fetches and popularity are known to work', async () => {
    const sandbox = await sandboxFor('extended', 'caps-extended');
    const t = await appFor(sandbox);
    const client = t.app.get(SpotifyClient);
    const ids = sandbox.catalogue.slice(0, 60).map((track) => track.id);
    await client.getTracks(ids);
    await client.getAudioFeatures(ids);
    const res = await t.api().get('/v1/spotify/capabilities').expect(200);
    expect(res.body).toEqual({
      tier: 'extended',
      learnedAt: expect.any(String),
      available: { batchTracks: true, popularity: true, audioFeatures: true, previewUrls: true },
      pause: null,
      budget: expect.objectContaining({ mode: 'auto', usedInWindow: 3 }),
    });
    // Every request is counted by endpoint template for /metrics.
    const metrics = (await t.metricsHttp().get('/metrics').expect(200)).text;
    expect(metrics).toContain('spotify_requests_total{endpoint="/tracks",status="200"} 2');
    expect(metrics).toContain('spotify_requests_total{endpoint="/audio-features",status="200"} 1');
    expect(metrics).toContain('spotify_requests_total{endpoint="/api/token",status="200"} 1');
  });

  it('an explicit tier is reported as configured, with learnedAt null', async () => {
    const sandbox = await sandboxFor('extended', 'caps-explicit');
    const extended = await appFor(sandbox, { SPOTIFY_ACCESS_TIER: 'extended' });
    expect((await extended.api().get('/v1/spotify/capabilities').expect(200)).body).toEqual({
      tier: 'extended',
      learnedAt: null,
      available: { batchTracks: true, popularity: true, audioFeatures: true, previewUrls: true },
      pause: null,
      budget: expect.objectContaining({ mode: 'auto' }),
    });
    const development = await appFor(sandbox, { SPOTIFY_ACCESS_TIER: 'development', SPOTIFY_REQUEST_BUDGET: '600' });
    expect((await development.api().get('/v1/spotify/capabilities').expect(200)).body).toEqual({
      tier: 'development',
      learnedAt: null,
      available: { batchTracks: false, popularity: false, audioFeatures: false, previewUrls: false },
      pause: null,
      budget: { mode: 'fixed', per30s: 600, usedInWindow: 0, rateLimitedLastHour: 0, pausedUntil: null },
    });
  });

  it('is documented in the OpenAPI document', async () => {
    const t = await appFor(await sandboxFor('extended', 'caps-docs'));
    const doc = (await t.http().get('/docs-json').expect(200)).body;
    const operation = doc.paths['/v1/spotify/capabilities'].get;
    expect(operation.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/CapabilitiesResponse');
    expect(Object.keys(doc.components.schemas.CapabilitiesResponse.properties).sort()).toEqual(['available', 'budget', 'learnedAt', 'pause', 'tier']);
    expect(doc.components.schemas.RequestBudgetResponse.required.sort()).toEqual(['mode', 'pausedUntil', 'per30s', 'rateLimitedLastHour', 'usedInWindow']);
  });
});
