/** Plain typed objects the rest of the service sees; raw Spotify JSON stays inside src/spotify. */
import type { SpotifyRateLimitedError } from './spotify.errors';

export interface SpotifyArtist {
  id: string;
  name: string;
}

export interface SpotifyAlbum {
  id: string;
  name: string;
  releaseDate: string | null;
}

export interface SpotifyTrack {
  id: string;
  name: string;
  artists: SpotifyArtist[];
  album: SpotifyAlbum;
  durationMs: number;
  isrc: string | null;
  /** null when the access tier omits the field (development mode), never invented. */
  popularity: number | null;
  previewUrl: string | null;
  externalUrl: string | null;
}

/** speechiness and liveness as Spotify reports them; rounding to the schema's 2 decimals is the caller's job. */
export interface SpotifyAudioFeatures {
  id: string;
  danceability: number;
  energy: number;
  valence: number;
  acousticness: number;
  instrumentalness: number;
  speechiness: number;
  liveness: number;
  loudness: number;
  tempo: number | null;
  key: number | null;
  mode: number | null;
  timeSignature: number | null;
}

/** Audio features as normalised at the edge: a stored feature is absent when Spotify sent none or an unusable value. */
export type NormalisedAudioFeatures = Partial<
  Pick<SpotifyAudioFeatures, 'danceability' | 'energy' | 'valence' | 'acousticness' | 'instrumentalness' | 'speechiness' | 'liveness' | 'loudness'>
> &
  Pick<SpotifyAudioFeatures, 'id' | 'tempo' | 'key' | 'mode' | 'timeSignature'>;

/** Fields dropped because they could not be normalised, counted by Spotify field name (e.g. `{ isrc: 3 }`). */
export type DroppedFields = Record<string, number>;

/**
 * Per-id outcome of a batch call (getTrackOutcomes / getAudioFeatureOutcomes). Every requested id is in
 * exactly one of `found`, `unknown` (Spotify answered null or 404) and `refused` (Spotify refused the id
 * itself with a 400, after the batch was split until it stood alone; or it is not 22 base-62 characters).
 */
export interface BatchOutcome<T> {
  found: Map<string, T>;
  unknown: string[];
  refused: Map<string, string>;
  dropped: DroppedFields;
  /**
   * Only with `keepPartialOnRateLimit`: a pause stopped the call; `pending` ids were not settled
   * (ask again after `error.retryAfterMs`). The other ids' outcomes above are final.
   */
  interrupted?: { error: SpotifyRateLimitedError; pending: string[] };
}

export type AudioFeaturesOutcome =
  | ({ available: true } & BatchOutcome<NormalisedAudioFeatures>)
  | { available: false; reason: string };

/** Audio features do not exist for development-mode apps: that is a result, not a fault. */
export type AudioFeaturesResult =
  | { available: true; features: Map<string, SpotifyAudioFeatures | null> }
  | { available: false; reason: string };

export interface SpotifyTokenSet {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
  scope: string;
}

export interface SpotifyRefreshedToken {
  accessToken: string;
  /** Only present when Spotify rotated it; otherwise keep the stored one. */
  refreshToken?: string;
  expiresAt: Date;
  scope: string;
}

export interface SpotifyUser {
  id: string;
  displayName: string | null;
  /** Development-mode apps no longer receive email, country or product. */
  email: string | null;
  country: string | null;
  product: string | null;
}

export interface SpotifySavedTrack {
  addedAt: Date;
  track: SpotifyTrack;
}

/** Saved items that carry no usable track, by reason. */
export interface SavedTracksSkipped {
  nullTrack: number;
  localFile: number;
  /** no id, or not 22 base-62 characters */
  invalidId: number;
  /** `is_playable: false` (only sent when a market is given) */
  unplayable: number;
  notAnObject: number;
}

/**
 * One page of GET /me/tracks as Spotify gave it. Page on with `offset + rawCount` (or `next`), never
 * with `items.length`: skipped items still occupy their place. `total` is Spotify's claim and may not
 * match what the pages hold.
 */
export interface SpotifySavedTracksPage {
  /** the usable items: a track with a valid id */
  items: SpotifySavedTrack[];
  total: number;
  offset: number;
  limit: number;
  /** Spotify's URL of the next page, null on the last one. */
  next: string | null;
  /** how many items Spotify's page held, usable or not */
  rawCount: number;
  skipped: SavedTracksSkipped;
  dropped: DroppedFields;
}

export const CAPABILITIES = ['batch_tracks', 'popularity', 'audio_features', 'preview_urls'] as const;
export type Capability = (typeof CAPABILITIES)[number];

export type AccessTier = 'extended' | 'development' | 'unknown';

export interface CapabilitiesReport {
  tier: AccessTier;
  /** Newest time anything was learnt; null before that, and for an explicitly configured tier. */
  learnedAt: Date | null;
  /** null: not known yet. */
  available: {
    batchTracks: boolean | null;
    popularity: boolean | null;
    audioFeatures: boolean | null;
    previewUrls: boolean | null;
  };
  /** A Retry-After longer than SPOTIFY_MAX_RETRY_AFTER_S is running as a pause of that maximum. */
  pause?: CappedPause | null;
}

export interface CappedPause {
  reason: 'retry_after_capped';
  /** when the (capped) pause ends */
  until: Date;
  /** what Spotify asked for, in seconds */
  requestedSeconds: number;
  cappedSeconds: number;
}

/** Spotify ids are 22 base-62 characters; one malformed id turns a whole batch into a 400. */
const SPOTIFY_ID = /^[0-9A-Za-z]{22}$/;

export function isSpotifyId(value: unknown): value is string {
  return typeof value === 'string' && SPOTIFY_ID.test(value);
}

export const TRACKS_BATCH_SIZE = 50;
export const AUDIO_FEATURES_BATCH_SIZE = 100;
export const SAVED_TRACKS_PAGE_SIZE = 50;
export const SEARCH_LIMIT_EXTENDED = 50;
export const SEARCH_LIMIT_DEVELOPMENT = 10;
