import { registerAs } from '@nestjs/config';

export type AppRole = 'api' | 'worker' | 'all';
export type AccessTierSetting = 'extended' | 'development' | 'auto';

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

/** Thrown for a bad or missing variable; main.ts prints its message as the one line. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`Invalid configuration: ${variable} ${reason}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(name, 'is required');
  return value;
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = optional(env, name) ?? fallback;
  if (!allowed.includes(value as T)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')} (got "${value}")`);
  }
  return value as T;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

export type RequestBudgetSetting = { mode: 'auto' } | { mode: 'fixed'; per30s: number } | { mode: 'off' };

/** A number of requests per rolling 30 s, `auto` (learn it) or `off` (no budget: only the 429 pause, as before). */
function requestBudget(env: Env): RequestBudgetSetting {
  const name = 'SPOTIFY_REQUEST_BUDGET';
  const raw = optional(env, name) ?? 'auto';
  if (raw === 'auto' || raw === 'off') return { mode: raw };
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > 100_000) {
    throw new ConfigError(name, `must be auto, off or an integer from 1 to 100000 requests per 30 s (got "${raw}")`);
  }
  return { mode: 'fixed', per30s: value };
}

function url(env: Env, name: string, protocols: string[], fallback?: string): string {
  const value = fallback === undefined ? required(env, name) : (optional(env, name) ?? fallback);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(name, 'must be a URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}`);
  }
  return value.replace(/\/+$/, '');
}

function list(env: Env, name: string): string[] {
  return required(env, name)
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function encryptionKeys(env: Env): EncryptionKey[] {
  const name = 'TOKEN_ENCRYPTION_KEYS';
  const keys = list(env, name).map((pair) => {
    const separator = pair.indexOf(':');
    const id = pair.slice(0, separator);
    const key = Buffer.from(pair.slice(separator + 1), 'base64');
    if (separator < 1 || !/^[A-Za-z0-9_-]{1,32}$/.test(id)) {
      throw new ConfigError(name, 'must be keyId:base64key pairs (key ids: letters, digits, _ or -)');
    }
    if (key.length !== 32) {
      throw new ConfigError(name, `key "${id}" must be 32 bytes of base64 (openssl rand -base64 32)`);
    }
    return { id, key };
  });
  if (new Set(keys.map((k) => k.id)).size !== keys.length) {
    throw new ConfigError(name, 'has a repeated key id');
  }
  return keys;
}

function apiKeys(env: Env): string[] {
  const keys = list(env, 'API_KEYS');
  if (keys.length === 0) throw new ConfigError('API_KEYS', 'is required');
  if (keys.some((key) => key.length < 16)) {
    throw new ConfigError('API_KEYS', 'must hold keys of at least 16 characters');
  }
  return keys;
}

/** Parses and validates the environment; the only reader of process.env values. */
export function parseEnv(env: Env) {
  return {
    nodeEnv: optional(env, 'NODE_ENV') ?? 'development',
    port: integer(env, 'PORT', 3000, 0, 65535),
    role: oneOf<AppRole>(env, 'APP_ROLE', ['api', 'worker', 'all'], 'all'),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    redisKeyPrefix: optional(env, 'REDIS_KEY_PREFIX') ?? 'spotify-sync',
    apiKeys: apiKeys(env),
    encryptionKeys: encryptionKeys(env),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    logFormat: oneOf(env, 'LOG_FORMAT', ['json', 'pretty'], env.NODE_ENV === 'production' ? 'json' : 'pretty'),
    jobs: {
      // cron expressions, or "off"; schedules only enqueue
      trackSyncCron: optional(env, 'SYNC_TRACK_CRON') ?? '0 */6 * * *',
      popularityCron: optional(env, 'SYNC_POPULARITY_CRON') ?? '30 3 * * *',
      reconcileIntervalMs: integer(env, 'JOB_RECONCILE_INTERVAL_MS', 10_000, 100, 3_600_000),
      stalledIntervalMs: integer(env, 'JOB_STALLED_INTERVAL_MS', 30_000, 500, 3_600_000),
      lockDurationMs: integer(env, 'JOB_LOCK_DURATION_MS', 30_000, 1_000, 3_600_000),
      attempts: integer(env, 'JOB_ATTEMPTS', 5, 1, 50),
      backoffMs: integer(env, 'JOB_BACKOFF_MS', 5_000, 10, 3_600_000),
      concurrency: integer(env, 'JOB_CONCURRENCY', 2, 1, 50),
      chunkSize: integer(env, 'JOB_CHUNK_SIZE', 500, 1, 5_000),
      enqueueTimeoutMs: integer(env, 'JOB_ENQUEUE_TIMEOUT_MS', 1_500, 50, 60_000),
      // inside the process's 20 s shutdown budget (src/common/graceful-shutdown.ts)
      shutdownGraceMs: integer(env, 'JOB_SHUTDOWN_GRACE_MS', 15_000, 0, 600_000),
    },
    spotify: {
      clientId: required(env, 'SPOTIFY_CLIENT_ID'),
      clientSecret: required(env, 'SPOTIFY_CLIENT_SECRET'),
      redirectUri: url(env, 'SPOTIFY_REDIRECT_URI', ['http:', 'https:']),
      apiBaseUrl: url(env, 'SPOTIFY_API_BASE_URL', ['http:', 'https:'], 'https://api.spotify.com/v1'),
      accountsBaseUrl: url(env, 'SPOTIFY_ACCOUNTS_BASE_URL', ['http:', 'https:'], 'https://accounts.spotify.com'),
      connectReturnUrl: optional(env, 'SPOTIFY_CONNECT_RETURN_URL')
        ? url(env, 'SPOTIFY_CONNECT_RETURN_URL', ['http:', 'https:'])
        : undefined,
      accessTier: oneOf<AccessTierSetting>(env, 'SPOTIFY_ACCESS_TIER', ['extended', 'development', 'auto'], 'auto'),
      requestTimeoutMs: integer(env, 'SPOTIFY_REQUEST_TIMEOUT_MS', 10_000, 100, 120_000),
      // A rate-limit pause longer than this throws SpotifyRateLimitedError (the job is delayed) instead of waiting inline.
      maxInlineWaitMs: integer(env, 'SPOTIFY_MAX_INLINE_WAIT_MS', 10_000, 0, 600_000),
      maxAttempts: integer(env, 'SPOTIFY_MAX_ATTEMPTS', 4, 1, 10),
      retryBaseDelayMs: integer(env, 'SPOTIFY_RETRY_BASE_DELAY_MS', 500, 0, 60_000),
      capabilityRecheckHours: integer(env, 'SPOTIFY_CAPABILITY_RECHECK_HOURS', 24, 1, 24 * 90),
      requestBudget: requestBudget(env),
    },
  };
}

export type AppConfig = ReturnType<typeof parseEnv>;

/** Injection token: `@Inject(APP_CONFIG) config: AppConfig`. */
export const APP_CONFIG = 'CONFIGURATION(app)';
export const appConfigFactory = (config: AppConfig) => registerAs('app', () => config);
