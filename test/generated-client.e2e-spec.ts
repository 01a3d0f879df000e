import type { AddressInfo } from 'node:net';
import createClient, { type Client } from 'openapi-fetch';
import { RunningSandbox, startSandbox } from '../sandbox/sandbox-server';
import type { components, paths } from './generated/openapi';
import { sandboxEnv } from './helpers/sandbox-env';
import { FAST_JOBS_ENV } from './helpers/sync-jobs';
import { API_KEY, createTestApp, TestApp } from './helpers/test-app';

type Song = components['schemas']['SongResponse'];
type SyncJob = components['schemas']['SyncJobResponse'];

/**
 * The main flows through a client generated from the committed openapi.json (openapi-typescript
 * types, openapi-fetch calls): a route, field or status that drifts from the document fails the
 * type check or these assertions.
 */
describe('a client generated from openapi.json', () => {
  let sandbox: RunningSandbox;
  let t: TestApp;
  let api: Client<paths>;

  beforeAll(async () => {
    sandbox = await startSandbox({ tier: 'extended', catalogueSize: 50, clientId: 'generated-client' });
    t = await createTestApp('gen_client', { ...sandboxEnv(sandbox), ...FAST_JOBS_ENV });
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    api = createClient<paths>({ baseUrl: `http://127.0.0.1:${port}`, headers: { Authorization: `Bearer ${API_KEY}` } });
  });
  afterAll(async () => {
    await t.close();
    await sandbox.close();
  });

  it('creates a song with every optional field typed, and reads it back', async () => {
    const { data, error, response } = await api.POST('/v1/songs', {
      body: { title: 'Bohemian Rhapsody', artist: 'Queen', album: 'A Night at the Opera', durationMs: 354_320, isrc: 'GBUM71029604', energy: 0.41, loudness: -9.96 },
    });
    expect(error).toBeUndefined();
    expect(response.status).toBe(201);
    const song: Song = data!;
    expect(song).toMatchObject({ album: 'A Night at the Opera', durationMs: 354_320, isrc: 'GBUM71029604', energy: 0.41, audioFeaturesSynced: false });

    const read = await api.GET('/v1/songs/{id}', { params: { path: { id: song.id } } });
    expect(read.data).toEqual(song);
    const cleared = await api.PATCH('/v1/songs/{id}', { params: { path: { id: song.id } }, body: { album: null } });
    expect(cleared.data?.album).toBeNull();
  });

  it('bulk upserts, then lists every song page by page with cursors', async () => {
    const songs = sandbox.catalogue.slice(0, 25).map((track) => ({ title: track.name, artist: track.artists[0].name, spotifyTrackId: track.id }));
    const bulk = await api.POST('/v1/songs/bulk', { body: { songs: [...songs, { title: '', artist: 'Nobody' }] } });
    expect(bulk.data).toMatchObject({ created: 25, updated: 0, rejected: [{ index: 25, reasons: expect.any(Array) }] });
    const again = await api.POST('/v1/songs/bulk', { body: { songs: songs.slice(0, 5) } });
    expect(again.data).toMatchObject({ created: 0, updated: 5, rejected: [] });

    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await api.GET('/v1/songs', { params: { query: { sort: 'title', limit: 10, synced: false, cursor } } });
      expect(page.error).toBeUndefined();
      seen.push(...page.data!.items.map((s) => s.title));
      if (!page.data!.nextCursor) break;
      cursor = page.data!.nextCursor;
    }
    // the 25 bulk songs and the one created above, each once, in title order
    expect(seen).toHaveLength(26);
    expect(new Set(seen)).toEqual(new Set([...songs.map((s) => s.title), 'Bohemian Rhapsody']));
  });

  it('creates a sync job and follows it until it completes', async () => {
    const created = await api.POST('/v1/sync-jobs', {
      body: { type: 'track_sync', parameters: { staleAfter: 'P1D', maxRequests: 100 } },
      headers: { 'Idempotency-Key': 'generated-client-job-1' },
    });
    expect(created.response.status).toBe(202);
    // 200 is an identical job or, with dryRun, a plan: the answer's shape says which
    if (!created.data || 'plan' in created.data) throw new Error('expected a job');
    let job: SyncJob = created.data;
    expect(job).toMatchObject({ type: 'track_sync', status: 'pending', parameters: { staleAfter: 'P1D', maxRequests: 100 } });

    // a retry with the same key is answered from the first attempt
    const retried = await api.POST('/v1/sync-jobs', {
      body: { type: 'track_sync', parameters: { staleAfter: 'P1D', maxRequests: 100 } },
      headers: { 'Idempotency-Key': 'generated-client-job-1' },
    });
    expect(retried.response.headers.get('Idempotent-Replayed')).toBe('true');
    expect(retried.data).toEqual(created.data);

    const planned = await api.POST('/v1/sync-jobs', { body: { type: 'track_sync', parameters: { staleAfter: 'P1D' }, dryRun: true } });
    expect(planned.response.status).toBe(200);
    if (!planned.data || !('plan' in planned.data)) throw new Error('expected a plan');
    expect(planned.data.plan).toMatchObject({ type: 'track_sync', songs: expect.any(Number), requests: expect.any(Number) });

    const deadline = Date.now() + 30_000;
    while (!['completed', 'failed'].includes(job.status) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await api.GET('/v1/sync-jobs/{id}', { params: { path: { id: job.id } } })).data!;
    }
    expect(job).toMatchObject({ status: 'completed', progress: { done: 25, failed: 0 }, errorMessage: null });
    const listed = await api.GET('/v1/sync-jobs', { params: { query: { status: 'completed', type: 'track_sync' } } });
    expect(listed.data!.items.map((j) => j.id)).toContain(job.id);
    const failures = await api.GET('/v1/sync-jobs/{id}/failures', { params: { path: { id: job.id } } });
    expect(failures.data).toEqual([]);
  });

  it('gets a 400 naming the field, and a 404, as the typed error', async () => {
    const bad = await api.POST('/v1/songs', { body: { title: '', artist: 'Queen' } });
    expect(bad.data).toBeUndefined();
    expect(bad.response.status).toBe(400);
    const error: components['schemas']['ErrorResponse'] = bad.error!;
    expect(error).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(error.details?.map((d) => d.field)).toEqual(['title']);

    const missing = await api.GET('/v1/sync-jobs/{id}', { params: { path: { id: '00000000-0000-4000-8000-000000000000' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error).toMatchObject({ statusCode: 404, error: 'Not Found', message: expect.stringMatching(/not found/) });
  });
});
