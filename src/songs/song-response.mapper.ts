import type { SongResponse } from './songs.dto';

/** The columns a list page reads: the response's fields and nothing else. */
export const SONG_RESPONSE_COLUMNS = [
  'id',
  'title',
  'artist',
  'album',
  'duration_ms',
  'isrc',
  'spotify_track_id',
  'spotify_popularity',
  'spotify_preview_url',
  'spotify_external_url',
  'audio_features_synced',
  'spotify_last_sync',
  'last_popularity_update',
  'energy',
  'danceability',
  'valence',
  'acousticness',
  'instrumentalness',
  'speechiness',
  'liveness',
  'loudness',
  'created_at',
  'updated_at',
] as const;

/**
 * A songs row as the driver returns it under MikroORM's type parsers: timestamps and numerics
 * stay text (`2026-11-27 12:00:00.123456`, `0.410`).
 */
export type SongRow = Record<(typeof SONG_RESPONSE_COLUMNS)[number], string | number | boolean | null>;

const PLAIN_TIMESTAMP = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?$/;

/**
 * Sessions run in UTC, so a TIMESTAMP's text is UTC. The response keeps milliseconds, truncated,
 * as Date.toISOString does; the common form is rewritten as text (150 Date round trips a page
 * showed in the profile), anything else goes through Date.
 */
function isoOrNull(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  const text = String(value);
  const parts = PLAIN_TIMESTAMP.exec(text);
  if (parts) return `${parts[1]}T${parts[2]}.${(parts[3] ?? '').padEnd(3, '0').slice(0, 3)}Z`;
  return new Date(`${text.replace(' ', 'T')}Z`).toISOString();
}

const numberOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const textOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

/**
 * A plain row straight to the response shape, for read-only pages: no entity, no identity map.
 * Gives the same answer as SongResponse.from for the same song (test/songs-list-shape.e2e-spec.ts).
 */
export function toSongResponse(row: SongRow): SongResponse {
  return {
    id: String(row.id),
    title: String(row.title),
    artist: String(row.artist),
    album: textOrNull(row.album),
    durationMs: numberOrNull(row.duration_ms),
    isrc: textOrNull(row.isrc),
    spotifyTrackId: textOrNull(row.spotify_track_id),
    spotifyPopularity: numberOrNull(row.spotify_popularity),
    spotifyPreviewUrl: textOrNull(row.spotify_preview_url),
    spotifyExternalUrl: textOrNull(row.spotify_external_url),
    audioFeaturesSynced: row.audio_features_synced === true,
    spotifyLastSync: isoOrNull(row.spotify_last_sync),
    lastPopularityUpdate: isoOrNull(row.last_popularity_update),
    energy: numberOrNull(row.energy),
    danceability: numberOrNull(row.danceability),
    valence: numberOrNull(row.valence),
    acousticness: numberOrNull(row.acousticness),
    instrumentalness: numberOrNull(row.instrumentalness),
    speechiness: numberOrNull(row.speechiness),
    liveness: numberOrNull(row.liveness),
    loudness: numberOrNull(row.loudness),
    createdAt: isoOrNull(row.created_at) as string,
    updatedAt: isoOrNull(row.updated_at) as string,
  };
}
