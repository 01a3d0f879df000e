import { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { createOrmConfig } from '../src/config/mikro-orm.config';
import { Song } from '../src/songs/song.entity';
import { SongRepository } from '../src/songs/song.repository';
import { ListSongsQuery } from '../src/songs/songs.dto';
import { createTestApp, TestApp } from './helpers/test-app';

/**
 * 20 small songs for exact filter/sort checks, then 20,000 filler rows (ANALYZEd) so that
 * EXPLAIN shows the plan the planner really picks for the list queries.
 */
describe('songs list: filters, sorts, cursors, indexes', () => {
  let t: TestApp;
  let pg: Client;
  const day = 24 * 3600 * 1000;
  const now = Date.parse('2026-11-27T12:00:00Z');

  async function listAll(query: Record<string, string | number>) {
    const items: Record<string, unknown>[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: Record<string, unknown>[]; nextCursor: string | null } } = await t
        .api()
        .get('/v1/songs')
        .query({ ...query, ...(cursor ? { cursor } : {}) })
        .expect(200);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return items;
  }

  beforeAll(async () => {
    t = await createTestApp('songs_list');
    pg = new Client({ connectionString: t.db.url });
    await pg.connect();
    // 20 marked songs: popularity i*5 for even i, synced i days ago for i % 3 != 0
    for (let i = 0; i < 20; i++) {
      await pg.query(
        `INSERT INTO songs (title, artist, spotify_popularity, spotify_last_sync, audio_features_synced, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          `Marked ${String(i).padStart(2, '0')}`,
          i % 2 ? 'Queen' : 'ABBA',
          i % 2 === 0 ? i * 5 : null,
          i % 3 ? new Date(now - i * day) : null,
          i % 4 === 0,
          new Date(now - (20 - i) * 60_000),
        ],
      );
    }
    // filler: old, unsynced, no popularity except a spread of low values
    await pg.query(`
      INSERT INTO songs (title, artist, spotify_popularity, spotify_last_sync, created_at)
      SELECT 'Filler ' || g, 'Various', CASE WHEN g % 50 = 0 THEN g % 40 ELSE NULL END,
             CASE WHEN g % 10 = 0 THEN timestamp '2026-06-01' + (g || ' seconds')::interval ELSE NULL END,
             timestamp '2025-01-01' + (g || ' seconds')::interval
        FROM generate_series(1, 20000) g`);
    await pg.query('ANALYZE songs');
  });
  afterAll(async () => {
    await pg.end();
    await t.close();
  });

  const marked = (items: Record<string, unknown>[]) => items.filter((s) => String(s.title).startsWith('Marked'));

  it('defaults to -createdAt, 50 a page', async () => {
    const res = await t.api().get('/v1/songs').expect(200);
    expect(res.body.items).toHaveLength(50);
    expect(res.body.items[0].title).toBe('Marked 19');
    expect(res.body.nextCursor).toEqual(expect.any(String));
  });

  it('pages through a whole filtered list with cursors, without gaps or repeats', async () => {
    const items = await listAll({ q: 'marked', limit: 3 });
    expect(items.map((s) => s.title)).toEqual(Array.from({ length: 20 }, (_, i) => `Marked ${String(19 - i).padStart(2, '0')}`));
  });

  it('filters by popularity range and sorts by popularity both ways', async () => {
    const asc = await listAll({ minPopularity: 40, maxPopularity: 90, sort: 'popularity', limit: 2 });
    expect(asc.map((s) => s.spotifyPopularity)).toEqual([40, 50, 60, 70, 80, 90]);
    const desc = marked(await listAll({ q: 'Marked', sort: '-popularity', limit: 4 }));
    expect(desc.map((s) => s.spotifyPopularity)).toEqual([90, 80, 70, 60, 50, 40, 30, 20, 10, 0]);
  });

  it('filters by synced, audioFeaturesSynced and staleBefore (never-synced songs excluded)', async () => {
    const synced = await listAll({ q: 'Marked', synced: 'true', limit: 5 });
    expect(synced).toHaveLength(13);
    expect(synced.every((s) => s.spotifyLastSync !== null)).toBe(true);
    const unsynced = await listAll({ q: 'Marked', synced: 'false' });
    expect(unsynced).toHaveLength(7);
    const features = await listAll({ q: 'Marked', audioFeaturesSynced: 'true' });
    expect(features.map((s) => s.title).sort()).toEqual(['Marked 00', 'Marked 04', 'Marked 08', 'Marked 12', 'Marked 16']);
    const stale = await listAll({ q: 'Marked', staleBefore: new Date(now - 10 * day).toISOString() });
    expect(stale.map((s) => s.title).sort()).toEqual(['Marked 11', 'Marked 13', 'Marked 14', 'Marked 16', 'Marked 17', 'Marked 19']);
  });

  it('sorts lastSync stalest first (never synced first) and -lastSync the reverse, across pages', async () => {
    const stalest = await listAll({ q: 'Marked', sort: 'lastSync', limit: 4 });
    const syncTimes = stalest.map((s) => s.spotifyLastSync as string | null);
    expect(syncTimes.slice(0, 7)).toEqual(Array(7).fill(null));
    const rest = syncTimes.slice(7) as string[];
    expect(rest).toEqual([...rest].sort());
    const freshest = await listAll({ q: 'Marked', sort: '-lastSync', limit: 4 });
    // newest sync first, never-synced songs last
    expect(freshest.slice(0, 13).map((s) => s.id)).toEqual(stalest.slice(7).map((s) => s.id).reverse());
    expect(freshest.slice(13).every((s) => s.spotifyLastSync === null)).toBe(true);
  });

  it('sorts by title', async () => {
    const items = await listAll({ q: 'Marked', sort: 'title', limit: 7 });
    expect(items.map((s) => s.title)).toEqual([...items.map((s) => s.title)].sort());
  });

  it('refuses a cursor reused with other filters, a forged cursor, and limit over 200', async () => {
    const first = await t.api().get('/v1/songs').query({ q: 'Marked', limit: 2 }).expect(200);
    const reused = await t.api().get('/v1/songs').query({ q: 'Queen', limit: 2, cursor: first.body.nextCursor }).expect(400);
    expect(reused.body.details[0].field).toBe('cursor');
    await t.api().get('/v1/songs').query({ cursor: 'garbage' }).expect(400);
    const big = await t.api().get('/v1/songs').query({ limit: 201 }).expect(400);
    expect(big.body.details[0].field).toBe('limit');
    const badSort = await t.api().get('/v1/songs').query({ sort: 'nope', minPopularity: 101 }).expect(400);
    expect(badSort.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['minPopularity', 'sort']);
  });

  it('refuses, with a 400, every cursor it did not sign: edited payload, other sort, unkeyed forgeries', async () => {
    const first = await t.api().get('/v1/songs').query({ q: 'Marked', limit: 2 }).expect(200);
    const cursor: string = first.body.nextCursor;
    const [body] = cursor.split('.');
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    // the first edition's unkeyed format, with a fingerprint anyone can compute
    const forgedOld = b64({ ...payload, k: ['zzz', '00000000-0000-4000-8000-000000000000'] });
    const edited = `${b64({ ...payload, k: [{ $gt: 1 }, null] })}.${cursor.split('.')[1]}`;
    const bad = [forgedOld, edited, `${body}.`, `${body}.${'A'.repeat(43)}`, `${cursor}.x`, '.', '%00', 'a'.repeat(1000)];
    for (const c of bad) {
      const res = await t.api().get('/v1/songs').query({ q: 'Marked', limit: 2, cursor: c }).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, details: [{ field: 'cursor' }] });
    }
    const otherSort = await t.api().get('/v1/songs').query({ q: 'Marked', limit: 2, sort: 'title', cursor }).expect(400);
    expect(otherSort.body.details[0].field).toBe('cursor');
    await t.api().get('/v1/songs').query({ q: 'Marked', limit: 2, cursor }).expect(200);
  });

  describe('query plans', () => {
    let orm: MikroORM;
    let repo: SongRepository;

    beforeAll(async () => {
      orm = await MikroORM.init(createOrmConfig(t.db.url));
      repo = orm.em.fork().getRepository(Song) as SongRepository;
    });
    afterAll(() => orm.close(true));

    async function plan(query: ListSongsQuery): Promise<string> {
      const { sql, bindings } = repo.buildListQuery(query).toSQL().toNative();
      const res = await pg.query(`EXPLAIN ${sql}`, bindings as unknown[]);
      return res.rows.map((r) => r['QUERY PLAN']).join('\n');
    }

    it.each([
      [{ sort: '-popularity' }, 'idx_songs_popularity'],
      [{ sort: 'popularity', minPopularity: 90 }, 'idx_songs_popularity'],
      [{ minPopularity: 95 }, 'idx_songs_popularity'],
      [{ staleBefore: '2026-06-01T00:05:00Z' }, 'idx_songs_spotify_sync'],
      [{ synced: true, sort: '-lastSync' }, 'idx_songs_spotify_sync'],
      [{}, 'idx_songs_created_at'],
    ] as [ListSongsQuery, string][])('%j uses %s', async (query, index) => {
      expect(await plan(query)).toContain(index);
    });
  });
});
