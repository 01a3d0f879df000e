import { randomBytes } from 'node:crypto';
import { messyExternalIds } from '../sandbox/render';
import { RunningSandbox, startSandbox } from '../sandbox/sandbox-server';
import { query, withClient } from './helpers/database';
import { sandboxEnv } from './helpers/sandbox-env';
import { connect, createUser } from './helpers/spotify-connect';
import { FAST_JOBS_ENV, JobBody, waitForJob } from './helpers/sync-jobs';
import { createTestApp, TestApp } from './helpers/test-app';

// Issue 10, the job side: sync jobs against the sandbox in dirty mode, through the public interface.

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const randomTail = () => Array.from(randomBytes(21), (b) => BASE62[b % 62]).join('');
/** 22 base-62 characters that do not decode to 128 bits: Spotify refuses them (and a batch holding one). */
const undecodableId = () => `z${randomTail()}`;
/** Decodes, but no track has it: Spotify answers null / 404. */
const unknownId = () => `0${randomTail()}`;

describe.each(['extended', 'development'] as const)('sync jobs against the dirty sandbox, %s tier', (tier) => {
  let sandbox: RunningSandbox;
  let t: TestApp;

  beforeAll(async () => {
    sandbox = await startSandbox({ tier, catalogueSize: 2600, clientId: `dirty-jobs-${tier}`, dirty: true, latencyMs: 1 });
    t = await createTestApp(`dirty_jobs_${tier}`, {
      ...sandboxEnv(sandbox),
      ...FAST_JOBS_ENV,
      JOB_ATTEMPTS: '2',
      SPOTIFY_MAX_RETRY_AFTER_S: '2',
      SPOTIFY_MAX_INLINE_WAIT_MS: '200',
    });
  });
  afterAll(async () => {
    await t.close();
    await sandbox.close();
  });

  async function startJob(body: Record<string, unknown>): Promise<string> {
    const res = await t.api().post('/v1/sync-jobs').send(body);
    expect([200, 202]).toContain(res.status);
    return res.body.id;
  }
  const failuresOf = async (id: string): Promise<{ itemId: string; reason: string }[]> =>
    (await t.api().get(`/v1/sync-jobs/${id}/failures`).expect(200)).body;
  const bulk = async (songs: Record<string, unknown>[]): Promise<void> => {
    for (let i = 0; i < songs.length; i += 1000) {
      const { body } = await t.api().post('/v1/songs/bulk').send({ songs: songs.slice(i, i + 1000) }).expect(200);
      expect(body.rejected).toEqual([]);
    }
  };

  it('track_sync of 2,000 songs: good ones synced field by field, refused and unknown ids recorded, nothing falsely gone; a second run redoes nothing', async () => {
    const good = sandbox.catalogue.slice(0, 2000);
    const refused = Array.from({ length: 5 }, undecodableId);
    const unknown = Array.from({ length: 5 }, unknownId);
    await bulk([
      ...good.map((track) => ({ title: track.name, artist: track.artists[0].name, spotifyTrackId: track.id })),
      ...refused.map((id, i) => ({ title: `Refused ${i}`, artist: 'Poison', spotifyTrackId: id })),
      ...unknown.map((id, i) => ({ title: `Unknown ${i}`, artist: 'Gone', spotifyTrackId: id })),
    ]);
    await sandbox.admin.reset();

    const id = await startJob({ type: 'track_sync' });
    const job = await waitForJob(t, id, undefined, 120_000);
    expect(job).toMatchObject({ status: 'completed', progress: { total: 2010, done: 2000, failed: 10 } });

    const failures = await failuresOf(id);
    expect(failures).toHaveLength(10);
    const songIdOf = async (trackId: string) => (await t.api().get(`/v1/songs/by-spotify-id/${trackId}`).expect(200)).body.id as string;
    const failedSongs = failures.map((f) => f.itemId).sort();
    expect(failedSongs).toEqual((await Promise.all([...refused, ...unknown].map(songIdOf))).sort());
    const reasons = failures.map((f) => f.reason);
    expect(reasons.filter((r) => /Spotify refused the id \(400: invalid id\)/.test(r))).toHaveLength(5);
    expect(reasons.filter((r) => /Spotify does not know track/.test(r))).toHaveLength(5);

    // nothing wiped or falsely gone: only the unknown ids are flagged gone; refused songs are backed off
    const flagged = await query<{ spotify_track_id: string; gone: boolean; failures: number; backed_off: boolean }>(
      t.db.url,
      `SELECT spotify_track_id, spotify_track_gone_at IS NOT NULL AS gone, spotify_sync_failures AS failures,
              spotify_sync_not_before > (now() AT TIME ZONE 'UTC') AS backed_off
         FROM songs WHERE spotify_track_gone_at IS NOT NULL OR spotify_sync_failures > 0 ORDER BY 1`,
    );
    expect(flagged.filter((f) => f.gone).map((f) => f.spotify_track_id).sort()).toEqual([...unknown].sort());
    expect(flagged.filter((f) => f.failures > 0).map((f) => f.spotify_track_id).sort()).toEqual([...refused].sort());
    expect(flagged.filter((f) => f.failures > 0).every((f) => f.backed_off && !f.gone)).toBe(true);
    const [{ synced }] = await query<{ synced: number }>(t.db.url, 'SELECT count(*)::int AS synced FROM songs WHERE spotify_last_sync IS NOT NULL');
    expect(synced).toBe(2000);

    // field by field for a sample (every 97th), ISRCs as Spotify meant them (junk dropped, never written)
    for (const track of good.filter((_, i) => i % 97 === 0)) {
      const { body: song } = await t.api().get(`/v1/songs/by-spotify-id/${track.id}`).expect(200);
      const sent = messyExternalIds(track).isrc;
      expect(song).toMatchObject({
        isrc: sent === 'N/A' ? null : track.external_ids.isrc,
        spotifyExternalUrl: track.external_urls.spotify,
        spotifyPopularity: tier === 'extended' ? track.popularity : null,
        audioFeaturesSynced: tier === 'extended',
      });
      if (tier === 'extended') {
        expect(song.danceability).toBe(track.audio_features.danceability);
        expect(song.energy).toBe(track.audio_features.energy);
        expect(song.valence).toBe(track.audio_features.valence);
        // DECIMAL(3,2) and DECIMAL(5,2): rounded to 2 decimals on write
        expect(Math.abs(song.speechiness - track.audio_features.speechiness)).toBeLessThanOrEqual(0.005 + 1e-9);
        expect(Math.abs(song.loudness - track.audio_features.loudness)).toBeLessThanOrEqual(0.005 + 1e-9);
      } else {
        expect(song.danceability).toBeNull();
      }
    }

    // a second run: nothing is stale, gone songs are not asked, poisoned songs are backed off
    await sandbox.admin.reset();
    const second = await waitForJob(t, await startJob({ type: 'track_sync' }));
    expect(second).toMatchObject({ status: 'completed', progress: { total: 0, done: 0, failed: 0 } });
    const counters = await sandbox.admin.counters();
    expect((counters.byEndpoint['GET /v1/tracks'] ?? 0) + (counters.byEndpoint['GET /v1/tracks/{id}'] ?? 0)).toBe(0);

    // once the back-off has passed, only the poisoned songs are tried again, and they back off longer
    await query(t.db.url, `UPDATE songs SET spotify_sync_not_before = (now() AT TIME ZONE 'UTC') - interval '1 second' WHERE spotify_sync_failures > 0`);
    const third = await waitForJob(t, await startJob({ type: 'track_sync', parameters: { staleAfter: 'P1D' } }));
    expect(third).toMatchObject({ status: 'completed', progress: { total: 5, done: 0, failed: 5 } });
    const backedOff = await query<{ failures: number; hours: number }>(
      t.db.url,
      `SELECT spotify_sync_failures AS failures,
              extract(epoch FROM spotify_sync_not_before - (now() AT TIME ZONE 'UTC')) / 3600 AS hours
         FROM songs WHERE spotify_sync_failures > 0`,
    );
    expect(backedOff).toHaveLength(5);
    for (const row of backedOff) {
      expect(row.failures).toBe(2);
      expect(Number(row.hours)).toBeGreaterThan(1.9);
      expect(Number(row.hours)).toBeLessThanOrEqual(2);
    }
  }, 180_000);

  it('a named-song sync whose chunk write fails is never completed with 0/0; a row the database refuses is one failed item', async () => {
    const tracks = sandbox.catalogue.slice(2100, 2112);
    await bulk(tracks.map((track, i) => ({ title: i === 0 ? `poison-row ${track.name}` : i === 1 ? `poison-db ${track.name}` : track.name, artist: 'Named', spotifyTrackId: track.id })));
    const ids = await Promise.all(tracks.map(async (track) => (await t.api().get(`/v1/songs/by-spotify-id/${track.id}`).expect(200)).body.id as string));
    await withClient(t.db.url, async (pg) => {
      await pg.query(`CREATE OR REPLACE FUNCTION test_poison() RETURNS trigger AS $$
        BEGIN
          IF NEW.spotify_last_sync IS DISTINCT FROM OLD.spotify_last_sync THEN
            IF NEW.title LIKE 'poison-row%' THEN RAISE EXCEPTION USING ERRCODE = '23514', MESSAGE = 'poisoned row'; END IF;
            IF NEW.title LIKE 'poison-db%' AND EXISTS (SELECT 1 FROM pg_class WHERE relname = 'test_poison_db_on') THEN
              RAISE EXCEPTION 'the database fell over';
            END IF;
          END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql`);
      await pg.query('CREATE TABLE test_poison_db_on (x int)');
      await pg.query('CREATE TRIGGER test_poison BEFORE UPDATE ON songs FOR EACH ROW EXECUTE FUNCTION test_poison()');
    });
    try {
      // a chunk whose write fails (not a row refusal): retried, then failed; never "completed 0/0"
      const id = await startJob({ type: 'track_sync', parameters: { songIds: ids.slice(0, 6) } });
      const failed = await waitForJob(t, id, undefined, 60_000);
      expect(failed.status).toBe('failed');
      expect(failed.progress).toMatchObject({ total: 6, done: 0, failed: 0 });
      expect(failed.errorMessage).toMatch(/gave up after 2 attempts/);
      const [{ synced }] = await query<{ synced: number }>(t.db.url, 'SELECT count(*)::int AS synced FROM songs WHERE id = ANY($1::uuid[]) AND spotify_last_sync IS NOT NULL', [ids.slice(0, 6)]);
      expect(synced).toBe(0);

      // the failed chunk was not skipped: once the fault is gone, a retry does it all
      await query(t.db.url, 'DROP TABLE test_poison_db_on');
      await t.api().post(`/v1/sync-jobs/${id}/retry`).expect(202);
      const retried = await waitForJob(t, id, (job) => ['completed', 'failed'].includes(job.status) && job.retryCount > 1, 60_000);
      expect(retried).toMatchObject({ status: 'completed', progress: { total: 6, done: 5, failed: 1 } });
      const [failure] = await failuresOf(id);
      expect(failure).toEqual({ itemId: ids[0], reason: expect.stringMatching(/database refused the song's Spotify data/) });

      // the refused row alone is a failed item; the rest of its chunk is written
      const other = await waitForJob(t, await startJob({ type: 'track_sync', parameters: { songIds: [ids[0], ...ids.slice(6)] } }));
      expect(other).toMatchObject({ status: 'completed', progress: { total: 7, done: 6, failed: 1 } });
    } finally {
      await query(t.db.url, 'DROP TRIGGER IF EXISTS test_poison ON songs');
      await query(t.db.url, 'DROP TABLE IF EXISTS test_poison_db_on');
    }
  }, 120_000);

  it('user_library of a messy library, imported twice: skipped items counted, nothing falsely removed, a real removal and a new save seen', async () => {
    const library = sandbox.catalogue.slice(2200, 2320).map((track) => track.id); // 120 saves: 3+ pages with the junk
    const spotifyUserId = `messy-library-${tier}`;
    await sandbox.admin.setLibrary(spotifyUserId, library);
    const userId = await createUser(t);
    expect((await connect(t, userId, spotifyUserId)).status).toBeLessThan(400);
    const active = async () =>
      (
        await query<{ spotify_track_id: string }>(
          t.db.url,
          'SELECT spotify_track_id FROM spotify_saved_tracks WHERE user_id = $1 AND removed_at IS NULL ORDER BY 1',
          [userId],
        )
      ).map((r) => r.spotify_track_id);

    const first = await waitForJob(t, await startJob({ type: 'user_library', targetId: userId }), undefined, 60_000);
    // the preset puts a null track after every 7th save and a local file after every 11th
    const nulls = Math.floor(120 / 7);
    const locals = Math.floor(120 / 11);
    expect(first).toMatchObject({ status: 'completed', progress: { total: 120, done: 120, failed: 0 } });
    expect(first.resultMessage).toContain('Imported 120 saved tracks; 0 removed');
    expect(first.resultMessage).toContain(`Skipped ${nulls + locals} items without a usable track (no track: ${nulls}, local file: ${locals})`);
    expect(await active()).toEqual([...library].sort());

    const second = await waitForJob(t, await startJob({ type: 'user_library', targetId: userId }));
    expect(second).toMatchObject({ status: 'completed', resultMessage: 'Library unchanged since the last import' });
    expect(await active()).toEqual([...library].sort());

    // a removal deep in the library (page 3) and a new save
    const removedId = library[110];
    const added = sandbox.catalogue[2400].id;
    await sandbox.admin.removeSavedTracks(spotifyUserId, [removedId]);
    // a run that fails on unreadable pages marks nothing removed
    await sandbox.admin.configure({ dirty: { malformedEveryN: 1 } });
    const broken = await waitForJob(t, await startJob({ type: 'user_library', targetId: userId }), undefined, 60_000);
    expect(broken.status).toBe('failed');
    expect(broken.errorMessage).toMatch(/not JSON|expected/);
    expect(await active()).toEqual([...library].sort());

    await sandbox.admin.reset();
    await sandbox.admin.saveTracks(spotifyUserId, [added]);
    await t.api().post(`/v1/sync-jobs/${broken.id}/retry`).expect(202);
    const third = await waitForJob(t, broken.id, (job) => job.status === 'completed' || (job.status === 'failed' && job.retryCount > 1), 60_000);
    expect(third.status).toBe('completed');
    expect(third.resultMessage).toContain('Imported 120 saved tracks; 1 removed');
    expect(await active()).toEqual([...library.filter((id) => id !== removedId), added].sort());
    const { body: newSong } = await t.api().get(`/v1/songs/by-spotify-id/${added}`).expect(200);
    expect(newSong.spotifyLastSync).toEqual(expect.any(String));
  }, 120_000);

  it('user_library: a saved track the database refuses is one failed item; the rest of its page is imported and its save is not taken for removed', async () => {
    const library = sandbox.catalogue.slice(2330, 2340).map((track) => track.id);
    const poisoned = library[4];
    const spotifyUserId = `poisoned-library-${tier}`;
    await sandbox.admin.setLibrary(spotifyUserId, library);
    const userId = await createUser(t);
    expect((await connect(t, userId, spotifyUserId)).status).toBeLessThan(400);
    await withClient(t.db.url, async (pg) => {
      await pg.query(`CREATE OR REPLACE FUNCTION test_poison_track() RETURNS trigger AS $$
        BEGIN
          IF NEW.spotify_track_id = '${poisoned}' THEN RAISE EXCEPTION USING ERRCODE = '23514', MESSAGE = 'poisoned track'; END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql`);
      await pg.query('CREATE TRIGGER test_poison_track BEFORE INSERT ON songs FOR EACH ROW EXECUTE FUNCTION test_poison_track()');
    });
    try {
      const id = await startJob({ type: 'user_library', targetId: userId });
      const job = await waitForJob(t, id, undefined, 60_000);
      expect(job).toMatchObject({ status: 'completed', progress: { total: 10, done: 9, failed: 1 } });
      expect(await failuresOf(id)).toEqual([{ itemId: poisoned, reason: expect.stringMatching(/database refused the saved track/) }]);
      const saves = await query<{ spotify_track_id: string; song_id: string | null }>(
        t.db.url,
        'SELECT spotify_track_id, song_id FROM spotify_saved_tracks WHERE user_id = $1 AND removed_at IS NULL',
        [userId],
      );
      expect(saves.map((r) => r.spotify_track_id).sort()).toEqual([...library].sort());
      expect(saves.filter((r) => r.song_id === null).map((r) => r.spotify_track_id)).toEqual([poisoned]);
    } finally {
      await query(t.db.url, 'DROP TRIGGER IF EXISTS test_poison_track ON songs');
    }
  });

  it('a user_library whose connection lacks user-library-read fails at once, for good, without asking Spotify', async () => {
    const spotifyUserId = `no-scope-${tier}`;
    await sandbox.admin.setLibrary(spotifyUserId, [sandbox.catalogue[2500].id]);
    const userId = await createUser(t);
    expect((await connect(t, userId, spotifyUserId)).status).toBeLessThan(400);
    await query(t.db.url, `UPDATE spotify_connections SET scope = 'user-read-email' WHERE user_id = $1`, [userId]);
    await sandbox.admin.reset();
    const job = await waitForJob(t, await startJob({ type: 'user_library', targetId: userId }));
    expect(job).toMatchObject({ status: 'failed', retryCount: 0 });
    expect(job.errorMessage).toMatch(/does not grant user-library-read/);
    expect((await sandbox.admin.counters()).byEndpoint['GET /v1/me/tracks'] ?? 0).toBe(0);
  });

  if (tier === 'extended') {
    it('popularity_update: a refused id is one failed item (backed off, not gone), every other song of its batch updated', async () => {
      const tracks = sandbox.catalogue.slice(2560, 2590);
      const refused = undecodableId();
      await bulk([
        ...tracks.map((track) => ({ title: track.name, artist: 'Popular', spotifyTrackId: track.id })),
        { title: 'Refused popularity', artist: 'Poison', spotifyTrackId: refused },
      ]);
      await sandbox.admin.reset();
      const id = await startJob({ type: 'popularity_update' });
      const job = await waitForJob(t, id, undefined, 60_000);
      expect(job).toMatchObject({ status: 'completed', progress: { total: 31, done: 30, failed: 1 } });
      const [failure] = await failuresOf(id);
      expect(failure.reason).toMatch(/Spotify refused the id \(400: invalid id\)/);
      for (const track of tracks.slice(0, 5)) {
        const { body } = await t.api().get(`/v1/songs/by-spotify-id/${track.id}`).expect(200);
        expect(body.spotifyPopularity).toBe(track.popularity);
      }
      const [row] = await query<{ gone: boolean; failures: number }>(
        t.db.url,
        'SELECT spotify_track_gone_at IS NOT NULL AS gone, spotify_sync_failures AS failures FROM songs WHERE spotify_track_id = $1',
        [refused],
      );
      expect(row).toEqual({ gone: false, failures: 1 });
    });
  }

  if (tier === 'development') {
    it('a long 429 (capped) keeps what the chunk fetched before it: progress moves on under a quota smaller than a chunk', async () => {
      const tracks = sandbox.catalogue.slice(2520, 2560);
      await bulk(tracks.map((track) => ({ title: track.name, artist: 'Quota', spotifyTrackId: track.id })));
      const ids = await Promise.all(tracks.map(async (track) => (await t.api().get(`/v1/songs/by-spotify-id/${track.id}`).expect(200)).body.id as string));
      await sandbox.admin.reset();
      // every 15th request is a 429 asking for an hour: capped at 2 s, longer than the inline wait
      await sandbox.admin.configure({ dirty: { malformedEveryN: 0 }, rateLimit: { everyN: 15, retryAfterSeconds: 3600 } });
      const id = await startJob({ type: 'track_sync', parameters: { songIds: ids } });
      const delayed = await waitForJob(t, id, (job) => job.status === 'pending' && /capped/.test(job.resultMessage ?? ''), 60_000);
      expect(delayed.progress.done).toBeGreaterThan(0);
      expect(delayed.progress.done).toBeLessThan(40);
      expect(delayed.resultMessage).toMatch(/Delayed by Spotify until .*Spotify asked for 3600 s; capped by SPOTIFY_MAX_RETRY_AFTER_S/);

      const done: JobBody = await waitForJob(t, id, undefined, 90_000);
      expect(done).toMatchObject({ status: 'completed', progress: { total: 40, done: 40, failed: 0 } });
      // a track settled before a pause is never asked for again
      const answered = (await sandbox.admin.requests()).filter((r) => r.endpoint === 'GET /v1/tracks/{id}' && r.status === 200);
      expect(answered).toHaveLength(40);
      const [{ synced }] = await query<{ synced: number }>(t.db.url, 'SELECT count(*)::int AS synced FROM songs WHERE id = ANY($1::uuid[]) AND spotify_last_sync IS NOT NULL', [ids]);
      expect(synced).toBe(40);
    }, 120_000);
  }
});
