import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import {
  SpotifyBadRequestError,
  SpotifyError,
  SpotifyRateLimitedError,
  SpotifyForbiddenError,
  SpotifyNotFoundError,
  SpotifyUnauthorizedError,
  SpotifyUserNotAllowedError,
} from './spotify.errors';
import {
  emptySkipped,
  isComplete,
  isObject,
  mapAudioFeaturesPartial,
  mapSavedTrackItems,
  mapTrack,
  mapUser,
  RawObject,
} from './spotify.mappers';
import { DropCounter, normaliseIsrc } from './spotify.normalise';
import {
  AUDIO_FEATURES_BATCH_SIZE,
  AudioFeaturesOutcome,
  AudioFeaturesResult,
  BatchOutcome,
  isSpotifyId,
  NormalisedAudioFeatures,
  SAVED_TRACKS_PAGE_SIZE,
  SpotifyAudioFeatures,
  SpotifySavedTracksPage,
  SpotifyTrack,
  SpotifyUser,
  TRACKS_BATCH_SIZE,
} from './spotify.types';
import { SpotifyAccountsClient } from './spotify-accounts.client';
import { SpotifyCapabilitiesService } from './spotify-capabilities.service';
import { NOT_JSON, SpotifyHttp } from './spotify-http';

/** Per-id fetches run this many at a time: fast enough, and gentle on Spotify's rolling window. */
const SINGLE_FETCH_CONCURRENCY = 4;

type Token = { kind: 'app' } | { kind: 'user'; accessToken: string };

export interface OutcomeOptions {
  /**
   * On a rate-limit pause, return what was fetched so far with `interrupted: { error, pending }`
   * instead of throwing, so the caller can commit it and come back for `pending` after the pause.
   */
  keepPartialOnRateLimit?: boolean;
}
type Expect = (body: unknown) => string | null;

const AUDIO_FEATURES_UNAVAILABLE = 'Audio features are not available to this Spotify app (its access tier, or the endpoint is gone)';

/**
 * The Spotify Web API, typed. One code path for both tiers, steered by the capabilities.
 * App-level calls use the client-credentials token; user calls take the user's token, and a 401
 * on it surfaces as SpotifyUnauthorizedError so the token service can refresh once and retry once.
 * Every answer's shape is checked before it is read (a wrong 2xx body is a transient error), and every
 * value is normalised by spotify.mappers / spotify.normalise: nothing past this class sees raw JSON.
 */
