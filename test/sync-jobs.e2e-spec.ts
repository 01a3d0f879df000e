import { randomUUID } from 'node:crypto';
import { RunningSandbox, startSandbox } from '../sandbox/sandbox-server';
import { songInput } from './factories/song.factory';
import { query } from './helpers/database';
import { sandboxEnv } from './helpers/sandbox-env';
import { endpointCount, FAST_JOBS_ENV, seedLinkedSongs, waitForJob } from './helpers/sync-jobs';
import { createTestApp, TestApp } from './helpers/test-app';

const round = (value: number, decimals: number) => Math.round(value * 10 ** decimals) / 10 ** decimals;

describe('sync jobs API and track_sync / popularity_update', () => {
  describe('extended tier', () => {
    let sandbox: RunningSandbox;
    let t: TestApp;

    beforeAll(async () => {
      sandbox = await startSandbox({ tier: 'extended', catalogueSize: 1_000, clientId: 'jobs-extended' });
      t = await createTestApp('jobs_ext', { ...sandboxEnv(sandbox), ...FAST_JOBS_ENV });
    });
    afterAll(async () => {
      await t.close();
      await sandbox.close();
    });
    beforeEach(() => sandbox.admin.reset());

    it('syncs every stale linked song field by field, batched, and records an unknown id without failing', async () => {
      const tracks = await seedLinkedSongs(t, sandbox, 120);
      const ghost = 'A'.repeat(22);
      const { body: ghostSong } = await t.api().post('/v1/songs').send(songInput({ spotifyTrackId: ghost })).expect(201);
      // an ISRC already known is kept; a missing one is filled from Spotify
      await query(t.db.url, `UPDATE songs SET isrc = 'GBAAA0000001' WHERE spotify_track_id = $1`, [tracks[0].id]);

      const created = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync' }).expect(202);
      expect(created.body).toMatchObject({ type: 'track_sync', status: 'pending', parameters: { staleAfter: 'P7D' } });
      const job = await waitForJob(t, created.body.id);

      expect(job).toMatchObject({ status: 'completed', progress: { total: 121, done: 120, failed: 1 }, errorMessage: null });
      expect(job.startedAt).toEqual(expect.any(String));
      expect(job.completedAt).toEqual(expect.any(String));
      const failures = await t.api().get(`/v1/sync-jobs/${job.id}/failures`).expect(200);
      expect(failures.body).toEqual([{ itemId: ghostSong.id, reason: `Spotify does not know track ${ghost}` }]);
      const [gone] = await query(t.db.url, 'SELECT spotify_track_gone_at FROM songs WHERE id = $1', [ghostSong.id]);
      expect(gone.spotify_track_gone_at).not.toBeNull();

      for (const track of [tracks[0], tracks[1], tracks[119]]) {
        const { body: song } = await t.api().get(`/v1/songs/by-spotify-id/${track.id}`).expect(200);
        const f = track.audio_features;
        expect(song).toMatchObject({
          spotifyPopularity: track.popularity,
          spotifyExternalUrl: track.external_urls.spotify,
          spotifyPreviewUrl: track.preview_url,
          audioFeaturesSynced: true,
          energy: round(f.energy, 3),
          danceability: round(f.danceability, 3),
          valence: round(f.valence, 3),
          acousticness: round(f.acousticness, 3),
          instrumentalness: round(f.instrumentalness, 3),
          speechiness: round(f.speechiness, 2),
          liveness: round(f.liveness, 2),
          loudness: round(f.loudness, 2),
          isrc: track === tracks[0] ? 'GBAAA0000001' : track.external_ids.isrc,
        });
        expect(song.spotifyLastSync).toEqual(expect.any(String));
        expect(song.lastPopularityUpdate).toEqual(expect.any(String));
      }
      // 121 ids: 3 batches of tracks (50), 2 of audio features (100); one app token
      expect(await endpointCount(sandbox, 'GET /v1/tracks')).toBe(3);
      expect(await endpointCount(sandbox, 'GET /v1/audio-features')).toBe(2);
      expect(await endpointCount(sandbox, 'GET /v1/tracks/{id}')).toBe(0);

      const metrics = await t.metricsHttp().get('/metrics').expect(200);
      expect(metrics.text).toMatch(/sync_jobs_total\{[^}]*type="track_sync"[^}]*outcome="completed"[^}]*\} [1-9]/);
      expect(metrics.text).toMatch(/queue="spotify-sync"/);

      // nothing is stale now: a second run has nothing to do and sends nothing
      const again = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync' }).expect(202);
      expect(await waitForJob(t, again.body.id)).toMatchObject({ status: 'completed', progress: { total: 0, done: 0, failed: 0 } });
      expect(await endpointCount(sandbox, 'GET /v1/tracks')).toBe(3);
    });

    it('updates only popularity in popularity_update, for songs whose popularity is stale', async () => {
      const tracks = await seedLinkedSongs(t, sandbox, 60, 760);
      await query(t.db.url, `UPDATE songs SET last_popularity_update = now() - interval '2 days' WHERE spotify_track_id = $1`, [tracks[0].id]);
      await query(t.db.url, `UPDATE songs SET last_popularity_update = now(), spotify_popularity = 1 WHERE spotify_track_id = $1`, [tracks[1].id]);
      await sandbox.admin.reset();
      const before = (await query<{ n: number }>(t.db.url, 'SELECT count(*)::int AS n FROM songs WHERE spotify_track_id IS NOT NULL AND spotify_track_gone_at IS NULL AND (last_popularity_update IS NULL OR last_popularity_update < now() - interval \'24 hours\')'))[0].n;
      const created = await t.api().post('/v1/sync-jobs').send({ type: 'popularity_update' }).expect(202);
      const job = await waitForJob(t, created.body.id);
      expect(job).toMatchObject({ status: 'completed', progress: { total: before, done: before, failed: 0 } });
      const { body: stale } = await t.api().get(`/v1/songs/by-spotify-id/${tracks[0].id}`).expect(200);
      expect(stale).toMatchObject({ spotifyPopularity: tracks[0].popularity, spotifyLastSync: null, energy: null, spotifyExternalUrl: null });
      const { body: fresh } = await t.api().get(`/v1/songs/by-spotify-id/${tracks[1].id}`).expect(200);
      expect(fresh.spotifyPopularity).toBe(1); // updated today: left alone
      expect(await endpointCount(sandbox, 'GET /v1/audio-features')).toBe(0);
      // out of the later tests' stale sets
      await query(t.db.url, 'DELETE FROM songs WHERE spotify_track_id = ANY($1)', [tracks.map((x) => x.id)]);
    });

    it('dedupes identical jobs, also under concurrent requests, and tells different ones apart', async () => {
      const [track] = await seedLinkedSongs(t, sandbox, 1, 200);
      const { body: song } = await t.api().get(`/v1/songs/by-spotify-id/${track.id}`).expect(200);
      await sandbox.admin.configure({ latencyMs: 1_500 }); // keep the first one running while the others arrive
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => t.api().post('/v1/sync-jobs').send({ type: 'track_sync', targetId: song.id })),
      );
      const ids = new Set(answers.map((a) => a.body.id));
      expect(ids.size).toBe(1);
      expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
      expect(answers.filter((a) => a.status === 200)).toHaveLength(9);
      const shorthand = await t.api().post(`/v1/songs/${song.id}/spotify/sync`);
      expect([200, 202]).toContain(shorthand.status);
      if (shorthand.status === 200) expect(shorthand.body.id).toBe([...ids][0]);
      const other = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync', parameters: { staleAfter: 'P1D' } }).expect(202);
      expect(ids.has(other.body.id)).toBe(false);
      await waitForJob(t, [...ids][0]);
      await waitForJob(t, other.body.id);
    });

    it('validates job requests: 400 naming fields, 404 for unknown targets, 409 for a user without Spotify', async () => {
      const bad = await t.api().post('/v1/sync-jobs').send({ type: 'nope', targetId: 'x', extra: 1 }).expect(400);
      expect(bad.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['extra', 'targetId', 'type']);
      const params = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync', parameters: { staleAfter: '7 days' } }).expect(400);
      expect(params.body.details[0].field).toBe('parameters.staleAfter');
      await t.api().post('/v1/sync-jobs').send({ type: 'track_sync', targetId: randomUUID() }).expect(404);
      await t.api().post('/v1/sync-jobs').send({ type: 'user_library', targetId: randomUUID() }).expect(404);
      const { body: user } = await t.api().post('/v1/users').send({}).expect(201);
      await t.api().post('/v1/sync-jobs').send({ type: 'user_library', targetId: user.id }).expect(409);
      await t.api().get(`/v1/sync-jobs/${randomUUID()}`).expect(404);
      await t.http().post('/v1/sync-jobs').send({ type: 'track_sync' }).expect(401);
    });

    it('stops cleanly at a request budget with what it did recorded', async () => {
      await seedLinkedSongs(t, sandbox, 300, 300);
      const created = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync', parameters: { maxRequests: 3 } }).expect(202);
      const job = await waitForJob(t, created.body.id);
      // 3 requests: 2 batches of tracks (100 songs) + 1 of audio features
      expect(job.status).toBe('completed');
      expect(job.progress.done).toBe(100);
      expect(job.resultMessage).toMatch(/request budget \(maxRequests 3\)/);
      expect((await endpointCount(sandbox, 'GET /v1/tracks')) + (await endpointCount(sandbox, 'GET /v1/audio-features'))).toBe(3);
      // the rest later, stalest (never synced) first
      const rest = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync' }).expect(202);
      expect((await waitForJob(t, rest.body.id)).progress.done).toBe(200);
    });

    it('recovers from a burst of 5xx and honours a 429 Retry-After with no request during the pause', async () => {
      await seedLinkedSongs(t, sandbox, 150, 600);
      await sandbox.admin.configure({ serverErrors: { count: 2, status: 503 }, rateLimit: { everyN: 3, retryAfterSeconds: 1 } });
      const created = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync' }).expect(202);
      // the request budget starts at 20 per 30 s and the tests before used it up: room again within ~30 s
      const job = await waitForJob(t, created.body.id, undefined, 60_000);
      expect(job).toMatchObject({ status: 'completed', progress: { done: 150, failed: 0 } });
      const log = await sandbox.admin.requests();
      const limited = log.filter((entry) => entry.status === 429);
      expect(limited.length).toBeGreaterThan(0);
      for (const hit of limited) {
        const during = log.filter((entry) => entry.at > hit.at && entry.at < hit.at + 1000 && entry.endpoint !== 'POST /api/token client_credentials');
        expect(during).toEqual([]);
      }
    }, 90_000);

    it('cancels a pending job, refuses to cancel or retry others, and retries a failed one', async () => {
      const [track] = await seedLinkedSongs(t, sandbox, 1, 900);
      const { body: song } = await t.api().get(`/v1/songs/by-spotify-id/${track.id}`).expect(200);
      const [row] = await query<{ id: string }>(
        t.db.url,
        `INSERT INTO spotify_sync_jobs (job_type, target_id, parameters, dedupe_key, status, error_message, completed_at)
         VALUES ('track_sync', $1, '{}', 'manual-failed', 'failed', 'Spotify was down', now()) RETURNING id`,
        [song.id],
      );
      await t.api().post(`/v1/sync-jobs/${row.id}/cancel`).expect(409);
      const retried = await t.api().post(`/v1/sync-jobs/${row.id}/retry`).expect(202);
      expect(retried.body).toMatchObject({ errorMessage: null, retryCount: 1 });
      expect(await waitForJob(t, row.id)).toMatchObject({ status: 'completed', retryCount: 1, progress: { done: 1 } });
      await t.api().post(`/v1/sync-jobs/${row.id}/retry`).expect(409);

      // a pending row that no worker has picked up yet (inserted directly, not queued)
      const [pending] = await query<{ id: string }>(
        t.db.url,
        `INSERT INTO spotify_sync_jobs (job_type, target_id, parameters, dedupe_key, run_after)
         VALUES ('track_sync', $1, '{}', 'manual-pending', now() + interval '1 hour') RETURNING id`,
        [song.id],
      );
      const cancelled = await t.api().post(`/v1/sync-jobs/${pending.id}/cancel`).expect(200);
      expect(cancelled.body.status).toBe('cancelled');
      const list = await t.api().get('/v1/sync-jobs').query({ status: 'cancelled', targetId: song.id }).expect(200);
      expect(list.body.items.map((j: { id: string }) => j.id)).toEqual([pending.id]);
    });

    it('matches a song by ISRC, links by hand (relinking clears Spotify data) and unlinks', async () => {
      // an original not linked by the tests above
      const original = sandbox.catalogue.slice(960).find((x) => !x.variant)!;
      const { body: song } = await t
        .api()
        .post('/v1/songs')
        .send({ title: original.name, artist: original.artists[0].name, durationMs: original.duration_ms, isrc: original.external_ids.isrc })
        .expect(201);
      const matched = await t.api().post(`/v1/songs/${song.id}/spotify/match`).expect(200);
      expect(matched.body).toMatchObject({ matched: true, via: 'isrc' });
      const linkedTo = matched.body.song.spotifyTrackId;
      expect(sandbox.catalogue.find((x) => x.id === linkedTo)?.external_ids.isrc).toBe(original.external_ids.isrc);

      await query(t.db.url, 'UPDATE songs SET spotify_popularity = 50, audio_features_synced = true, energy = 0.5 WHERE id = $1', [song.id]);
      const other = sandbox.catalogue[950];
      const relinked = await t.api().put(`/v1/songs/${song.id}/spotify`).send({ spotifyTrackId: other.id }).expect(200);
      expect(relinked.body).toMatchObject({ spotifyTrackId: other.id, spotifyPopularity: null, energy: null, audioFeaturesSynced: false });
      const { body: taken } = await t.api().post('/v1/songs').send(songInput({ spotifyTrackId: sandbox.catalogue[951].id })).expect(201);
      await t.api().put(`/v1/songs/${song.id}/spotify`).send({ spotifyTrackId: sandbox.catalogue[951].id }).expect(409);
      expect(taken.id).toBeDefined();
      await t.api().put(`/v1/songs/${song.id}/spotify`).send({ spotifyTrackId: 'bad' }).expect(400);
      await t.api().delete(`/v1/songs/${song.id}/spotify`).expect(204);
      expect((await t.api().get(`/v1/songs/${song.id}`).expect(200)).body.spotifyTrackId).toBeNull();
      await t.api().post(`/v1/songs/${song.id}/spotify/sync`).expect(409);

      const { body: nothing } = await t.api().post('/v1/songs').send({ title: 'Zzyzx Qwerty Nonexistent', artist: 'Nobody At All' }).expect(201);
      const miss = await t.api().post(`/v1/songs/${nothing.id}/spotify/match`).expect(200);
      expect(miss.body).toMatchObject({ matched: false, reason: expect.any(String) });
    });
  });

  describe('development tier', () => {
    let sandbox: RunningSandbox;
    let t: TestApp;

    beforeAll(async () => {
      sandbox = await startSandbox({ tier: 'development', catalogueSize: 500, clientId: 'jobs-development' });
      t = await createTestApp('jobs_dev', { ...sandboxEnv(sandbox), ...FAST_JOBS_ENV });
    });
    afterAll(async () => {
      await t.close();
      await sandbox.close();
    });

    it('fetches one track a request, stores what exists, leaves popularity and features null, and learns the tier', async () => {
      const tracks = await seedLinkedSongs(t, sandbox, 30);
      const created = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync' }).expect(202);
      const job = await waitForJob(t, created.body.id);
      expect(job).toMatchObject({ status: 'completed', progress: { total: 30, done: 30, failed: 0 } });
      expect(job.resultMessage).toMatch(/Audio features not stored/);
      const { body: song } = await t.api().get(`/v1/songs/by-spotify-id/${tracks[5].id}`).expect(200);
      expect(song).toMatchObject({
        spotifyPopularity: null,
        lastPopularityUpdate: null,
        audioFeaturesSynced: false,
        energy: null,
        spotifyPreviewUrl: null,
        spotifyExternalUrl: tracks[5].external_urls.spotify,
        isrc: tracks[5].external_ids.isrc,
      });
      expect(song.spotifyLastSync).toEqual(expect.any(String));
      // one probe of each forbidden batch endpoint, then one request a track
      expect(await endpointCount(sandbox, 'GET /v1/tracks')).toBe(1);
      expect(await endpointCount(sandbox, 'GET /v1/audio-features')).toBe(1);
      expect(await endpointCount(sandbox, 'GET /v1/tracks/{id}')).toBe(30);
      const caps = await t.api().get('/v1/spotify/capabilities').expect(200);
      expect(caps.body).toMatchObject({ tier: 'development', available: { batchTracks: false, popularity: false, audioFeatures: false } });

      // a second run never probes the forbidden endpoints again
      await query(t.db.url, 'UPDATE songs SET spotify_last_sync = NULL');
      const again = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync' }).expect(202);
      await waitForJob(t, again.body.id);
      expect(await endpointCount(sandbox, 'GET /v1/tracks')).toBe(1);
      expect(await endpointCount(sandbox, 'GET /v1/audio-features')).toBe(1);
      expect(await endpointCount(sandbox, 'GET /v1/tracks/{id}')).toBe(60);
    });

    it('completes popularity_update with the reason when the tier has no popularity, sending nothing', async () => {
      const before = (await sandbox.admin.counters()).total;
      const created = await t.api().post('/v1/sync-jobs').send({ type: 'popularity_update' }).expect(202);
      const job = await waitForJob(t, created.body.id);
      expect(job).toMatchObject({ status: 'completed', errorMessage: null });
      expect(job.resultMessage).toMatch(/no popularity/);
      expect((await sandbox.admin.counters()).total).toBe(before);
    });
  });
});
