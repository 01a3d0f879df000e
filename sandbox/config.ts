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
  /** Spotify's rolling limit: Web API requests per 30 s beyond which it answers 429 (rate-window.ts); null = none. */
  rateLimitPer30s: number | null;
}

export type SandboxConfigPatch = Partial<Omit<SandboxConfig, 'serverErrors'>> & {
  serverErrors?: { count: number; status?: 500 | 502 | 503 } | null;
};

/** Spotify: refresh tokens expire six months after the original consent (6 × 30.5 days). */
export const SIX_MONTHS_SECONDS = 183 * 24 * 3600;

export function defaultConfig(
  overrides: Partial<Pick<SandboxConfig, 'tier' | 'latencyMs' | 'accessTokenTtlSeconds' | 'rateLimitPer30s'>>,
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
