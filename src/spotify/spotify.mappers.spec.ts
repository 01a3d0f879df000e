import { tierOf } from './spotify-capabilities.service';
import { mapAudioFeatures, mapSavedTracks, mapTrack } from './spotify.mappers';
import { isSpotifyId } from './spotify.types';

describe('Spotify mappers', () => {
  const raw = {
    id: '4iV5W9uYEdYUVa79Axb7Rh',
    name: 'Golden Harbour',
    artists: [{ id: 'a1', name: 'Ada Vance' }],
    album: { id: 'al1', name: 'Harbours', release_date: '2019-05-01' },
    duration_ms: 201_000,
    external_ids: { isrc: 'seabc1900001' },
    external_urls: { spotify: 'https://open.spotify.com/track/4iV5W9uYEdYUVa79Axb7Rh' },
    popularity: 0,
    preview_url: null,
  };

  it('maps a track; popularity 0 stays 0, a missing popularity is null (development tier), never invented', () => {
    expect(mapTrack(raw)).toEqual({
      id: '4iV5W9uYEdYUVa79Axb7Rh',
      name: 'Golden Harbour',
      artists: [{ id: 'a1', name: 'Ada Vance' }],
      album: { id: 'al1', name: 'Harbours', releaseDate: '2019-05-01' },
      durationMs: 201_000,
      isrc: 'SEABC1900001',
      popularity: 0,
      previewUrl: null,
      externalUrl: 'https://open.spotify.com/track/4iV5W9uYEdYUVa79Axb7Rh',
    });
    const { popularity: _, external_ids: __, ...devTrack } = raw;
    expect(mapTrack(devTrack)).toMatchObject({ popularity: null, isrc: null });
  });

  it('maps audio features with Spotify precision and skips saved items without a track', () => {
    expect(mapAudioFeatures({ id: 'x', speechiness: 0.0456, liveness: 0.1234, loudness: -5.883, time_signature: 4 })).toMatchObject({
      speechiness: 0.0456,
      liveness: 0.1234,
      loudness: -5.883,
      timeSignature: 4,
      tempo: null,
    });
    const items = mapSavedTracks([{ added_at: '2026-01-01T00:00:00Z', track: raw }, { added_at: '2026-01-01T00:00:00Z', track: null }]);
    expect(items).toHaveLength(1);
    expect(items[0].addedAt.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('accepts only 22 base-62 characters as an id', () => {
    expect(isSpotifyId('4iV5W9uYEdYUVa79Axb7Rh')).toBe(true);
    for (const bad of ['', '4iV5W9uYEdYUVa79Axb7R', '4iV5W9uYEdYUVa79Axb7Rhh', '4iV5W9uYEdYUVa79Axb7R-', 'spotify:track:4iV5W9uYEdYUVa79Axb7Rh', 42]) {
      expect(isSpotifyId(bad)).toBe(false);
    }
  });

  it('derives the tier as the contract says', () => {
    expect(tierOf(null, null)).toBe('unknown');
    expect(tierOf(true, null)).toBe('unknown');
    expect(tierOf(true, false)).toBe('unknown');
    expect(tierOf(true, true)).toBe('extended');
    expect(tierOf(false, true)).toBe('development');
    expect(tierOf(false, null)).toBe('development');
  });
});
