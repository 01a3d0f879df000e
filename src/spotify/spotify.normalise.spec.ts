import fc from 'fast-check';
import { mapAudioFeatures, mapAudioFeaturesPartial, mapSavedTrackItems, mapTrack } from './spotify.mappers';
import { AUDIO_FEATURE_RANGES, DropCounter, normaliseHttpsUrl, normaliseIsrc, STORED_AUDIO_FEATURES } from './spotify.normalise';
import type { NormalisedAudioFeatures, SpotifyTrack } from './spotify.types';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'.split('');
const INT_MAX = 2_147_483_647;

// Values of every kind, biased towards the almost-right ones Spotify really sends.
const anyValue = fc.oneof(
  fc.anything(),
  fc.constantFrom(null, undefined, '', 0, -0, -1, 101, 1.5, NaN, Infinity, -Infinity, '42', true, [], {}),
  fc.double(),
  fc.integer(),
  fc.string(),
);
const spotifyId = fc.array(fc.constantFrom(...BASE62), { minLength: 22, maxLength: 22 }).map((c) => c.join(''));
const isrcLike = fc.oneof(
  fc.stringMatching(/^[A-Za-z]{2}-?[A-Za-z0-9]{3}-?[0-9]{2}-?[0-9]{5}$/),
  fc.stringMatching(/^ ?[a-zA-Z0-9 -]{0,20}$/),
  anyValue,
);
const urlLike = fc.oneof(fc.webUrl(), fc.constantFrom('http://p.scdn.co/x', 'javascript:alert(1)', 'https://', 'ftp://x/y'), anyValue);
const rawTrack = fc.record(
  {
    id: fc.oneof(spotifyId, anyValue),
    name: fc.oneof(fc.string({ maxLength: 700 }), anyValue),
    artists: fc.oneof(fc.array(fc.record({ id: fc.oneof(spotifyId, anyValue), name: anyValue }, { requiredKeys: [] })), anyValue),
    album: fc.oneof(fc.record({ id: anyValue, name: fc.oneof(fc.string({ maxLength: 700 }), anyValue), release_date: anyValue }, { requiredKeys: [] }), anyValue),
    duration_ms: fc.oneof(fc.integer({ min: -10, max: 3_000_000_000 }), anyValue),
    popularity: fc.oneof(fc.integer({ min: -5, max: 105 }), anyValue),
    preview_url: urlLike,
    external_urls: fc.oneof(fc.record({ spotify: urlLike }, { requiredKeys: [] }), anyValue),
    external_ids: fc.oneof(fc.record({ isrc: isrcLike }, { requiredKeys: [] }), anyValue),
    is_local: anyValue,
    is_playable: anyValue,
  },
  { requiredKeys: [] },
);
const featureValue = fc.oneof(fc.double({ min: -70, max: 10 }), anyValue);
const rawFeatures = fc.record(
  {
    id: fc.oneof(spotifyId, anyValue),
    ...Object.fromEntries(STORED_AUDIO_FEATURES.map((name) => [name, featureValue])),
    tempo: featureValue,
    key: fc.oneof(fc.integer({ min: -2, max: 12 }), anyValue),
    mode: fc.oneof(fc.integer({ min: -1, max: 2 }), anyValue),
    time_signature: fc.oneof(fc.integer({ min: -1, max: 13 }), anyValue),
  },
  { requiredKeys: [] },
);

/** What songs' columns and checks accept (see the base migration and song.entity). */
function assertTrackFitsColumns(track: SpotifyTrack): void {
  expect(track.id).toMatch(/^[0-9A-Za-z]{22}$/);
  expect(track.isrc === null || /^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$/.test(track.isrc)).toBe(true);
  expect(track.popularity === null || (Number.isInteger(track.popularity) && track.popularity >= 0 && track.popularity <= 100)).toBe(true);
  for (const url of [track.previewUrl, track.externalUrl]) {
    expect(url === null || (url.startsWith('https://') && url.length <= 2048)).toBe(true);
  }
  // 0 = unknown in the first-edition type; anything else is a positive INTEGER
  expect(Number.isInteger(track.durationMs) && track.durationMs >= 0 && track.durationMs <= INT_MAX).toBe(true);
  for (const text of [track.name, track.album.name, ...track.artists.map((a) => a.name)]) {
    expect(typeof text === 'string' && text.length <= 500 && !text.includes('\u0000')).toBe(true);
  }
}

function assertFeaturesFitColumns(features: NormalisedAudioFeatures): void {
  for (const name of STORED_AUDIO_FEATURES) {
    const value = features[name];
    if (value === undefined) continue;
    const [min, max] = AUDIO_FEATURE_RANGES[name];
    expect(Number.isFinite(value) && value >= min && value <= max).toBe(true);
  }
}

