import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { isrc, songInput, spotifyId } from './factories/song.factory';
import { createTestApp, TestApp } from './helpers/test-app';

describe('songs API', () => {
  let t: TestApp;
  let pg: Client;

  beforeAll(async () => {
    t = await createTestApp('songs');
    pg = new Client({ connectionString: t.db.url });
    await pg.connect();
  });
  afterAll(async () => {
    await pg.end();
    await t.close();
  });

  describe('create, read, update, delete', () => {
    it('creates a song with audio features rounded to the schema precision', async () => {
      const trackId = spotifyId();
      const res = await t
        .api()
        .post('/v1/songs')
        .send(songInput({ title: 'Bohemian Rhapsody', spotifyTrackId: trackId, energy: 0.4014, speechiness: 0.0567, loudness: -9.961 }))
        .expect(201);
      expect(res.body).toMatchObject({
        title: 'Bohemian Rhapsody',
        spotifyTrackId: trackId,
        energy: 0.401,
        speechiness: 0.06,
        loudness: -9.96,
        audioFeaturesSynced: false,
        spotifyPopularity: null,
        spotifyLastSync: null,
      });
      const read = await t.api().get(`/v1/songs/${res.body.id}`).expect(200);
      expect(read.body).toEqual(res.body);
      const bySpotify = await t.api().get(`/v1/songs/by-spotify-id/${trackId}`).expect(200);
      expect(bySpotify.body.id).toBe(res.body.id);
    });

    it('answers 409 for a Spotify id that is already linked', async () => {
      const trackId = spotifyId();
      await t.api().post('/v1/songs').send(songInput({ spotifyTrackId: trackId })).expect(201);
      const res = await t.api().post('/v1/songs').send(songInput({ spotifyTrackId: trackId })).expect(409);
      expect(res.body.message).toContain(trackId);
    });

    it('rejects invalid fields with 400 naming each one and writes nothing', async () => {
      const before = await pg.query('SELECT count(*)::int AS n FROM songs');
      const res = await t
        .api()
        .post('/v1/songs')
        .send({ title: '', artist: 'x', spotifyTrackId: 'short', energy: 1.5, loudness: -61, durationMs: 0, isrc: 'bad' })
        .expect(400);
      const fields = res.body.details.map((d: { field: string }) => d.field).sort();
      expect(fields).toEqual(['durationMs', 'energy', 'isrc', 'loudness', 'spotifyTrackId', 'title']);
      const after = await pg.query('SELECT count(*)::int AS n FROM songs');
      expect(after.rows[0].n).toBe(before.rows[0].n);
    });

    it('refuses writes to Spotify-owned fields with a reason', async () => {
      const res = await t.api().post('/v1/songs').send(songInput({ spotifyPopularity: 80 })).expect(400);
      expect(res.body.details).toEqual([{ field: 'spotifyPopularity', reasons: ['spotifyPopularity is read-only: Spotify sync sets it'] }]);
    });

    it('patches caller fields, clears audioFeaturesSynced when features are written, and refuses relinking', async () => {
      const { body: song } = await t.api().post('/v1/songs').send(songInput()).expect(201);
      await pg.query('UPDATE songs SET audio_features_synced = true, spotify_popularity = 55 WHERE id = $1', [song.id]);
      const renamed = await t.api().patch(`/v1/songs/${song.id}`).send({ title: 'New title', album: null }).expect(200);
      expect(renamed.body).toMatchObject({ title: 'New title', album: null, audioFeaturesSynced: true, spotifyPopularity: 55 });
      const featured = await t.api().patch(`/v1/songs/${song.id}`).send({ valence: 0.5 }).expect(200);
      expect(featured.body).toMatchObject({ valence: 0.5, audioFeaturesSynced: false });
      const relink = await t.api().patch(`/v1/songs/${song.id}`).send({ spotifyTrackId: spotifyId() }).expect(400);
      expect(relink.body.details[0].field).toBe('spotifyTrackId');
      await t.api().patch(`/v1/songs/${randomUUID()}`).send({ title: 'x' }).expect(404);
    });

    it('deletes a song', async () => {
      const { body: song } = await t.api().post('/v1/songs').send(songInput()).expect(201);
      await t.api().delete(`/v1/songs/${song.id}`).expect(204);
      await t.api().get(`/v1/songs/${song.id}`).expect(404);
      await t.api().delete(`/v1/songs/${song.id}`).expect(404);
    });

    it('answers 404 for an unknown Spotify id and 400 for a malformed one', async () => {
      await t.api().get(`/v1/songs/by-spotify-id/${spotifyId()}`).expect(404);
      const res = await t.api().get('/v1/songs/by-spotify-id/abc').expect(400);
      expect(res.body.details[0].field).toBe('trackId');
    });

    it('needs an API key', async () => {
      await t.http().get('/v1/songs').expect(401);
      await t.http().post('/v1/songs/bulk').send({ songs: [songInput()] }).expect(401);
    });
  });

  describe('bulk upsert', () => {
    it('creates, updates by Spotify id, updates by ISRC, and rejects bad or repeated rows per row', async () => {
      const trackId = spotifyId();
      const sharedIsrc = isrc();
      await t.api().post('/v1/songs').send(songInput({ title: 'Old', spotifyTrackId: trackId, album: 'Kept' })).expect(201);
      await t.api().post('/v1/songs').send(songInput({ title: 'Old by ISRC', isrc: sharedIsrc })).expect(201);

      const res = await t
        .api()
        .post('/v1/songs/bulk')
        .send({
          songs: [
            songInput({ title: 'New one' }),
            songInput({ title: 'Updated', spotifyTrackId: trackId }),
            songInput({ title: 'Updated by ISRC', isrc: sharedIsrc }),
            { artist: 'no title' },
            songInput({ title: 'Again', spotifyTrackId: trackId }),
            songInput({ spotifyPopularity: 3 }),
            'not an object',
          ],
        })
        .expect(200);
      expect(res.body.created).toBe(1);
      expect(res.body.updated).toBe(2);
      expect(res.body.rejected.map((r: { index: number }) => r.index)).toEqual([3, 4, 5, 6]);
      expect(res.body.rejected[1].reasons[0]).toMatch(/spotifyTrackId/);

      const linked = await t.api().get(`/v1/songs/by-spotify-id/${trackId}`).expect(200);
      expect(linked.body).toMatchObject({ title: 'Updated', album: 'Kept' });
      const byIsrc = await pg.query('SELECT title FROM songs WHERE isrc = $1', [sharedIsrc]);
      expect(byIsrc.rows).toEqual([{ title: 'Updated by ISRC' }]);
    });

    it('takes 1,000 songs in one request and refuses more', async () => {
      const songs = Array.from({ length: 1000 }, (_, i) => songInput({ title: `Bulk ${i}`, spotifyTrackId: spotifyId(), isrc: isrc(), energy: 0.5, album: 'A'.repeat(300) }));
      const res = await t.api().post('/v1/songs/bulk').send({ songs }).expect(200);
      expect(res.body).toEqual({ created: 1000, updated: 0, rejected: [] });
      const tooMany = await t.api().post('/v1/songs/bulk').send({ songs: [...songs, songInput()] }).expect(400);
      expect(tooMany.body.details[0].field).toBe('songs');
    });

    it('answers 413 in the one error shape for a body over 1 MB', async () => {
      const res = await t.api().post('/v1/songs/bulk').set('Content-Type', 'application/json').send(JSON.stringify({ songs: [{ title: 'x'.repeat(1_100_000) }] })).expect(413);
      expect(res.body).toEqual({ statusCode: 413, error: 'Payload Too Large', message: 'Request body is larger than 1 MB' });
    });

    it('answers 400 in the one error shape for malformed JSON', async () => {
      const res = await t.api().post('/v1/songs').set('Content-Type', 'application/json').send('{"title": ').expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    });
  });
});
