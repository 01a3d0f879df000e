import fc from 'fast-check';
import { query } from './helpers/database';
import { createTestApp, TestApp } from './helpers/test-app';

/**
 * Issue 11: arbitrary JSON and hostile shapes at every write route. Never a 5xx, always the
 * contract's error shape, and a refused request changes no row.
 */
describe('every write route under arbitrary JSON', () => {
  let t: TestApp;
  let songId: string;
  let userId: string;

  beforeAll(async () => {
    // api role: jobs are created but not run, so row counts only move by what the request did
    t = await createTestApp('write_routes_property', {
      APP_ROLE: 'api',
      // nothing here may reach a real Spotify
      SPOTIFY_API_BASE_URL: 'http://127.0.0.1:1/v1',
      SPOTIFY_ACCOUNTS_BASE_URL: 'http://127.0.0.1:1',
    });
    songId = (await t.api().post('/v1/songs').send({ title: 'Fixture', artist: 'Fixture' }).expect(201)).body.id;
    userId = (await t.api().post('/v1/users').send({}).expect(201)).body.id;
  });
  afterAll(async () => {
    await t.close();
  });

  const hostileString = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.constantFrom('', '\u0000', 'a\u0000b', '__proto__', 'constructor', '%00', "'; DROP TABLE songs; --", '\ud800', 'x'.repeat(10_001)),
  );
  const scalar = fc.oneof(
    hostileString,
    fc.constantFrom(null, true, false, 0, -1, 1e308, -0, 2 ** 53 + 1, 0.1, 1e-300),
    fc.double(),
    fc.integer(),
  );
  const value = fc.letrec((tie) => ({
    v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, scalar, tie('arr'), tie('obj')),
    arr: fc.array(tie('v'), { maxLength: 4 }),
    obj: fc.dictionary(fc.oneof(hostileString, fc.constantFrom('title', 'artist', 'songs', 'type', 'parameters', 'targetId', 'email')), tie('v'), { maxKeys: 5 }),
  })).v;
  const songFields = ['title', 'artist', 'album', 'durationMs', 'isrc', 'spotifyTrackId', 'energy', 'loudness', 'id', 'spotifyPopularity'];
  const songLike = fc.dictionary(fc.constantFrom(...songFields), value, { maxKeys: 6 });
  const bodies = {
    any: fc.oneof(value, fc.jsonValue()),
    song: songLike,
    bulk: fc.record({ songs: fc.oneof(fc.array(songLike, { maxLength: 5 }), value) }, { requiredKeys: [] }),
    user: fc.dictionary(fc.constantFrom('id', 'email', 'displayName'), value, { maxKeys: 3 }),
    job: fc.record(
      {
        type: fc.oneof(fc.constantFrom('track_sync', 'user_library', 'popularity_update'), value),
        targetId: fc.oneof(fc.constant('00000000-0000-4000-8000-000000000000'), value),
        parameters: fc.oneof(fc.dictionary(fc.constantFrom('songIds', 'staleAfter', 'maxRequests'), value, { maxKeys: 3 }), value),
      },
      { requiredKeys: [] },
    ),
    link: fc.record({ spotifyTrackId: value }, { requiredKeys: [] }),
  };

  const counts = async () =>
    (
      await query<{ n: string }>(
        t.db.url,
        `SELECT (SELECT count(*) FROM users) || '/' || (SELECT count(*) FROM songs) || '/' ||
                (SELECT count(*) FROM spotify_sync_jobs) || '/' || (SELECT md5(string_agg(songs::text, ',' ORDER BY id)) FROM songs) AS n`,
      )
    )[0].n;

  const routes: [string, (ids: { songId: string; userId: string }) => string, 'post' | 'patch' | 'put', fc.Arbitrary<unknown>][] = [
    ['POST /v1/users', () => '/v1/users', 'post', fc.oneof(bodies.user, bodies.any)],
    ['POST /v1/songs', () => '/v1/songs', 'post', fc.oneof(bodies.song, bodies.any)],
    ['POST /v1/songs/bulk', () => '/v1/songs/bulk', 'post', fc.oneof(bodies.bulk, bodies.any)],
    ['PATCH /v1/songs/:id', ({ songId: id }) => `/v1/songs/${id}`, 'patch', fc.oneof(bodies.song, bodies.any)],
    ['PUT /v1/songs/:id/spotify', ({ songId: id }) => `/v1/songs/${id}/spotify`, 'put', fc.oneof(bodies.link, bodies.any)],
    ['POST /v1/sync-jobs', () => '/v1/sync-jobs', 'post', fc.oneof(bodies.job, bodies.any)],
    ['POST /v1/users/:id/spotify/authorize', ({ userId: id }) => `/v1/users/${id}/spotify/authorize`, 'post', bodies.any],
  ];

  it.each(routes)('%s: never 5xx, the contract error shape, no write when refused', async (_name, path, method, body) => {
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const before = await counts();
        const text = JSON.stringify(payload) ?? 'null';
        const res = await t.api()[method](path({ songId, userId })).set('Content-Type', 'application/json').send(text);
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) {
          expect(Object.keys(res.body).filter((k) => !['statusCode', 'error', 'message', 'details'].includes(k))).toEqual([]);
          expect(res.body.statusCode).toBe(res.status);
          expect(typeof res.body.error).toBe('string');
          expect(typeof res.body.message).toBe('string');
          if (res.body.details !== undefined) {
            expect(Array.isArray(res.body.details)).toBe(true);
            expect(res.body.details.length).toBeLessThanOrEqual(50);
            for (const d of res.body.details) {
              expect(typeof d.field).toBe('string');
              expect(Array.isArray(d.reasons)).toBe(true);
            }
          }
          expect(await counts()).toBe(before);
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
