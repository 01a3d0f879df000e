import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import {
  SpotifyBadRequestError,
  SpotifyError,
  SpotifyForbiddenError,
  SpotifyNotFoundError,
  SpotifyUnauthorizedError,
  SpotifyUserNotAllowedError,
} from './spotify.errors';
import { isObject, mapAudioFeatures, mapSavedTracks, mapTrack, mapUser, RawObject } from './spotify.mappers';
import {
  AUDIO_FEATURES_BATCH_SIZE,
  AudioFeaturesResult,
  isSpotifyId,
  SAVED_TRACKS_PAGE_SIZE,
  SpotifyAudioFeatures,
  SpotifySavedTracksPage,
  SpotifyTrack,
  SpotifyUser,
  TRACKS_BATCH_SIZE,
} from './spotify.types';
import { SpotifyAccountsClient } from './spotify-accounts.client';
import { SpotifyCapabilitiesService } from './spotify-capabilities.service';
import { SpotifyHttp } from './spotify-http';

/** Per-id fetches run this many at a time: fast enough, and gentle on Spotify's rolling window. */
const SINGLE_FETCH_CONCURRENCY = 4;

type Token = { kind: 'app' } | { kind: 'user'; accessToken: string };

const AUDIO_FEATURES_UNAVAILABLE: AudioFeaturesResult = {
  available: false,
  reason: 'Audio features are not available to this Spotify app (its access tier)',
};

/**
 * The Spotify Web API, typed. One code path for both tiers, steered by the capabilities.
 * App-level calls use the client-credentials token; user calls take the user's token, and a 401
 * on it surfaces as SpotifyUnauthorizedError so the token service can refresh once and retry once.
 */
