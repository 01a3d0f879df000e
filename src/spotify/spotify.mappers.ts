import {
  AUDIO_FEATURE_RANGES,
  DropCounter,
  normaliseDate,
  normaliseDurationMs,
  normaliseHttpsUrl,
  normaliseIsrc,
  normaliseNumber,
  normalisePopularity,
  normaliseSpotifyId,
  normaliseText,
  STORED_AUDIO_FEATURES,
} from './spotify.normalise';
import {
  NormalisedAudioFeatures,
  SavedTracksSkipped,
  SpotifyAudioFeatures,
  SpotifySavedTrack,
  SpotifyTrack,
  SpotifyUser,
} from './spotify.types';

/** Raw Spotify JSON as it arrives; every field may be missing depending on the access tier. */
export type RawObject = Record<string, unknown>;

const isObject = (value: unknown): value is RawObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Text columns of songs are VARCHAR(500). */
const TEXT_MAX = 500;

/**
 * A track object → the typed track, every field normalised (see spotify.normalise.ts).
 * null when it has no usable id: nothing can be linked to it. Dropped fields are counted in `drops`.
 */
export function mapTrack(raw: RawObject, drops = new DropCounter()): SpotifyTrack | null {
  const id = normaliseSpotifyId(raw.id);
  if (!id) return drops.drop('id') ?? null;
  const album = isObject(raw.album) ? raw.album : {};
  const artists = Array.isArray(raw.artists) ? raw.artists.filter(isObject) : [];
  const externalIds = isObject(raw.external_ids) ? raw.external_ids : {};
  const externalUrls = isObject(raw.external_urls) ? raw.external_urls : {};
  return {
    id,
    name: normaliseText(raw.name, TEXT_MAX) ?? '',
    artists: artists.map((artist) => ({ id: normaliseSpotifyId(artist.id) ?? '', name: normaliseText(artist.name, TEXT_MAX) ?? '' })),
    album: {
      id: normaliseSpotifyId(album.id) ?? '',
      name: normaliseText(album.name, TEXT_MAX) ?? '',
      releaseDate: normaliseText(album.release_date, 10) ?? null,
    },
    durationMs: drops.keep('duration_ms', raw.duration_ms, normaliseDurationMs(raw.duration_ms)) ?? 0,
    isrc: drops.keep('isrc', externalIds.isrc, normaliseIsrc(externalIds.isrc)) ?? null,
    popularity: drops.keep('popularity', raw.popularity, normalisePopularity(raw.popularity)) ?? null,
    previewUrl: drops.keep('preview_url', raw.preview_url, normaliseHttpsUrl(raw.preview_url)) ?? null,
    externalUrl: drops.keep('external_url', externalUrls.spotify, normaliseHttpsUrl(externalUrls.spotify)) ?? null,
  };
}

/** Audio features with each stored field present only when Spotify sent a usable value (never 0 for missing). */
export function mapAudioFeaturesPartial(raw: RawObject, drops = new DropCounter()): NormalisedAudioFeatures | null {
  const id = normaliseSpotifyId(raw.id);
  if (!id) return drops.drop('id') ?? null;
  const features: NormalisedAudioFeatures = {
    id,
    tempo: drops.keep('tempo', raw.tempo, normaliseNumber(raw.tempo, 0, 1000)) ?? null,
    key: drops.keep('key', raw.key, normaliseNumber(raw.key, -1, 11, true)) ?? null,
    mode: drops.keep('mode', raw.mode, normaliseNumber(raw.mode, 0, 1, true)) ?? null,
    timeSignature: drops.keep('time_signature', raw.time_signature, normaliseNumber(raw.time_signature, 0, 12, true)) ?? null,
  };
  for (const name of STORED_AUDIO_FEATURES) {
    const [min, max] = AUDIO_FEATURE_RANGES[name];
    const value = drops.keep(name, raw[name], normaliseNumber(raw[name], min, max));
    if (value !== undefined) features[name] = value;
  }
  return features;
}

/**
 * The complete record the first-edition writers expect: null unless every stored feature is usable,
 * so a missing field is never written as 0. Prefer mapAudioFeaturesPartial.
 */
export function mapAudioFeatures(raw: RawObject, drops = new DropCounter()): SpotifyAudioFeatures | null {
  const partial = mapAudioFeaturesPartial(raw, drops);
  return partial && isComplete(partial) ? partial : null;
}

export function isComplete(features: NormalisedAudioFeatures): features is SpotifyAudioFeatures {
  return STORED_AUDIO_FEATURES.every((name) => features[name] !== undefined);
}

export function mapUser(raw: RawObject): SpotifyUser {
  return {
    id: normaliseText(raw.id, 255) ?? '',
    displayName: normaliseText(raw.display_name, TEXT_MAX) ?? null,
    email: normaliseText(raw.email, 320) ?? null,
    country: normaliseText(raw.country, 2) ?? null,
    product: normaliseText(raw.product, 50) ?? null,
  };
}

export function emptySkipped(): SavedTracksSkipped {
  return { nullTrack: 0, localFile: 0, invalidId: 0, unplayable: 0, notAnObject: 0 };
}

/** Saved-track items: the usable ones (a track with a valid id) and the others counted by reason. */
export function mapSavedTrackItems(
  items: readonly unknown[],
  drops = new DropCounter(),
): { items: SpotifySavedTrack[]; skipped: SavedTracksSkipped } {
  const skipped = emptySkipped();
  const usable: SpotifySavedTrack[] = [];
  for (const item of items) {
    if (!isObject(item)) {
      skipped.notAnObject += 1;
      continue;
    }
    const raw = item.track;
    if (!isObject(raw)) {
      skipped.nullTrack += 1;
      continue;
    }
    if (raw.is_local === true) {
      skipped.localFile += 1;
      continue;
    }
    if (raw.is_playable === false) {
      skipped.unplayable += 1;
      continue;
    }
    const track = mapTrack(raw, drops);
    if (!track) {
      skipped.invalidId += 1;
      continue;
    }
    // An unreadable added_at keeps the item (it is a real save) dated at the epoch, which sorts it oldest.
    const addedAt = normaliseDate(item.added_at) ?? drops.drop('added_at') ?? new Date(0);
    usable.push({ addedAt, track });
  }
  return { items: usable, skipped };
}

/** First-edition helper: the usable saved items only. */
export function mapSavedTracks(items: unknown): SpotifySavedTrack[] {
  return Array.isArray(items) ? mapSavedTrackItems(items).items : [];
}

export { isObject };
