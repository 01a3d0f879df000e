import { RunningSandbox, startSandbox } from '../sandbox/sandbox-server';
import { query } from './helpers/database';
import { sandboxEnv } from './helpers/sandbox-env';
import { connect, createUser } from './helpers/spotify-connect';
import { endpointCount, FAST_JOBS_ENV, waitForJob } from './helpers/sync-jobs';
import { createTestApp, TestApp } from './helpers/test-app';

describe.each(['extended', 'development'] as const)('user_library in the %s tier', (tier) => {
  let sandbox: RunningSandbox;
  let t: TestApp;

  beforeAll(async () => {
    sandbox = await startSandbox({ tier, catalogueSize: 800, clientId: `library-${tier}` });
    t = await createTestApp(`library_${tier}`, { ...sandboxEnv(sandbox), ...FAST_JOBS_ENV });
  });
  afterAll(async () => {
    await t.close();
    await sandbox.close();
  });

  async function connectedUser(spotifyUserId: string): Promise<string> {
    const userId = await createUser(t);
    const res = await connect(t, userId, spotifyUserId);
    expect(res.status).toBeLessThan(400);
    return userId;
  }

  async function runImport(userId: string) {
    const created = await t.api().post('/v1/sync-jobs').send({ type: 'user_library', targetId: userId }).expect(202);
    return waitForJob(t, created.body.id);
  }

  it('imports the saved tracks, links an existing song by ISRC, and sees removals on re-import', async () => {
    const library = sandbox.catalogue.slice(100, 220).map((track) => track.id); // 120 saves = 3 pages
    const spotifyUserId = `lib-user-${tier}`;
    await sandbox.admin.setLibrary(spotifyUserId, library);
    // a track whose ISRC no other saved track shares (a single and its album version share one)
    const saved = sandbox.catalogue.slice(100, 220);
    const known = saved.slice(50).find((x) => saved.filter((y) => y.external_ids.isrc === x.external_ids.isrc).length === 1)!;
    const { body: existing } = await t
      .api()
      .post('/v1/songs')
      .send({ title: 'Our own title', artist: 'Our artist', isrc: known.external_ids.isrc })
      .expect(201);
    const userId = await connectedUser(spotifyUserId);
    await sandbox.admin.reset();

    const job = await runImport(userId);
    expect(job).toMatchObject({ status: 'completed', progress: { total: 120, done: 120, failed: 0 } });
    expect(job.resultMessage).toMatch(/Imported 120 saved tracks; 0 removed/);
    expect(await endpointCount(sandbox, 'GET /v1/me/tracks')).toBe(3);
    // the pages carry the tracks: never fetched again
    expect(await endpointCount(sandbox, 'GET /v1/tracks')).toBe(0);
    expect(await endpointCount(sandbox, 'GET /v1/tracks/{id}')).toBe(0);
    expect(await endpointCount(sandbox, 'GET /v1/audio-features')).toBe(tier === 'extended' ? 3 : 1);

    const linked = await t.api().get(`/v1/songs/${existing.id}`).expect(200);
    expect(linked.body).toMatchObject({ spotifyTrackId: known.id, title: 'Our own title' });
    const track = sandbox.catalogue[101];
    const { body: imported } = await t.api().get(`/v1/songs/by-spotify-id/${track.id}`).expect(200);
    expect(imported).toMatchObject({
      title: track.name,
      artist: track.artists.map((a) => a.name).join(', '),
      durationMs: track.duration_ms,
      isrc: track.external_ids.isrc,
      spotifyExternalUrl: track.external_urls.spotify,
      spotifyPopularity: tier === 'extended' ? track.popularity : null,
      audioFeaturesSynced: tier === 'extended',
    });
    expect(imported.spotifyLastSync).toEqual(expect.any(String));
    const [{ n }] = await query<{ n: number }>(t.db.url, 'SELECT count(*)::int AS n FROM spotify_saved_tracks WHERE user_id = $1 AND removed_at IS NULL', [userId]);
    expect(n).toBe(120);

    // unchanged library: one page, nothing written
    await sandbox.admin.reset();
    const unchanged = await runImport(userId);
    expect(unchanged.resultMessage).toBe('Library unchanged since the last import');
    expect(await endpointCount(sandbox, 'GET /v1/me/tracks')).toBe(1);

    // two removed, one added
    await sandbox.admin.setLibrary(spotifyUserId, [sandbox.catalogue[300].id, ...library.slice(2)]);
    const reimport = await runImport(userId);
    expect(reimport.resultMessage).toMatch(/Imported 119 saved tracks; 2 removed/);
    const removed = await query<{ spotify_track_id: string }>(
      t.db.url,
      'SELECT spotify_track_id FROM spotify_saved_tracks WHERE user_id = $1 AND removed_at IS NOT NULL ORDER BY 1',
      [userId],
    );
    expect(removed.map((r) => r.spotify_track_id)).toEqual(library.slice(0, 2).sort());
    const [{ songs }] = await query<{ songs: number }>(t.db.url, 'SELECT count(*)::int AS songs FROM songs');
    expect(songs).toBe(121); // re-imports never duplicate songs
  });

  it('fails a revoked user\'s import once, with a message saying they must reconnect, and marks the connection', async () => {
    const spotifyUserId = `revoked-${tier}`;
    await sandbox.admin.setLibrary(spotifyUserId, [sandbox.catalogue[400].id]);
    const userId = await connectedUser(spotifyUserId);
    await sandbox.admin.revokeUser(spotifyUserId);
    await sandbox.admin.expireAccessTokens(spotifyUserId);
    await sandbox.admin.reset();
    const job = await runImport(userId);
    expect(job.status).toBe('failed');
    expect(job.errorMessage).toMatch(/reconnect|re-?authori[sz]e/i);
    expect(job.retryCount).toBe(0);
    expect(await endpointCount(sandbox, 'POST /api/token refresh_token')).toBe(1);
    const connection = await t.api().get(`/v1/users/${userId}/spotify`).expect(200);
    expect(connection.body).toMatchObject({ connected: true, status: 'needs_reauth' });
  });

  it('cancels a deleted user\'s pending import', async () => {
    const userId = await connectedUser(`deleted-${tier}`);
    const [pending] = await query<{ id: string }>(
      t.db.url,
      `INSERT INTO spotify_sync_jobs (job_type, target_id, parameters, dedupe_key, run_after)
       VALUES ('user_library', $1, '{}', 'manual-deleted', now() + interval '1 hour') RETURNING id`,
      [userId],
    );
    await t.api().delete(`/v1/users/${userId}`).expect(204);
    const job = await t.api().get(`/v1/sync-jobs/${pending.id}`).expect(200);
    expect(job.body).toMatchObject({ status: 'cancelled', resultMessage: 'The user was deleted' });
  });
});