@Injectable()
export class SpotifyClient {
  constructor(
    private readonly http: SpotifyHttp,
    private readonly accounts: SpotifyAccountsClient,
    private readonly capabilities: SpotifyCapabilitiesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** GET /me. A development-mode app's account not on its user list → SpotifyUserNotAllowedError. */
  async getCurrentUser(userAccessToken: string): Promise<SpotifyUser> {
    return mapUser(await this.get({ kind: 'user', accessToken: userAccessToken }, '/me'));
  }

  /** GET /me/tracks (needs `user-library-read`), newest first. */
  async getSavedTracks(
    userAccessToken: string,
    { offset = 0, limit = SAVED_TRACKS_PAGE_SIZE }: { offset?: number; limit?: number } = {},
  ): Promise<SpotifySavedTracksPage> {
    const size = clamp(limit, 1, SAVED_TRACKS_PAGE_SIZE);
    const body = await this.get({ kind: 'user', accessToken: userAccessToken }, `/me/tracks?${query({ limit: size, offset })}`);
    return {
      items: mapSavedTracks(body.items),
      total: typeof body.total === 'number' ? body.total : 0,
      offset: typeof body.offset === 'number' ? body.offset : offset,
      limit: typeof body.limit === 'number' ? body.limit : size,
      next: typeof body.next === 'string' ? body.next : null,
    };
  }

  /**
   * Tracks by id: batches of 50 where the tier allows, else one request per id.
   * Every requested id is a key; null = unknown to Spotify, or malformed (never sent; see isSpotifyId).
   */
  async getTracks(ids: readonly string[]): Promise<Map<string, SpotifyTrack | null>> {
    const { valid, result } = splitIds<SpotifyTrack>(ids);
    const pending = await this.getTracksInBatches(valid, result);
    await forEachLimited(pending, SINGLE_FETCH_CONCURRENCY, async (id) => {
      result.set(id, await this.getTrack(id));
    });
    return result;
  }

  /** GET /tracks/{id}; null when Spotify does not know the id. */
  async getTrack(id: string): Promise<SpotifyTrack | null> {
    if (!isSpotifyId(id)) return null;
    try {
      const raw = await this.get({ kind: 'app' }, `/tracks/${id}`);
      await this.capabilities.observeTracks([raw]);
      return mapTrack(raw);
    } catch (error) {
      if (error instanceof SpotifyNotFoundError) return null;
      throw error;
    }
  }

  /** Audio features in batches of 100, or `{ available: false }` where the tier has none (no request once that is known). */
  async getAudioFeatures(ids: readonly string[]): Promise<AudioFeaturesResult> {
    const { valid, result } = splitIds<SpotifyAudioFeatures>(ids);
    if (valid.length === 0 && (await this.capabilities.knownUnavailable('audio_features'))) return AUDIO_FEATURES_UNAVAILABLE;
    for (const batch of chunk(valid, AUDIO_FEATURES_BATCH_SIZE)) {
      const answer = await this.capabilities.attempt('audio_features', () => this.get({ kind: 'app' }, `/audio-features?ids=${batch.join(',')}`));
      if (!answer.ok) return AUDIO_FEATURES_UNAVAILABLE;
      const entries = Array.isArray(answer.value.audio_features) ? answer.value.audio_features : [];
      batch.forEach((id, i) => result.set(id, isObject(entries[i]) ? mapAudioFeatures(entries[i] as RawObject) : null));
    }
    return { available: true, features: result };
  }

  /** GET /search type=track; `limit` is clamped to the tier's maximum (10 development, 50 extended). */
  async searchTracks(q: string, { limit, offset = 0 }: { limit?: number; offset?: number } = {}): Promise<SpotifyTrack[]> {
    const max = await this.capabilities.maxSearchLimit();
    const size = clamp(limit ?? max, 1, max);
    const body = await this.get({ kind: 'app' }, `/search?${query({ q, type: 'track', limit: size, offset })}`);
    const tracks = isObject(body.tracks) && Array.isArray(body.tracks.items) ? body.tracks.items.filter(isObject) : [];
    await this.capabilities.observeTracks(tracks);
    return tracks.map(mapTrack);
  }

  /** Tracks carrying this ISRC (an album version and its single may share one). */
  async searchByIsrc(isrc: string, options: { limit?: number } = {}): Promise<SpotifyTrack[]> {
    const normal = isrc.trim().toUpperCase();
    if (!/^[A-Z]{2}[A-Z0-9]{3}\d{7}$/.test(normal)) return [];
    const tracks = await this.searchTracks(`isrc:${normal}`, options);
    return tracks.filter((track) => track.isrc === normal);
  }

  /** Fills `result` batch by batch; returns the ids still to fetch one by one when batches are forbidden in this tier. */
  private async getTracksInBatches(ids: string[], result: Map<string, SpotifyTrack | null>): Promise<string[]> {
    const batches = chunk(ids, TRACKS_BATCH_SIZE);
    for (let b = 0; b < batches.length; b++) {
      const batch = batches[b];
      const answer = await this.capabilities.attempt('batch_tracks', () => this.get({ kind: 'app' }, `/tracks?ids=${batch.join(',')}`));
      if (!answer.ok) return batches.slice(b).flat();
      const entries = Array.isArray(answer.value.tracks) ? answer.value.tracks : [];
      // Answers come in request order, with null for an unknown id.
      batch.forEach((id, i) => result.set(id, isObject(entries[i]) ? mapTrack(entries[i] as RawObject) : null));
      await this.capabilities.observeTracks(entries.filter(isObject));
    }
    return [];
  }

  private async get(token: Token, path: string): Promise<RawObject> {
    const accessToken = token.kind === 'app' ? await this.accounts.getAppAccessToken() : token.accessToken;
    try {
      return await this.request(token, accessToken, path);
    } catch (error) {
      // The app token may be revoked or expired early: one fresh token, one retry.
      if (!(error instanceof SpotifyUnauthorizedError) || token.kind !== 'app') throw error;
      this.accounts.invalidateAppToken(accessToken);
      return this.request(token, await this.accounts.getAppAccessToken(), path);
    }
  }

  private async request(token: Token, accessToken: string, path: string): Promise<RawObject> {
    const response = await this.http.send({
      method: 'GET',
      url: `${this.config.spotify.apiBaseUrl}${path}`,
      endpoint: path.split('?')[0].replace(/\/[0-9A-Za-z]{22}(?=\/|$)/g, '/{id}'),
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      gated: true,
      idempotent: true,
    });
    if (response.status >= 200 && response.status < 300) return isObject(response.body) ? response.body : {};
    throw webApiError(response.status, response.body, token.kind, path);
  }
}

function webApiError(status: number, body: unknown, tokenKind: Token['kind'], path: string): SpotifyError {
  const message = isObject(body) && isObject(body.error) && typeof body.error.message === 'string' ? body.error.message : '';
  const what = `Spotify GET ${path.split('?')[0]} answered ${status}${message ? `: ${message}` : ''}`;
  switch (status) {
    case 401:
      return new SpotifyUnauthorizedError(what, status);
    case 403:
      if (tokenKind === 'user' && /not registered/i.test(message)) {
        return new SpotifyUserNotAllowedError(
          'This Spotify account is not allowed to use the app (development mode allows 5 users, registered in the Developer Dashboard)',
          status,
        );
      }
      return new SpotifyForbiddenError(what, status);
    case 404:
      return new SpotifyNotFoundError(what, status);
    default:
      return new SpotifyBadRequestError(what, status);
  }
}

/** Drops duplicates; malformed ids get their null answer at once and are never sent. */
function splitIds<T>(ids: readonly string[]): { valid: string[]; result: Map<string, T | null> } {
  const result = new Map<string, T | null>();
  const valid: string[] = [];
  for (const id of ids) {
    if (result.has(id)) continue;
    result.set(id, null);
    if (isSpotifyId(id)) valid.push(id);
  }
  return { valid, result };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

async function forEachLimited<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  // After one failure the others finish their current item and stop, so no request is wasted.
  const worker = async () => {
    while (!failed && next < items.length) {
      try {
        await work(items[next++]);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.floor(value)));
}

function query(params: Record<string, string | number>): string {
  return new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
}