describe('normalising at the Spotify edge (property tests)', () => {
  it('any track-shaped JSON maps without throwing to null or a track every column accepts', () => {
    fc.assert(
      fc.property(rawTrack, (raw) => {
        const drops = new DropCounter();
        const track = mapTrack(raw as Record<string, unknown>, drops);
        if (track) assertTrackFitsColumns(track);
        else expect(drops.counts.id).toBe(1);
        for (const n of Object.values(drops.counts)) expect(n).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('any audio-features JSON: every stored feature is in its column range or absent, never invented', () => {
    fc.assert(
      fc.property(rawFeatures, (raw) => {
        const features = mapAudioFeaturesPartial(raw as Record<string, unknown>);
        if (!features) return;
        assertFeaturesFitColumns(features);
        for (const name of STORED_AUDIO_FEATURES) {
          if ((raw as Record<string, unknown>)[name] === undefined) expect(features[name]).toBeUndefined();
        }
        const complete = mapAudioFeatures(raw as Record<string, unknown>);
        expect(complete === null || STORED_AUDIO_FEATURES.every((name) => typeof complete[name] === 'number')).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('any saved-tracks item list: every item is either usable or counted as skipped', () => {
    const item = fc.oneof(fc.record({ added_at: fc.oneof(fc.date().map((d) => (Number.isNaN(d.getTime()) ? 'x' : d.toISOString())), anyValue), track: fc.oneof(rawTrack, anyValue) }, { requiredKeys: [] }), anyValue);
    fc.assert(
      fc.property(fc.array(item, { maxLength: 60 }), (items) => {
        const { items: usable, skipped } = mapSavedTrackItems(items);
        const skippedTotal = Object.values(skipped).reduce((a, b) => a + b, 0);
        expect(usable.length + skippedTotal).toBe(items.length);
        for (const saved of usable) {
          assertTrackFitsColumns(saved.track);
          expect(Number.isNaN(saved.addedAt.getTime())).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('ISRC: any string normalises to 12 well-formed characters or to nothing', () => {
    fc.assert(
      fc.property(isrcLike, (raw) => {
        const isrc = normaliseIsrc(raw);
        expect(isrc === undefined || /^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$/.test(isrc)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('normalising at the Spotify edge (examples)', () => {
  it.each([
    ['US-UM7-10-12345', 'USUM71012345'],
    ['usum71012345', 'USUM71012345'],
    [' USUM7 1012345 ', 'USUM71012345'],
    ['US UM7 10 12345', 'USUM71012345'],
    ['N/A', undefined],
    ['USUM7101234', undefined],
    ['USUM710123456', undefined],
    ['1SUM71012345', undefined],
    ['USUM7101234X', undefined],
    [42, undefined],
  ])('ISRC %j → %j', (raw, expected) => {
    expect(normaliseIsrc(raw)).toBe(expected);
  });

  it('URLs: https only', () => {
    expect(normaliseHttpsUrl('https://p.scdn.co/mp3-preview/abc')).toBe('https://p.scdn.co/mp3-preview/abc');
    for (const bad of ['http://p.scdn.co/x', 'javascript:alert(1)', '//p.scdn.co/x', 'not a url', 7]) expect(normaliseHttpsUrl(bad)).toBeUndefined();
  });

  it('counts what it drops, by field', () => {
    const drops = new DropCounter();
    const track = mapTrack(
      { id: '4iV5W9uYEdYUVa79Axb7Rh', popularity: 101, duration_ms: -5, external_ids: { isrc: 'junk' }, preview_url: 'http://x/y' },
      drops,
    );
    expect(track).toMatchObject({ popularity: null, durationMs: 0, isrc: null, previewUrl: null });
    expect(drops.counts).toEqual({ popularity: 1, duration_ms: 1, isrc: 1, preview_url: 1 });
    expect(mapTrack({ id: 'spotify:track:4iV5W9uYEdYUVa79Axb7Rh' }, drops)).toBeNull();
    expect(drops.counts.id).toBe(1);
  });

  it('saved items: null track, local file, unplayable and bad id are skipped and counted', () => {
    const good = { id: '4iV5W9uYEdYUVa79Axb7Rh', name: 'x' };
    const { items, skipped } = mapSavedTrackItems([
      { added_at: '2026-01-01T00:00:00Z', track: good },
      { added_at: '2026-01-01T00:00:00Z', track: null },
      { added_at: '2026-01-01T00:00:00Z', track: { id: null, is_local: true, name: 'demo.mp3' } },
      { added_at: '2026-01-01T00:00:00Z', track: { ...good, is_playable: false } },
      { added_at: '2026-01-01T00:00:00Z', track: { id: 'nope' } },
      'junk',
    ]);
    expect(items.map((i) => i.track.id)).toEqual([good.id]);
    expect(skipped).toEqual({ nullTrack: 1, localFile: 1, unplayable: 1, invalidId: 1, notAnObject: 1 });
  });
});
