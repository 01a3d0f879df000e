import { json, RequestContext, route, Route, SandboxResponse, webApiError } from './http';
import { renderAudioFeatures, renderTrack, renderUser } from './render';
import { parseSearchQuery } from './search';
import { isDecodableSpotifyId } from './random';
import { SandboxState } from './state';

const SPOTIFY_ID = /^[0-9A-Za-z]{22}$/;
const MAX_TRACK_IDS = 50;
const MAX_AUDIO_FEATURE_IDS = 100;
const SEARCH_LIMITS = { extended: { default: 20, max: 50 }, development: { default: 5, max: 10 } } as const;
const MAX_SEARCH_OFFSET = 1000;

/** The Web API subset under /v1. Every route needs a valid access token. */
export function webApiRoutes(state: SandboxState): Route[] {
  return [
    route('GET', '/v1/me', (ctx) => me(state, ctx)),
    route('GET', '/v1/me/tracks', (ctx) => savedTracks(state, ctx)),
    route('GET', '/v1/tracks', (ctx) => severalTracks(state, ctx)),
    route('GET', '/v1/tracks/{id}', (ctx) => oneTrack(state, ctx)),
    route('GET', '/v1/audio-features', (ctx) => audioFeatures(state, ctx)),
    route('GET', '/v1/search', (ctx) => search(state, ctx)),
  ];
}

interface Caller {
  userId: string | null;
  scopes: string[];
}

function authenticate(state: SandboxState, ctx: RequestContext): Caller {
  const header = ctx.headers.authorization;
  if (!header) throw webApiError(401, 'No token provided');
  if (!header.startsWith('Bearer ')) throw webApiError(400, 'Only valid bearer authentication supported');
  const token = state.tokens.findAccessToken(header.slice('Bearer '.length).trim());
  const { config } = state;
  if (!token || token.revoked || (token.userId !== null && config.revokedUsers.includes(token.userId))) {
    throw webApiError(401, 'Invalid access token');
  }
  if (Date.now() >= token.expiresAt) throw webApiError(401, 'The access token expired');
  if (token.userId !== null && config.tier === 'development' && !state.users.isAllowedInDevMode(token.userId, config.devModeAllowedUsers)) {
    throw webApiError(403, config.userNotAllowedMessage);
  }
  return token;
}

function authenticateUser(state: SandboxState, ctx: RequestContext): Caller & { userId: string } {
  const caller = authenticate(state, ctx);
  if (caller.userId === null) throw webApiError(401, 'This request requires user authentication.');
  return { ...caller, userId: caller.userId };
}

function me(state: SandboxState, ctx: RequestContext): SandboxResponse {
  const { userId, scopes } = authenticateUser(state, ctx);
  return json(200, renderUser(userId, scopes, state.config.tier, state.apiBaseUrl));
}

function savedTracks(state: SandboxState, ctx: RequestContext): SandboxResponse {
  const { userId, scopes } = authenticateUser(state, ctx);
  if (!scopes.includes('user-library-read')) throw webApiError(403, 'Insufficient client scope');
  const query = ctx.url.searchParams;
  const limit = intParam(query, 'limit', 20, 1, 50, 'Invalid limit');
  const offset = intParam(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER, 'Invalid offset');
  const { tier, dirty } = state.config;
  const rendered = state.users.library(userId).flatMap((saved) => {
    const track = state.index.byId.get(saved.trackId);
    return track ? [{ added_at: saved.addedAt, track: renderTrack(track, tier, state.apiBaseUrl, dirty) }] : [];
  });
  const items = dirty?.junkSavedItems ? withJunkItems(rendered) : rendered;
  const link = (at: number) => `${state.apiBaseUrl}/me/tracks?offset=${at}&limit=${limit}`;
  const result = page(items, limit, offset, link);
  return json(200, { ...result, total: result.total + (dirty?.savedTotalExtra ?? 0) });
}

/** Dirty mode: a `track: null` item after every 7th save and a local file after every 11th, as real libraries hold. */
function withJunkItems(items: { added_at: string; track: Record<string, unknown> }[]): unknown[] {
  const out: unknown[] = [];
  items.forEach((item, i) => {
    out.push(item);
    if (i % 7 === 6) out.push({ added_at: item.added_at, track: null });
    if (i % 11 === 10) out.push({ added_at: item.added_at, track: localFile(i) });
  });
  return out;
}

