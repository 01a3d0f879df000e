import { Client } from 'pg';
import { createTestApp, API_KEY, TestApp } from './helpers/test-app';

const SECOND_KEY = 'second-key-abcdefghijkl';
const song = (title: string) => ({ title, artist: 'Queen' });

describe('Idempotency-Key', () => {
  let t: TestApp;
  let pg: Client;

  beforeAll(async () => {
    t = await createTestApp('idempotency');
    pg = new Client({ connectionString: t.db.url });
    await pg.connect();
  });
  afterAll(async () => {
    await pg.end();
    await t.close();
  });

  const countSongs = async (title: string) =>
    Number((await pg.query('SELECT count(*) AS n FROM songs WHERE title = $1', [title])).rows[0].n);
  const post = (url: string, key: string, apiKey = API_KEY) =>
    t.http().post(url).set('Authorization', `Bearer ${apiKey}`).set('Idempotency-Key', key);

  it('replays the first answer (status and body) for the same key and body, creating once', async () => {
    const first = await post('/v1/songs', 'replay-1').send(song('Replayed')).expect(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    // the same body with keys in another order is the same request
    const again = await post('/v1/songs', 'replay-1').send({ artist: 'Queen', title: 'Replayed' }).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers['content-type']).toMatch(/^application\/json/);
    expect(again.text).toBe(first.text);
    expect(await countSongs('Replayed')).toBe(1);
  });

  it('replays a bulk upsert (200, with rejected rows) as it was', async () => {
    const bulk = { songs: [song('Bulk A'), song('Bulk B'), { title: '' }] };
    const first = await post('/v1/songs/bulk', 'bulk-1').send(bulk).expect(200);
    expect(first.body).toMatchObject({ created: 2, updated: 0 });
    const again = await post('/v1/songs/bulk', 'bulk-1').send(bulk).expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await countSongs('Bulk A')).toBe(1);
  });

  it('replays a final 4xx too (a validation error is the answer to that body)', async () => {
    const first = await post('/v1/songs', 'invalid-1').send({ title: '' }).expect(400);
    const again = await post('/v1/songs', 'invalid-1').send({ title: '' }).expect(400);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
  });

  it('answers 422 for the same key with another body, and another path', async () => {
    await post('/v1/songs', 'conflict-1').send(song('First body')).expect(201);
    const other = await post('/v1/songs', 'conflict-1').send(song('Second body')).expect(422);
    expect(other.body).toMatchObject({ statusCode: 422, error: 'Unprocessable Entity', message: expect.stringMatching(/another request/) });
    await post('/v1/users', 'conflict-1').send({}).expect(422);
    expect(await countSongs('Second body')).toBe(0);
  });

  it('answers 409 while the first request with the key is still in flight, then replays it', async () => {
    // hold the first request inside its INSERT: reads pass, writes to songs wait for this lock
    const locker = new Client({ connectionString: t.db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE songs IN EXCLUSIVE MODE');
      const first = post('/v1/songs/bulk', 'in-flight-1').send({ songs: [song('Slow A'), song('Slow B')] }).then((r) => r);
      await waitFor(async () => (await pg.query("SELECT 1 FROM idempotency_keys WHERE idempotency_key = 'in-flight-1'")).rowCount === 1);
      const second = await post('/v1/songs/bulk', 'in-flight-1').send({ songs: [song('Slow A'), song('Slow B')] }).expect(409);
      expect(second.body).toMatchObject({ statusCode: 409, message: expect.stringMatching(/in flight/) });
      await locker.query('COMMIT');
      const firstAnswer = await first;
      expect(firstAnswer.status).toBe(200);
      const third = await post('/v1/songs/bulk', 'in-flight-1').send({ songs: [song('Slow A'), song('Slow B')] }).expect(200);
      expect(third.headers['idempotent-replayed']).toBe('true');
      expect(third.body).toEqual(firstAnswer.body);
      expect(await countSongs('Slow A')).toBe(1);
    } finally {
      await locker.end();
    }
  });

  it('creates once when the same request races itself with one key', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => post('/v1/songs', 'race-1').send(song('Raced'))));
    const statuses = answers.map((a) => a.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const created = answers.filter((a) => a.status === 201);
    expect(created.filter((a) => a.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
    expect(new Set(created.map((a) => a.body.id)).size).toBe(1);
    expect(await countSongs('Raced')).toBe(1);
  });

  it('scopes keys to the API key, and stores only a digest of it', async () => {
    await post('/v1/songs', 'scoped-1').send(song('Scoped')).expect(201);
    const other = await post('/v1/songs', 'scoped-1', SECOND_KEY).send(song('Scoped')).expect(201);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(await countSongs('Scoped')).toBe(2);
    const rows = await pg.query("SELECT api_key_hash, idempotency_key, request_hash, response_body FROM idempotency_keys WHERE idempotency_key = 'scoped-1'");
    expect(rows.rowCount).toBe(2);
    expect(JSON.stringify(rows.rows)).not.toContain(API_KEY);
    expect(JSON.stringify(rows.rows)).not.toContain(SECOND_KEY);
  });

  it('forgets a key after 24 hours: it runs again, and the expired row is cleaned up', async () => {
    await post('/v1/songs', 'expiry-1').send(song('Expiring')).expect(201);
    const row = await pg.query("SELECT extract(epoch FROM expires_at - locked_at)::int AS ttl FROM idempotency_keys WHERE idempotency_key = 'expiry-1'");
    expect(row.rows[0].ttl).toBe(24 * 3600);
    await pg.query("UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE idempotency_key = 'expiry-1'");
    // an expired key is free again, even with another body
    const again = await post('/v1/songs', 'expiry-1').send(song('Expiring again')).expect(201);
    expect(again.headers['idempotent-replayed']).toBeUndefined();

    await post('/v1/songs', 'expiry-2').send(song('Expiring 2')).expect(201);
    await pg.query("UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE idempotency_key = 'expiry-2'");
    const { IdempotencyService } = await import('../src/idempotency/idempotency.service');
    expect(await t.app.get(IdempotencyService).deleteExpired()).toBe(1);
    expect((await pg.query("SELECT 1 FROM idempotency_keys WHERE idempotency_key LIKE 'expiry-%'")).rowCount).toBe(1);
  });

  it.each([
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['a space', 'two words'],
    ['a non-ASCII character', 'caf\u00e9'],
  ])('refuses an Idempotency-Key with %s (400 naming the header), creating nothing', async (_label, key) => {
    const res = await post('/v1/songs', key).send(song(`Bad key ${key.length}`)).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, details: [{ field: 'Idempotency-Key', reasons: [expect.stringMatching(/visible ASCII/)] }] });
    expect(await countSongs(`Bad key ${key.length}`)).toBe(0);
  });

  it('accepts 255 visible characters, and leaves requests without a key alone', async () => {
    await post('/v1/songs', '~'.repeat(255)).send(song('Long key')).expect(201);
    const plain = await t.api().post('/v1/songs').send(song('No key')).expect(201);
    await t.api().post('/v1/songs').send(song('No key')).expect(201);
    expect(plain.headers['idempotent-replayed']).toBeUndefined();
    expect(await countSongs('No key')).toBe(2);
  });

  it('frees the key after an answer that is not final (a 5xx, a 409), so a retry runs again', async () => {
    const id = (await t.api().post('/v1/songs').send({ ...song('Linked'), spotifyTrackId: '4u7EnebtmKWzUH433cf5Qv' }).expect(201)).body.id;
    // a conflict (the track is linked to another song) is not stored
    const created = await t.api().post('/v1/songs').send(song('Unlinked')).expect(201);
    await t.http().put(`/v1/songs/${created.body.id}/spotify`).set('Authorization', `Bearer ${API_KEY}`).send({ spotifyTrackId: '4u7EnebtmKWzUH433cf5Qv' }).expect(409);
    await post('/v1/songs', 'free-1').send({ ...song('Dup'), spotifyTrackId: '4u7EnebtmKWzUH433cf5Qv' }).expect(409);
    expect((await pg.query("SELECT 1 FROM idempotency_keys WHERE idempotency_key = 'free-1'")).rowCount).toBe(0);
    await t.api().delete(`/v1/songs/${id}`).expect(204);
    await post('/v1/songs', 'free-1').send({ ...song('Dup'), spotifyTrackId: '4u7EnebtmKWzUH433cf5Qv' }).expect(201);

    // Spotify unreachable: match answers 502, and the key is free again
    const down = await createTestApp('idempotency_down', { SPOTIFY_API_BASE_URL: 'http://127.0.0.1:1/v1', SPOTIFY_ACCOUNTS_BASE_URL: 'http://127.0.0.1:1', SPOTIFY_MAX_ATTEMPTS: '1' }, t.db);
    try {
      const target = (await down.api().post('/v1/songs').send({ ...song('Bohemian Rhapsody'), isrc: 'GBUM71029604' }).expect(201)).body.id;
      const res = await down.http().post(`/v1/songs/${target}/spotify/match`).set('Authorization', `Bearer ${API_KEY}`).set('Idempotency-Key', 'free-2');
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect((await pg.query("SELECT 1 FROM idempotency_keys WHERE idempotency_key = 'free-2'")).rowCount).toBe(0);
    } finally {
      await down.close();
    }
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
