/**
 * The one place where values from Spotify are checked against what our columns accept.
 * Each function returns the normalised value, or undefined when the value cannot be made
 * acceptable (the caller drops it and counts the drop by field).
 */

export const ISRC_PATTERN = /^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$/;
const SPOTIFY_ID = /^[0-9A-Za-z]{22}$/;

/** Why a value was dropped: the field it came from. Counts per field, summed over a call. */
export type DropCounts = Record<string, number>;

export class DropCounter {
  readonly counts: DropCounts = {};

  drop(field: string): undefined {
    this.counts[field] = (this.counts[field] ?? 0) + 1;
    return undefined;
  }

  /** `undefined` input (the field is simply not there) is not a drop; anything unusable is. */
  keep<T>(field: string, raw: unknown, value: T | undefined): T | undefined {
    if (value === undefined && raw !== undefined && raw !== null) this.drop(field);
    return value;
  }
}

export function mergeDrops(into: DropCounts, from: DropCounts): DropCounts {
  for (const [field, n] of Object.entries(from)) into[field] = (into[field] ?? 0) + n;
  return into;
}

/** ISRC: hyphens and spaces stripped, upper-cased, kept only if it is then 12 well-formed characters. */
export function normaliseIsrc(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const isrc = value.replace(/[\s-]/g, '').toUpperCase();
  return ISRC_PATTERN.test(isrc) ? isrc : undefined;
}

/** 22 base-62 characters (Spotify may still refuse one it cannot decode; see the client's split). */
export function normaliseSpotifyId(value: unknown): string | undefined {
  return typeof value === 'string' && SPOTIFY_ID.test(value) ? value : undefined;
}

/** https only, at most 2,048 characters, parseable. */
export function normaliseHttpsUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2048) return undefined;
  try {
    return new URL(value).protocol === 'https:' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A finite number within [min, max]; integers only when asked. */
export function normaliseNumber(value: unknown, min: number, max: number, integer = false): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) return undefined;
  if (integer && !Number.isInteger(value)) return undefined;
  return value;
}

export const normalisePopularity = (value: unknown) => normaliseNumber(value, 0, 100, true);
/** Positive integer milliseconds within PostgreSQL's INTEGER. */
export const normaliseDurationMs = (value: unknown) => normaliseNumber(value, 1, 2_147_483_647, true);

/** Column ranges of the audio features we store (song.entity's checks). */
export const AUDIO_FEATURE_RANGES = {
  danceability: [0, 1],
  energy: [0, 1],
  valence: [0, 1],
  acousticness: [0, 1],
  instrumentalness: [0, 1],
  speechiness: [0, 1],
  liveness: [0, 1],
  loudness: [-60, 5],
} as const;
export type StoredAudioFeature = keyof typeof AUDIO_FEATURE_RANGES;
export const STORED_AUDIO_FEATURES = Object.keys(AUDIO_FEATURE_RANGES) as StoredAudioFeature[];

/** Non-empty text, trimmed of NULs (PostgreSQL refuses them), at most `max` characters. */
export function normaliseText(value: unknown, max = 1000): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.replace(/\u0000/g, '').slice(0, max);
  return text === '' ? undefined : text;
}

/** An ISO date/time Spotify sends (`added_at`); undefined when it does not parse. */
export function normaliseDate(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
