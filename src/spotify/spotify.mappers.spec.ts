import { tierOf } from './spotify-capabilities.service';
import { mapAudioFeatures, mapAudioFeaturesPartial, mapSavedTracks, mapTrack } from './spotify.mappers';
import { isSpotifyId } from './spotify.types';

describe('Spotify mappers', () => {
  const raw = {
    id: '4iV5W9uYEdYUVa79Axb7Rh',
    name: 'Golden Harbour',
    artists: [{ id: '0TnOYISbd1XYRBk9myaseg', name: 'Ada Vance' }],
    album: { id: '2noRn2Aes5aoNVsU6iWThc', name: 'Harbours', release_date: '2019-05-01' },
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
      artists: [{ id: '0TnOYISbd1XYRBk9myaseg', name: 'Ada Vance' }],
      album: { id: '2noRn2Aes5aoNVsU6iWThc', name: 'Harbours', releaseDate: '2019-05-01' },
      durationMs: 201_000,
      isrc: 'SEABC1900001',
      popularity: 0,
      previewUrl: null,
      externalUrl: 'https://open.spotify.com/track/4iV5W9uYEdYUVa79Axb7Rh',
    });
    const { popularity: _, external_ids: __, ...devTrack } = raw;
    expect(mapTrack(devTrack)).toMatchObject({ popularity: null, isrc: null });
  });

  it('maps audio features with Spotify precision; a missing field is absent (never 0), so the complete record is null', () => {
    const id = '4iV5W9uYEdYUVa79Axb7Rh';
    const partial = { id, speechiness: 0.0456, liveness: 0.1234, loudness: -5.883, time_signature: 4 };
    expect(mapAudioFeaturesPartial(partial)).toEqual({ id, speechiness: 0.0456, liveness: 0.1234, loudness: -5.883, timeSignature: 4, tempo: null, key: null, mode: null });
    expect(mapAudioFeatures(partial)).toBeNull();
    const full = { ...partial, danceability: 0.5, energy: 0, valence: 1, acousticness: 0.25, instrumentalness: 0 };
    expect(mapAudioFeatures(full)).toMatchObject({ energy: 0, instrumentalness: 0, speechiness: 0.0456 });
  });

  it('skips saved items without a usable track', () => {
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
