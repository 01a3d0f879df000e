import { HttpError, json } from './http';

export type Tier = 'extended' | 'development';

export interface RateLimitFault {
  /** Every Nth Web API request answers 429. */
  everyN: number;
  /** null: the 429 carries no Retry-After header (Spotify sometimes omits it). */
  retryAfterSeconds: number | null;
}

export interface QuotaExceededFault {
  retryAfterSeconds: number | null;
}

export interface ServerErrorsFault {
  /** How many of the next Web API requests still fail; counts down. */
  count: number;
  status: 500 | 502 | 503;
}

export interface TokenServerErrorsFault {
  /** How many of the next token-endpoint requests fail with `status`; counts down. */
  count: number;
  status: 500 | 502 | 503;
  /** Then this many refresh_token requests answer `invalid_grant` although the grant is fine (an outage's aftermath). */
  thenInvalidGrant: number;
}

/**
 * "Dirty" mode: Spotify's messy answers. Each part can be set on its own; `dirty: true` (or SANDBOX_DIRTY=1)
 * turns on DIRTY_PRESET. Retry-After of 0, missing or huge come from the `rateLimit` fault.
 */
export interface DirtyConfig {
  /** About 4 tracks in 10 (chosen by id) carry an ISRC hyphenated, in lower case, with spaces, or junk. */
  messyIsrcs: boolean;
  /** An id whose first character is not 0–7 (not a 128-bit number) makes the whole request a 400 `invalid id`. */
  refuseUndecodableIds: boolean;
  /** Saved-track pages hold `track: null` items and local files among the real ones. */
  junkSavedItems: boolean;
  /** `total` of saved-track pages claims this many more items than the pages hold. */
  savedTotalExtra: number;
  /** Every Nth Web API request answers 200 with an HTML page or a cut-off JSON body (alternately); 0 = never. */
  malformedEveryN: number;
  /** Web API paths answered 404 as if Spotify removed the endpoint, e.g. `/v1/audio-features`. */
  removedEndpoints: string[];
}

export const DIRTY_PRESET: DirtyConfig = {
  messyIsrcs: true,
  refuseUndecodableIds: true,
  junkSavedItems: true,
  savedTotalExtra: 7,
  malformedEveryN: 50,
  removedEndpoints: [],
};

/** Wordings Spotify has used for the development-mode "user not allowed" 403. */
export const USER_NOT_ALLOWED_WORDINGS = [
  'User not registered in the Developer Dashboard',
  'Check settings on developer.spotify.com/dashboard, the user may not be registered.',
  'Forbidden',
  '',
] as const;

export interface SandboxConfig {
  tier: Tier;
  latencyMs: number;
  rotateRefreshTokens: boolean;
  accessTokenTtlSeconds: number;
  refreshTokenMaxAgeSeconds: number;
  /** One-shot: the user who consents at the next /authorize without `sandbox_user`. */
  nextAuthorizeUser: string | null;
  /** One-shot: the next /authorize is denied. */
  denyNextAuthorize: boolean;
  /** Development tier only. null: the first five distinct users who ever consented. */
  devModeAllowedUsers: string[] | null;
  rateLimit: RateLimitFault | null;
  quotaExceeded: QuotaExceededFault | null;
  serverErrors: ServerErrorsFault | null;
  /** Users whose every token is refused while they are listed. */
  revokedUsers: string[];
  /** The message of the development-mode 403 (Spotify's wording has changed over time). */
  userNotAllowedMessage: string;
  tokenServerErrors: TokenServerErrorsFault | null;
  dirty: DirtyConfig | null;
  /** Spotify's rolling limit: Web API requests per 30 s beyond which it answers 429 (rate-window.ts); null = none. */
  rateLimitPer30s: number | null;
}

export type SandboxConfigPatch = Partial<Omit<SandboxConfig, 'serverErrors' | 'tokenServerErrors' | 'dirty'>> & {
  serverErrors?: { count: number; status?: 500 | 502 | 503 } | null;
  tokenServerErrors?: { count: number; status?: 500 | 502 | 503; thenInvalidGrant?: number } | null;
  /** true: DIRTY_PRESET; an object: DIRTY_PRESET with these parts changed. */
  dirty?: boolean | Partial<DirtyConfig> | null;
};

/** Spotify: refresh tokens expire six months after the original consent (6 × 30.5 days). */
export const SIX_MONTHS_SECONDS = 183 * 24 * 3600;