@Injectable()
export class SpotifyClient {
  constructor(
    private readonly http: SpotifyHttp,
    private readonly accounts: SpotifyAccountsClient,
    private readonly capabilities: SpotifyCapabilitiesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * GET /me, as the connect callback calls it. A 403 here, to a token just issued for this app, is a
   * development-mode app refusing an account not on its user list, whatever Spotify's wording:
   * SpotifyUserNotAllowedError.
   */
  async getCurrentUser(userAccessToken: string): Promise<SpotifyUser> {
    try {
      return mapUser(await this.get({ kind: 'user', accessToken: userAccessToken }, '/me', expectObjectWith('id', 'string')));
    } catch (error) {
      if (!(error instanceof SpotifyForbiddenError)) throw error;
      throw new SpotifyUserNotAllowedError(
        'This Spotify account is not allowed to use the app (development mode allows 5 users, registered in the Developer Dashboard)',
        error.status,
      );
    }
  }

  /**
   * GET /me/tracks (needs `user-library-read`), newest first: Spotify's page as given (offset, limit,
   * next, total, rawCount), its usable items, and the others counted by reason in `skipped`.
   * Page on with `offset + rawCount` or `next`: never with the usable count.
   */
  async getSavedTracks(
    userAccessToken: string,
    { offset = 0, limit = SAVED_TRACKS_PAGE_SIZE }: { offset?: number; limit?: number } = {},
  ): Promise<SpotifySavedTracksPage> {
    const size = clamp(limit, 1, SAVED_TRACKS_PAGE_SIZE);
    const body = await this.get({ kind: 'user', accessToken: userAccessToken }, `/me/tracks?${query({ limit: size, offset })}`, expectSavedPage);
    const rawItems = body.items as unknown[];
    const drops = new DropCounter();
    const { items, skipped } = mapSavedTrackItems(rawItems, drops);
    return {
      items,
      total: body.total as number,
      offset: typeof body.offset === 'number' && Number.isInteger(body.offset) ? body.offset : offset,
      limit: typeof body.limit === 'number' && Number.isInteger(body.limit) ? body.limit : size,
      next: typeof body.next === 'string' && body.next !== '' ? body.next : null,
      rawCount: rawItems.length,
      skipped: rawItems.length ? skipped : emptySkipped(),
      dropped: drops.counts,
    };
  }

  /**
   * Tracks by id with a per-id outcome: batches of 50 where the tier allows, else one request per id.
   * A batch Spotify refuses whole (400, e.g. `invalid id`) is split in halves until the refused id
   * stands alone; every other id of it is still fetched.
   */
  async getTrackOutcomes(ids: readonly string[], options: OutcomeOptions = {}): Promise<BatchOutcome<SpotifyTrack>> {
    const outcome = emptyOutcome<SpotifyTrack>();
    const valid = distinctValid(ids, outcome);
    const drops = new DropCounter();
    try {
      const pending: string[] = [];
      const batches = chunk(valid, TRACKS_BATCH_SIZE);
      for (let b = 0; b < batches.length; b++) {
        if (!(await this.fetchTrackBatch(batches[b], outcome, drops))) {
          // (a split batch may have settled some ids before batches turned out unavailable)
          pending.push(...batches.slice(b).flat().filter((id) => !settled(outcome, id)));
          break;
        }
      }
      await forEachLimited(pending, SINGLE_FETCH_CONCURRENCY, async (id) => {
        await this.fetchOneTrack(id, outcome, drops);
      });
    } catch (error) {
      if (!(options.keepPartialOnRateLimit && error instanceof SpotifyRateLimitedError)) throw error;
      outcome.interrupted = { error, pending: valid.filter((id) => !settled(outcome, id)) };
    }
    outcome.dropped = drops.counts;
    return outcome;
  }

  /**
   * First-edition form of getTrackOutcomes: every requested id is a key; null = unknown to Spotify,
   * refused by Spotify, or malformed (never sent). Prefer getTrackOutcomes, which tells them apart.
   */
  async getTracks(ids: readonly string[]): Promise<Map<string, SpotifyTrack | null>> {
    const outcome = await this.getTrackOutcomes(ids);
    return new Map(ids.map((id) => [id, outcome.found.get(id) ?? null]));
  }

  /** GET /tracks/{id}; null when Spotify does not know or refuses the id. */
  async getTrack(id: string): Promise<SpotifyTrack | null> {
    return (await this.getTrackOutcomes([id])).found.get(id) ?? null;
  }

  /**
   * Audio features by id with a per-id outcome (batches of 100, split on a refused batch like tracks),
   * or `{ available: false }` where the tier has none or the endpoint answers 403/404 (no request once
   * that is known). A feature Spotify did not send, or sent out of range, is absent, never 0.
   */
  async getAudioFeatureOutcomes(ids: readonly string[], options: OutcomeOptions = {}): Promise<AudioFeaturesOutcome> {
    const outcome = emptyOutcome<NormalisedAudioFeatures>();
    const valid = distinctValid(ids, outcome);
    if (valid.length === 0 && (await this.capabilities.knownUnavailable('audio_features'))) {
      return { available: false, reason: AUDIO_FEATURES_UNAVAILABLE };
    }
    const drops = new DropCounter();
    try {
      for (const batch of chunk(valid, AUDIO_FEATURES_BATCH_SIZE)) {
        if (!(await this.fetchFeatureBatch(batch, outcome, drops))) return { available: false, reason: AUDIO_FEATURES_UNAVAILABLE };
      }
    } catch (error) {
      if (!(options.keepPartialOnRateLimit && error instanceof SpotifyRateLimitedError)) throw error;
      outcome.interrupted = { error, pending: valid.filter((id) => !settled(outcome, id)) };
    }
    outcome.dropped = drops.counts;
    return { available: true, ...outcome };
  }

  /**
   * First-edition form: a record only where every stored feature is usable (so nothing is ever written
   * as 0 for a missing field), else null. Prefer getAudioFeatureOutcomes.
   */
  async getAudioFeatures(ids: readonly string[]): Promise<AudioFeaturesResult> {
    const outcome = await this.getAudioFeatureOutcomes(ids);
    if (!outcome.available) return outcome;
    const features = new Map<string, SpotifyAudioFeatures | null>();
    for (const id of ids) {
      const found = outcome.found.get(id);
      features.set(id, found && isComplete(found) ? found : null);
    }
    return { available: true, features };
  }

  /** GET /search type=track; `limit` is clamped to the tier's maximum (10 development, 50 extended). */
  async searchTracks(q: string, { limit, offset = 0 }: { limit?: number; offset?: number } = {}): Promise<SpotifyTrack[]> {
    const max = await this.capabilities.maxSearchLimit();
    const size = clamp(limit ?? max, 1, max);
    const body = await this.get({ kind: 'app' }, `/search?${query({ q, type: 'track', limit: size, offset })}`, expectSearch);
    const tracks = ((body.tracks as RawObject).items as unknown[]).filter(isObject);
    await this.capabilities.observeTracks(tracks);
    return tracks.map((raw) => mapTrack(raw)).filter((track): track is SpotifyTrack => track !== null);
  }

  /** Tracks carrying this ISRC (an album version and its single may share one). */
  async searchByIsrc(isrc: string, options: { limit?: number } = {}): Promise<SpotifyTrack[]> {
    const normal = normaliseIsrc(isrc);
    if (!normal) return [];
    const tracks = await this.searchTracks(`isrc:${normal}`, options);
    return tracks.filter((track) => track.isrc === normal);
  }

  /** false when batches are unavailable in this tier (the caller fetches one by one). */
  private async fetchTrackBatch(batch: string[], outcome: BatchOutcome<SpotifyTrack>, drops: DropCounter): Promise<boolean> {
    let answer: { ok: true; value: RawObject } | { ok: false };
    try {
      answer = await this.capabilities.attempt('batch_tracks', () =>
        this.get({ kind: 'app' }, `/tracks?ids=${batch.join(',')}`, expectArray('tracks', batch.length)),
      );
    } catch (error) {
      if (!(error instanceof SpotifyBadRequestError)) throw error;
      return this.split(batch, error, outcome, (half) => this.fetchTrackBatch(half, outcome, drops));
    }
    if (!answer.ok) return false;
    const entries = answer.value.tracks as unknown[];
    // Answers come in request order, with null for an unknown id.
    batch.forEach((id, i) => settle(outcome, id, isObject(entries[i]) ? mapTrack(entries[i] as RawObject, drops) : null));
    await this.capabilities.observeTracks(entries.filter(isObject));
    return true;
  }

  private async fetchOneTrack(id: string, outcome: BatchOutcome<SpotifyTrack>, drops: DropCounter): Promise<void> {
    try {
      const raw = await this.get({ kind: 'app' }, `/tracks/${id}`, expectObjectWith('id', 'string'));
      await this.capabilities.observeTracks([raw]);
      settle(outcome, id, mapTrack(raw, drops));
    } catch (error) {
      if (error instanceof SpotifyNotFoundError) outcome.unknown.push(id);
      else if (error instanceof SpotifyBadRequestError) outcome.refused.set(id, refusalReason(error));
      else throw error;
    }
  }

  private async fetchFeatureBatch(batch: string[], outcome: BatchOutcome<NormalisedAudioFeatures>, drops: DropCounter): Promise<boolean> {
    let answer: { ok: true; value: RawObject } | { ok: false };
    try {
      answer = await this.capabilities.attempt('audio_features', () =>
        this.get({ kind: 'app' }, `/audio-features?ids=${batch.join(',')}`, expectArray('audio_features', batch.length)),
      );
    } catch (error) {
      if (!(error instanceof SpotifyBadRequestError)) throw error;
      return this.split(batch, error, outcome, (half) => this.fetchFeatureBatch(half, outcome, drops));
    }
    if (!answer.ok) return false;
    const entries = answer.value.audio_features as unknown[];
    batch.forEach((id, i) => settle(outcome, id, isObject(entries[i]) ? mapAudioFeaturesPartial(entries[i] as RawObject, drops) : null));
    return true;
  }

  /** A refused batch: alone, the id is refused with Spotify's reason; else each half is tried on its own. */
  private async split<T>(
    batch: string[],
    error: SpotifyBadRequestError,
    outcome: BatchOutcome<T>,
    fetchHalf: (half: string[]) => Promise<boolean>,
  ): Promise<boolean> {
    if (batch.length === 1) {
      outcome.refused.set(batch[0], refusalReason(error));
      return true;
    }
    const middle = Math.ceil(batch.length / 2);
    for (const half of [batch.slice(0, middle), batch.slice(middle)]) {
      if (!(await fetchHalf(half))) return false;
    }
    return true;
  }

  private async get(token: Token, path: string, expect: Expect): Promise<RawObject> {
    const accessToken = token.kind === 'app' ? await this.accounts.getAppAccessToken() : token.accessToken;
    try {
      return await this.request(token, accessToken, path, expect);
    } catch (error) {
      // The app token may be revoked or expired early: one fresh token, one retry.
      if (!(error instanceof SpotifyUnauthorizedError) || token.kind !== 'app') throw error;
      this.accounts.invalidateAppToken(accessToken);
      return this.request(token, await this.accounts.getAppAccessToken(), path, expect);
    }
  }

  private async request(token: Token, accessToken: string, path: string, expect: Expect): Promise<RawObject> {
    const response = await this.http.send({
      method: 'GET',
      url: `${this.config.spotify.apiBaseUrl}${path}`,
      endpoint: path.split('?')[0].replace(/\/[0-9A-Za-z]{22}(?=\/|$)/g, '/{id}'),
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      gated: true,
      idempotent: true,
      expect,
    });
    // `expect` has checked the 2xx body's shape in SpotifyHttp (retried, then thrown), so it is an object here.
    if (response.status >= 200 && response.status < 300) return response.body as RawObject;
    throw webApiError(response.status, response.body, path);
  }
}

function webApiError(status: number, body: unknown, path: string): SpotifyError {
  const message = isObject(body) && isObject(body.error) && typeof body.error.message === 'string' ? body.error.message.slice(0, 200) : '';
  const what = `Spotify GET ${path.split('?')[0]} answered ${status}${message ? `: ${message}` : ''}`;
  switch (status) {
    case 401:
      return new SpotifyUnauthorizedError(what, status);
    case 403:
      return new SpotifyForbiddenError(what, status);
    case 404:
      return new SpotifyNotFoundError(what, status);
    default:
      return new SpotifyBadRequestError(what, status, null, message || null);
  }
}

function refusalReason(error: SpotifyBadRequestError): string {
  return `Spotify refused the id (${error.status ?? 400}${error.spotifyMessage ? `: ${error.spotifyMessage}` : ''})`;
}

function emptyOutcome<T>(): BatchOutcome<T> {
  return { found: new Map(), unknown: [], refused: new Map(), dropped: {} };
}

/** Drops duplicates; a malformed id is refused at once and never sent (one would fail a whole batch). */
function distinctValid<T>(ids: readonly string[], outcome: BatchOutcome<T>): string[] {
  const seen = new Set<string>();
  const valid: string[] = [];
  for (const id of ids) {
    if (seen.has(id)) continue;
    seen.add(id);
    if (isSpotifyId(id)) valid.push(id);
    else outcome.refused.set(id, 'not a Spotify id (22 base-62 characters); never sent');
  }
  return valid;
}

function settled<T>(outcome: BatchOutcome<T>, id: string): boolean {
  return outcome.found.has(id) || outcome.refused.has(id) || outcome.unknown.includes(id);
}

/** A track whose own id is unusable, or a null entry, counts as unknown: Spotify gave nothing usable for it. */
function settle<T>(outcome: BatchOutcome<T>, id: string, value: T | null): void {
  if (value === null) outcome.unknown.push(id);
  else outcome.found.set(id, value);
}

// Shape checks of 2xx bodies; each returns null when the body is what the endpoint promises.

function describeBody(body: unknown): string {
  if (body === NOT_JSON) return 'not JSON';
  if (body === null) return 'empty';
  return Array.isArray(body) ? 'an array' : typeof body;
}

function expectObjectWith(field: string, type: 'string'): Expect {
  return (body) => {
    if (!isObject(body)) return `expected an object, got ${describeBody(body)}`;
    return typeof body[field] === type ? null : `${field}: expected a ${type}`;
  };
}

function expectArray(field: string, length: number): Expect {
  return (body) => {
    if (!isObject(body)) return `expected an object, got ${describeBody(body)}`;
    const list = body[field];
    if (!Array.isArray(list)) return `${field}: expected an array`;
    if (list.length !== length) return `${field}: expected ${length} entries, got ${list.length}`;
    return list.every((entry) => entry === null || isObject(entry)) ? null : `${field}: entries must be objects or null`;
  };
}

function expectSavedPage(body: unknown): string | null {
  if (!isObject(body)) return `expected an object, got ${describeBody(body)}`;
  if (!Array.isArray(body.items)) return 'items: expected an array';
  if (typeof body.total !== 'number' || !Number.isInteger(body.total) || body.total < 0) return 'total: expected an integer >= 0';
  if (body.next !== undefined && body.next !== null && typeof body.next !== 'string') return 'next: expected a string or null';
  return null;
}

function expectSearch(body: unknown): string | null {
  if (!isObject(body)) return `expected an object, got ${describeBody(body)}`;
  return isObject(body.tracks) && Array.isArray(body.tracks.items) ? null : 'tracks.items: expected an array';
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
  // Every worker settles before this returns, so nothing lands in a result after its caller has it.
  const results = await Promise.allSettled(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  const rejected = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (rejected) throw rejected.reason;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.floor(value)));
}

function query(params: Record<string, string | number>): string {
  return new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
}
