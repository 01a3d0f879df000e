import fc from 'fast-check';
import { Client } from 'pg';
import { createTestApp, TestApp } from './helpers/test-app';

/**
 * The list reads plain rows and maps them itself (no entities): every stored value must come
 * out exactly as the entity path (GET /v1/songs/:id) gives it, nulls, decimals and
 * microsecond timestamps included.
 */
describe('songs list: items have the same shape as single reads', () => {
  let t: TestApp;
  let pg: Client;

  beforeAll(async () => {
    t = await createTestApp('songs_list_shape');
    pg = new Client({ connectionString: t.db.url });
    await pg.connect();
  });
  afterAll(async () => {
    await pg.end();
    await t.close();
  });

  const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
  const decimal = (max: number, scale: number, min = 0) =>
    fc.integer({ min: min * 10 ** scale, max: max * 10 ** scale }).map((n) => (n / 10 ** scale).toFixed(scale));
  // microseconds on purpose: the response keeps milliseconds, as Date does
  const timestamp = fc
    .record({ ms: fc.integer({ min: Date.parse('1990-01-01'), max: Date.parse('2099-12-31') }), micros: fc.integer({ min: 0, max: 999 }) })
    .map(({ ms, micros }) => `${new Date(ms).toISOString().slice(0, -1).replace('T', ' ')}${String(micros).padStart(3, '0')}`);
  const row = fc.record({
    album: maybe(fc.string({ maxLength: 20 })),
    duration_ms: maybe(fc.integer({ min: 1, max: 86_400_000 })),
    isrc: maybe(fc.stringMatching(/^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$/)),
    spotify_popularity: maybe(fc.integer({ min: 0, max: 100 })),
    spotify_preview_url: maybe(fc.webUrl()),
    spotify_external_url: maybe(fc.webUrl()),
    audio_features_synced: maybe(fc.boolean()),
    spotify_last_sync: maybe(timestamp),
    last_popularity_update: maybe(timestamp),
    energy: maybe(decimal(1, 3)),
    valence: maybe(decimal(1, 3)),
    speechiness: maybe(decimal(1, 2)),
    loudness: maybe(decimal(5, 2, -60)),
    created_at: timestamp,
    updated_at: timestamp,
  });

  it('for generated rows', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(row, async (values) => {
        const title = `Shape ${n++}`;
        const columns = Object.keys(values);
        const { rows } = await pg.query(
          `INSERT INTO songs (title, artist, ${columns.join(', ')})
           VALUES ($1, 'Artist', ${columns.map((_, i) => `$${i + 2}`).join(', ')}) RETURNING id`,
          [title, ...Object.values(values)],
        );
        const list = await t.api().get('/v1/songs').query({ q: title, limit: 1 }).expect(200);
        const single = await t.api().get(`/v1/songs/${rows[0].id}`).expect(200);
        expect(list.body.items).toEqual([single.body]);
        await pg.query('DELETE FROM songs WHERE id = $1', [rows[0].id]);
      }),
      { numRuns: 60 },
    );
  });
});
