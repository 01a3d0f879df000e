import { AUDIO_FEATURES_BATCH_SIZE, SAVED_TRACKS_PAGE_SIZE, TRACKS_BATCH_SIZE } from '../../spotify/spotify.types';
import type { JobType } from '../records/spotify-sync-job.entity';

export type PlanTier = 'extended' | 'development' | 'unknown';

/**
 * Spotify requests a job costs for `items` songs (user_library: saved tracks) in a tier, as the
 * handlers spend them. development: one track a request, no audio features, no popularity (a
 * popularity_update ends without a request); extended: 50 tracks and 100 audio features a request,
 * and a user_library page of 50 saves brings one audio-features request with it. `unknown` is costed
 * as development plus the two probes that will learn the tier.
 */
export function planRequests(type: JobType, items: number, tier: PlanTier): number {
  const n = Math.max(0, Math.floor(items));
  const probes = tier === 'unknown' ? 2 : 0;
  switch (type) {
    case 'track_sync':
      if (n === 0) return 0;
      return tier === 'extended' ? Math.ceil(n / TRACKS_BATCH_SIZE) + Math.ceil(n / AUDIO_FEATURES_BATCH_SIZE) : n + probes;
    case 'popularity_update':
      if (tier === 'development' || n === 0) return 0;
      return tier === 'extended' ? Math.ceil(n / TRACKS_BATCH_SIZE) : 1;
    case 'user_library': {
      // the first page is asked even for an empty library
      const pages = Math.max(1, Math.ceil(n / SAVED_TRACKS_PAGE_SIZE));
      // one audio-features request per page that has tracks (a page of 50 fits one request of 100)
      return pages + (tier === 'extended' ? Math.ceil(n / SAVED_TRACKS_PAGE_SIZE) : probes);
    }
  }
}

/** When a job with `remaining` songs left ends, from now and the budget's estimate; null when unknown. */
export function estimatedCompletion(now: Date, seconds: number | null): string | null {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return null;
  return new Date(now.getTime() + Math.ceil(seconds * 1000)).toISOString();
}

/**
 * Seconds `requests` take at `per30s` over a rolling 30 s window that holds `used` permits now:
 * what fits in the free part of the window goes at once, the rest at the rate. The fallback when
 * the service has no budget to ask (SPOTIFY_REQUEST_BUDGET=off, or an unknown rate): null.
 */
export function secondsAtRate(requests: number, per30s: number | null, used = 0): number | null {
  if (requests <= 0) return 0;
  if (per30s === null || !(per30s > 0)) return null;
  const free = Math.max(0, per30s - Math.max(0, used));
  return requests <= free ? 0 : ((requests - free) / per30s) * 30;
}