function localFile(n: number): Record<string, unknown> {
  return {
    album: { name: 'My Recordings', id: null, artists: [], images: [], type: 'album', uri: null },
    artists: [{ name: 'Me', id: null, type: 'artist', uri: null, external_urls: {}, href: null }],
    duration_ms: 180_000 + n,
    explicit: false,
    external_ids: {},
    external_urls: {},
    href: null,
    id: null,
    is_local: true,
    name: `demo take ${n}.mp3`,
    popularity: 0,
    preview_url: null,
    track_number: 0,
    type: 'track',
    uri: `spotify:local:Me:My+Recordings:demo+take+${n}.mp3:180`,
  };
}

/** Get Several Tracks: gone for development-mode apps since Feb 2026. */
function severalTracks(state: SandboxState, ctx: RequestContext): SandboxResponse {
  authenticate(state, ctx);
  if (state.config.tier === 'development') throw webApiError(403, 'Forbidden');
  const ids = parseIds(state, ctx.url.searchParams, MAX_TRACK_IDS);
  const tracks = ids.map((id) => state.index.byId.get(id) ?? null);
  return json(200, { tracks: tracks.map((track) => track && renderTrack(track, state.config.tier, state.apiBaseUrl, state.config.dirty)) });
}

function oneTrack(state: SandboxState, ctx: RequestContext): SandboxResponse {
  authenticate(state, ctx);
  const id = ctx.params.id;
  if (!SPOTIFY_ID.test(id) || (state.config.dirty?.refuseUndecodableIds && !isDecodableSpotifyId(id))) throw webApiError(400, 'invalid id');
  const track = state.index.byId.get(id);
  if (!track) throw webApiError(404, 'Resource not found');
  return json(200, renderTrack(track, state.config.tier, state.apiBaseUrl, state.config.dirty));
}

/** Gone for new apps since Nov 2024: a 403 whose message is empty, as Spotify answers. */
function audioFeatures(state: SandboxState, ctx: RequestContext): SandboxResponse {
  authenticate(state, ctx);
  if (state.config.tier === 'development') throw webApiError(403, '');
  const ids = parseIds(state, ctx.url.searchParams, MAX_AUDIO_FEATURE_IDS);
  const features = ids.map((id) => {
    const track = state.index.byId.get(id);
    return track ? renderAudioFeatures(track, state.apiBaseUrl) : null;
  });
  return json(200, { audio_features: features });
}

function search(state: SandboxState, ctx: RequestContext): SandboxResponse {
  authenticate(state, ctx);
  const query = ctx.url.searchParams;
  // Spotify's own `next` links spell the query parameter `query`.
  const q = query.get('q') ?? query.get('query');
  if (!q) throw webApiError(400, 'No search query');
  const types = (query.get('type') ?? '').split(',').filter(Boolean);
  if (types.length === 0) throw webApiError(400, 'Missing parameter type');
  if (!types.includes('track')) throw webApiError(400, 'The sandbox supports type=track only');
  const { tier } = state.config;
  const limits = SEARCH_LIMITS[tier];
  const limit = intParam(query, 'limit', limits.default, 1, limits.max, 'Invalid limit');
  const offset = intParam(query, 'offset', 0, 0, MAX_SEARCH_OFFSET, 'Invalid offset');

  const matches = state.search.search(parseSearchQuery(q));
  const link = (at: number) => `${state.apiBaseUrl}/search?query=${encodeURIComponent(q)}&type=track&offset=${at}&limit=${limit}`;
  const result = page(matches, limit, offset, link);
  return json(200, { tracks: { ...result, items: result.items.map((track) => renderTrack(track, tier, state.apiBaseUrl, state.config.dirty)) } });
}

function parseIds(state: SandboxState, query: URLSearchParams, max: number): string[] {
  const raw = query.get('ids');
  if (!raw) throw webApiError(400, 'Missing required parameter ids');
  const ids = raw.split(',');
  if (ids.length > max) throw webApiError(400, 'Too many ids requested');
  if (!ids.every((id) => SPOTIFY_ID.test(id))) throw webApiError(400, 'invalid id');
  // Dirty mode: one id that does not decode fails the whole request, as on Spotify.
  if (state.config.dirty?.refuseUndecodableIds && !ids.every(isDecodableSpotifyId)) throw webApiError(400, 'invalid id');
  return ids;
}

function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number, message: string): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) throw webApiError(400, message);
  return value;
}

interface Page<T> {
  href: string;
  items: T[];
  limit: number;
  next: string | null;
  offset: number;
  previous: string | null;
  total: number;
}

function page<T>(all: readonly T[], limit: number, offset: number, link: (offset: number) => string): Page<T> {
  return {
    href: link(offset),
    items: all.slice(offset, offset + limit),
    limit,
    next: offset + limit < all.length ? link(offset + limit) : null,
    offset,
    previous: offset > 0 ? link(Math.max(0, offset - limit)) : null,
    total: all.length,
  };
}
