import { AUDIO_FEATURES_BATCH_SIZE, SAVED_TRACKS_PAGE_SIZE, TRACKS_BATCH_SIZE } from '../spotify.types';

export type EstimatedJobType = 'track_sync' | 'popularity_update' | 'user_library';
export type EstimateTier = 'extended' | 'development' | 'unknown';

/**
 * Spotify requests a job costs for `items` songs (for user_library: saved tracks) in a tier, as
 * SpotifyClient spends them: development fetches one track a request and has no audio features or
 * popularity; extended fetches 50 tracks and 100 audio features a request. An `unknown` tier is
 * costed as development (the dearer case) plus the two probes that will learn it.
 */
export function requestsFor(type: EstimatedJobType, items: number, tier: EstimateTier): number {
  const n = Math.max(0, Math.floor(items));
  switch (type) {
    case 'user_library':
      // The first page is fetched even for an empty library.
      return Math.max(1, Math.ceil(n / SAVED_TRACKS_PAGE_SIZE));
    case 'popularity_update':
      if (tier === 'extended') return Math.ceil(n / TRACKS_BATCH_SIZE);
      // No popularity in development mode: the job completes without a request.
      return tier === 'development' || n === 0 ? 0 : 1;
    case 'track_sync':
      if (n === 0) return 0;
      if (tier === 'extended') return Math.ceil(n / TRACKS_BATCH_SIZE) + Math.ceil(n / AUDIO_FEATURES_BATCH_SIZE);
      return tier === 'development' ? n : n + 2;
  }
}
