import { SpotifyAudioFeatures, SpotifySavedTrack, SpotifyTrack, SpotifyUser } from './spotify.types';

/** Raw Spotify JSON as it arrives; every field may be missing depending on the access tier. */
export type RawObject = Record<string, unknown>;

const isObject = (value: unknown): value is RawObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

export function mapTrack(raw: RawObject): SpotifyTrack {
  const album = isObject(raw.album) ? raw.album : {};
  const artists = Array.isArray(raw.artists) ? raw.artists.filter(isObject) : [];
  const externalIds = isObject(raw.external_ids) ? raw.external_ids : {};
  const externalUrls = isObject(raw.external_urls) ? raw.external_urls : {};
  return {
    id: String(raw.id),
    name: str(raw.name) ?? '',
    artists: artists.map((artist) => ({ id: String(artist.id), name: str(artist.name) ?? '' })),
    album: { id: String(album.id ?? ''), name: str(album.name) ?? '', releaseDate: str(album.release_date) },
    durationMs: num(raw.duration_ms) ?? 0,
    isrc: str(externalIds.isrc)?.toUpperCase() ?? null,
    popularity: num(raw.popularity),
    previewUrl: str(raw.preview_url),
    externalUrl: str(externalUrls.spotify),
  };
}

export function mapAudioFeatures(raw: RawObject): SpotifyAudioFeatures {
  return {
    id: String(raw.id),
    danceability: num(raw.danceability) ?? 0,
    energy: num(raw.energy) ?? 0,
    valence: num(raw.valence) ?? 0,
    acousticness: num(raw.acousticness) ?? 0,
    instrumentalness: num(raw.instrumentalness) ?? 0,
    speechiness: num(raw.speechiness) ?? 0,
    liveness: num(raw.liveness) ?? 0,
    loudness: num(raw.loudness) ?? 0,
    tempo: num(raw.tempo),
    key: num(raw.key),
    mode: num(raw.mode),
    timeSignature: num(raw.time_signature),
  };
}

export function mapUser(raw: RawObject): SpotifyUser {
  return {
    id: String(raw.id),
    displayName: str(raw.display_name),
    email: str(raw.email),
    country: str(raw.country),
    product: str(raw.product),
  };
}

/** Saved-track items; entries without a playable track (removed from the catalogue) are skipped. */
export function mapSavedTracks(items: unknown): SpotifySavedTrack[] {
  if (!Array.isArray(items)) return [];
  return items.filter(isObject).flatMap((item) =>
    isObject(item.track) && str(item.track.id)
      ? [{ addedAt: new Date(String(item.added_at)), track: mapTrack(item.track) }]
      : [],
  );
}

export { isObject };