export function defaultConfig(
  overrides: Partial<Pick<SandboxConfig, 'tier' | 'latencyMs' | 'accessTokenTtlSeconds' | 'rateLimitPer30s'>> & { dirty?: boolean },
): SandboxConfig {
  return {
    tier: overrides.tier ?? 'extended',
    latencyMs: overrides.latencyMs ?? 0,
    rotateRefreshTokens: false,
    accessTokenTtlSeconds: overrides.accessTokenTtlSeconds ?? 3600,
    refreshTokenMaxAgeSeconds: SIX_MONTHS_SECONDS,
    nextAuthorizeUser: null,
    denyNextAuthorize: false,
    devModeAllowedUsers: null,
    rateLimit: null,
    quotaExceeded: null,
    serverErrors: null,
    revokedUsers: [],
    userNotAllowedMessage: USER_NOT_ALLOWED_WORDINGS[0],
    tokenServerErrors: null,
    dirty: overrides.dirty ? structuredClone(DIRTY_PRESET) : null,
    rateLimitPer30s: overrides.rateLimitPer30s ?? null,
  };
}

type Check = (value: unknown) => unknown;

/** Each check returns the normalised value or throws a message naming what is wrong. */
const CHECKS: Record<keyof SandboxConfig, Check> = {
  tier: (v) => oneOf(v, ['extended', 'development']),
  latencyMs: (v) => nonNegative(v),
  rotateRefreshTokens: (v) => bool(v),
  accessTokenTtlSeconds: (v) => nonNegative(v),
  refreshTokenMaxAgeSeconds: (v) => nonNegative(v),
  nextAuthorizeUser: nullable((v) => str(v)),
  denyNextAuthorize: (v) => bool(v),
  devModeAllowedUsers: nullable((v) => strings(v)),
  revokedUsers: (v) => strings(v),
  rateLimitPer30s: nullable((v) => positiveInt(v, 'rateLimitPer30s')),
  rateLimit: nullable((v) => {
    const o = obj(v);
    return { everyN: positiveInt(o.everyN, 'everyN'), retryAfterSeconds: nullable(nonNegative)(o.retryAfterSeconds ?? null) };
  }),
  quotaExceeded: nullable((v) => ({ retryAfterSeconds: nullable(nonNegative)(obj(v).retryAfterSeconds ?? null) })),
  serverErrors: nullable((v) => {
    const o = obj(v);
    return { count: positiveInt(o.count, 'count'), status: oneOf(o.status ?? 503, [500, 502, 503]) };
  }),
  userNotAllowedMessage: (v) => {
    if (typeof v !== 'string') throw new Error('must be a string');
    return v;
  },
  tokenServerErrors: nullable((v) => {
    const o = obj(v);
    const then = o.thenInvalidGrant ?? 0;
    if (!Number.isInteger(then) || (then as number) < 0) throw new Error('thenInvalidGrant must be an integer >= 0');
    return { count: positiveInt(o.count, 'count'), status: oneOf(o.status ?? 503, [500, 502, 503]), thenInvalidGrant: then };
  }),
  dirty: (v) => {
    if (v === null || v === false) return null;
    if (v === true) return structuredClone(DIRTY_PRESET);
    const o = obj(v);
    const dirty: DirtyConfig = structuredClone(DIRTY_PRESET);
    for (const [key, value] of Object.entries(o)) {
      switch (key) {
        case 'messyIsrcs':
        case 'refuseUndecodableIds':
        case 'junkSavedItems':
          dirty[key] = bool(value);
          break;
        case 'savedTotalExtra':
        case 'malformedEveryN':
          if (!Number.isInteger(value) || (value as number) < 0) throw new Error(`${key} must be an integer >= 0`);
          dirty[key] = value as number;
          break;
        case 'removedEndpoints':
          dirty.removedEndpoints = strings(value);
          break;
        default:
          throw new Error(`${key}: unknown dirty setting`);
      }
    }
    return dirty;
  },
};

/** Merges a partial config; rejects unknown keys and bad values with one 400 listing them all. */
export function applyConfigPatch(config: SandboxConfig, patch: Record<string, unknown>): SandboxConfig {
  const next: Record<string, unknown> = { ...config };
  const problems: string[] = [];
  for (const [key, value] of Object.entries(patch)) {
    const check = CHECKS[key as keyof SandboxConfig];
    if (!check) {
      problems.push(`${key}: unknown setting`);
      continue;
    }
    try {
      next[key] = check(value);
    } catch (error) {
      problems.push(`${key}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new HttpError(json(400, { error: 'invalid config', problems }));
  return next as unknown as SandboxConfig;
}

function oneOf<T>(value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new Error(`must be one of ${allowed.join(', ')}`);
  return value as T;
}

function nonNegative(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error('must be a number >= 0');
  return value;
}

function positiveInt(value: unknown, name: string): number {
  if (!Number.isInteger(value) || (value as number) < 1) throw new Error(`${name} must be an integer >= 1`);
  return value as number;
}

function bool(value: unknown): boolean {
  if (typeof value !== 'boolean') throw new Error('must be a boolean');
  return value;
}

function str(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new Error('must be a non-empty string');
  return value;
}

function strings(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw new Error('must be an array of strings');
  return value;
}

function obj(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('must be an object or null');
  return value as Record<string, unknown>;
}

function nullable(check: Check): Check {
  return (value) => (value === null ? null : check(value));
}
