/** Plain typed objects the rest of the service sees; raw Spotify JSON stays inside src/spotify. */

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

export interface SpotifySavedTracksPage {
  items: SpotifySavedTrack[];
  total: number;
  offset: number;
  limit: number;
  /** Spotify's URL of the next page, null on the last one. */
  next: string | null;
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
