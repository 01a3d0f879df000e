import { Client } from 'pg';
import { isrc, songInput, spotifyId } from './factories/song.factory';
import { createTestApp, TestApp } from './helpers/test-app';

/** Bulk upsert: one transaction per request, refused rows rejected alone, one song per new ISRC under concurrency. */
describe('bulk upsert atomicity', () => {
  let t: TestApp;
  let pg: Client;

  beforeAll(async () => {
    t = await createTestApp('songs_bulk_atomic');
    pg = new Client({ connectionString: t.db.url });
    await pg.connect();
  });
  afterAll(async () => {
    await pg.end();
    await t.close();
  });

  const count = async (sql: string, params: unknown[]) => Number((await pg.query(sql, params)).rows[0].n);

  it('rejects a row the database refuses, writes the valid rows, and never answers 5xx', async () => {
    const [goodId, refusedId] = [spotifyId(), spotifyId()];
    const good = songInput({ spotifyTrackId: goodId });
    // a rule only the database knows (validation passes the row): this test's own CHECK constraint
    await pg.query(`ALTER TABLE songs ADD CONSTRAINT test_refused_title CHECK (title <> 'refused by the database')`);
    const refused = songInput({ spotifyTrackId: refusedId, title: 'refused by the database' });
    const res = await t.api().post('/v1/songs/bulk').send({ songs: [good, refused] });
    expect(res.status).toBe(200);
    expect(res.body.created).toBe(1);
    expect(res.body.rejected).toHaveLength(1);
    expect(res.body.rejected[0].index).toBe(1);
    expect(JSON.stringify(res.body)).not.toMatch(/insert|values|violates/i);
    expect(await count('SELECT count(*) AS n FROM songs WHERE spotify_track_id = $1', [goodId])).toBe(1);
    expect(await count('SELECT count(*) AS n FROM songs WHERE spotify_track_id = $1', [refusedId])).toBe(0);
    await pg.query('ALTER TABLE songs DROP CONSTRAINT test_refused_title');
  });

  it('answers 30 concurrent bulk upserts (3x the pool) with 200s, quickly', async () => {
    const started = Date.now();
    const batches = Array.from({ length: 30 }, () => Array.from({ length: 20 }, () => songInput({ spotifyTrackId: spotifyId(), isrc: isrc() })));
    const answers = await Promise.all(batches.map((songs) => t.api().post('/v1/songs/bulk').send({ songs })));
    const elapsed = Date.now() - started;
    expect(answers.map((a) => a.status)).toEqual(Array(30).fill(200));
    expect(answers.reduce((n, a) => n + a.body.created, 0)).toBe(600);
    expect(elapsed).toBeLessThan(15_000);
  });

  it('creates one song when concurrent requests carry the same new ISRC without a Spotify id', async () => {
    const shared = isrc();
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        t.api().post('/v1/songs/bulk').send({ songs: [songInput({ isrc: shared, title: `Take ${i}` }), songInput({ isrc: isrc() })] }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    expect(await count('SELECT count(*) AS n FROM songs WHERE isrc = $1', [shared])).toBe(1);
    expect(answers.reduce((n, a) => n + a.body.created, 0)).toBe(1 + 12);
  });
});
