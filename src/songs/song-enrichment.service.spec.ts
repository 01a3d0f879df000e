import { SpotifyRateLimitedError } from '../spotify/spotify.errors';
import type { SpotifyClient } from '../spotify/spotify.client';
import type { AudioFeaturesOutcome, BatchOutcome, NormalisedAudioFeatures, SpotifyTrack } from '../spotify/spotify.types';
import { SongEnrichmentService } from './song-enrichment.service';

const track = (id: string): SpotifyTrack => ({
  id,
  name: `Track ${id}`,
  artists: [],
  album: { id: '', name: '', releaseDate: null },
  durationMs: 1000,
  isrc: null,
  popularity: 50,
  previewUrl: null,
  externalUrl: `https://open.spotify.com/track/${id}`,
});
const features = (id: string, partial = false): NormalisedAudioFeatures => ({
  id,
  tempo: 120,
  key: 1,
  mode: 1,
  timeSignature: 4,
  danceability: 0.5,
  energy: 0.5,
  valence: 0.5,
  acousticness: 0.5,
  instrumentalness: 0.5,
  speechiness: 0.05,
  liveness: 0.1,
  ...(partial ? {} : { loudness: -5 }),
});

function stubClient(tracks: BatchOutcome<SpotifyTrack>, audio: AudioFeaturesOutcome): SpotifyClient {
  return {
    getTrackOutcomes: jest.fn(async () => tracks),
    getAudioFeatureOutcomes: jest.fn(async () => audio),
  } as unknown as SpotifyClient;
}

const song = (n: number) => ({ id: `song-${n}`, spotifyTrackId: `track-${n}` });

describe('SongEnrichmentService.fetchTracks: one outcome per song', () => {
  it('found, unknown (gone), refused (not gone), features refused (failed, track kept), features incomplete (none written)', async () => {
    const client = stubClient(
      {
        found: new Map(['track-1', 'track-4', 'track-5'].map((id) => [id, track(id)])),
        unknown: ['track-2'],
        refused: new Map([['track-3', 'Spotify refused the id (400: invalid id)']]),
        dropped: {},
      },
      {
        available: true,
        found: new Map([
          ['track-1', features('track-1')],
          ['track-5', features('track-5', true)],
        ]),
        unknown: [],
        refused: new Map([['track-4', 'Spotify refused the id (400: invalid id)']]),
        dropped: {},
      },
    );
    const chunk = await new SongEnrichmentService(client).fetchTracks([1, 2, 3, 4, 5].map(song), 'full');
    expect(chunk.gone).toEqual([song(2)]);
    expect(chunk.refused).toEqual([
      { id: 'song-3', reason: 'Spotify refused the id (400: invalid id) (track track-3)' },
      { id: 'song-4', reason: 'Audio features: Spotify refused the id (400: invalid id) (track track-4)' },
    ]);
    const byId = new Map(chunk.updates.map((u) => [u.id, u]));
    expect([...byId.keys()].sort()).toEqual(['song-1', 'song-4', 'song-5']);
    expect(byId.get('song-1')).toMatchObject({ failed: false, popularity: 50, features: expect.objectContaining({ loudness: -5 }) });
    expect(byId.get('song-4')).toMatchObject({ failed: true, features: null });
    expect(byId.get('song-5')).toMatchObject({ failed: false, features: null });
    expect(chunk.featuresIncomplete).toBe(1);
    expect(chunk.interrupted).toBeUndefined();
  });

  it('under a pause: songs settled before it are kept, the rest are pending, and found tracks wait for their features', async () => {
    const pause = new SpotifyRateLimitedError(60_000, false);
    const client = stubClient(
      {
        found: new Map(['track-1', 'track-2'].map((id) => [id, track(id)])),
        unknown: [],
        refused: new Map(),
        dropped: {},
        interrupted: { error: pause, pending: ['track-3'] },
      },
      {
        available: true,
        found: new Map([['track-1', features('track-1')]]),
        unknown: [],
        refused: new Map(),
        dropped: {},
        interrupted: { error: pause, pending: ['track-2'] },
      },
    );
    const chunk = await new SongEnrichmentService(client).fetchTracks([1, 2, 3].map(song), 'full');
    expect(chunk.updates.map((u) => u.id)).toEqual(['song-1']);
    expect(chunk.interrupted).toEqual({ error: pause, pending: [song(2), song(3)] });
  });

  it('where the tier has no audio features, a pause keeps every track fetched before it', async () => {
    const pause = new SpotifyRateLimitedError(60_000, false);
    const client = stubClient(
      { found: new Map([['track-1', track('track-1')]]), unknown: [], refused: new Map(), dropped: {}, interrupted: { error: pause, pending: ['track-2'] } },
      { available: false, reason: 'no audio features in this tier' },
    );
    const chunk = await new SongEnrichmentService(client).fetchTracks([1, 2].map(song), 'full');
    expect(chunk.updates.map((u) => u.id)).toEqual(['song-1']);
    expect(chunk.audioFeaturesUnavailable).toBe('no audio features in this tier');
    expect(chunk.interrupted?.pending).toEqual([song(2)]);
  });
});
