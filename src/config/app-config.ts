import { getConfigToken, registerAs } from '@nestjs/config';
import { CronTime } from 'cron';
import { DEFAULT_RETRY_DELAYS, parseRetryDelays } from '../webhooks/delivery/retry-schedule';
import { AllowedHost, parseAllowedHosts } from '../webhooks/delivery/webhook-url';

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

function url(env: Env, name: string, protocols: string[], fallback?: string, keepTrailingSlash = false): string {
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
  return keepTrailingSlash ? value : value.replace(/\/+$/, '');
}

/**
 * A schedule: `off`, or a cron expression checked with the library that runs the schedules
 * (cron-parser accepts forms such as `* * *` that it refuses), including one that can never fire.
 */
function schedule(env: Env, name: string, fallback: string): string {
  const value = optional(env, name) ?? fallback;
  if (value === 'off') return value;
  let time: CronTime;
  try {
    time = new CronTime(value, 'UTC');
  } catch (error) {
    throw new ConfigError(name, `must be a cron expression or off (got "${value}": ${(error as Error).message.split('\n')[0]})`);
  }
  try {
    time.sendAt();
  } catch {
    throw new ConfigError(name, `never fires (got "${value}")`);
  }
  return value;
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

function parsed<T>(env: Env, name: string, parse: (raw: string | undefined) => T): T {
  try {
    return parse(optional(env, name));
  } catch (error) {
    throw new ConfigError(name, (error as Error).message);
  }
}

function webhooks(env: Env) {
  return {
    /** empty: no subscription can be made and nothing is ever sent */
    allowedHosts: parsed<AllowedHost[]>(env, 'WEBHOOK_ALLOWED_HOSTS', parseAllowedHosts),
    retryDelaysMs: parsed(env, 'WEBHOOK_RETRY_DELAYS', (raw) => parseRetryDelays(raw ?? DEFAULT_RETRY_DELAYS)),
    requestTimeoutMs: integer(env, 'WEBHOOK_REQUEST_TIMEOUT_MS', 10_000, 100, 30_000),
    pollIntervalMs: integer(env, 'WEBHOOK_POLL_INTERVAL_MS', 5_000, 50, 600_000),
    concurrency: integer(env, 'WEBHOOK_CONCURRENCY', 10, 1, 200),
    // events (with their deliveries and log) older than this and not pending are deleted
    retentionDays: integer(env, 'WEBHOOK_RETENTION_DAYS', 30, 1, 3650),
    // in-flight requests a stopping worker waits for, inside the 20 s shutdown budget
    shutdownGraceMs: integer(env, 'WEBHOOK_SHUTDOWN_GRACE_MS', 3_000, 0, 15_000),
  };
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError(name, `must be true or false (got "${raw}")`);
}

/** A secret used as an HMAC key: at least 32 characters (e.g. `openssl rand -base64 32`). */
function secret(env: Env, name: string): string | undefined {
  const value = optional(env, name);
  if (value !== undefined && value.length < 32) {
    throw new ConfigError(name, 'must be at least 32 characters (openssl rand -base64 32)');
  }
  return value;
}

function connectReturn(env: Env) {
  const returnUrl = optional(env, 'SPOTIFY_CONNECT_RETURN_URL')
    ? url(env, 'SPOTIFY_CONNECT_RETURN_URL', ['http:', 'https:'])
    : undefined;
  const returnSecret = secret(env, 'SPOTIFY_CONNECT_RETURN_SECRET');
  if (returnUrl && !returnSecret) {
    throw new ConfigError('SPOTIFY_CONNECT_RETURN_SECRET', 'is required when SPOTIFY_CONNECT_RETURN_URL is set');
  }
  return { connectReturnUrl: returnUrl, connectReturnSecret: returnSecret };
}

/** Parses and validates the environment; the only reader of process.env values. */
export function parseEnv(env: Env) {
  const config = parseEnvValues(env);
  if (config.nodeEnv === 'production') refuseSampleSecrets(config);
  return config;
}

function parseEnvValues(env: Env) {
  return {
    nodeEnv: optional(env, 'NODE_ENV') ?? 'development',
    port: integer(env, 'PORT', 3000, 0, 65535),
    // 0 = any free port (tests); the main port never serves /metrics
    metricsPort: integer(env, 'METRICS_PORT', 9464, 0, 65535),
    docsEnabled: boolean(env, 'DOCS_ENABLED', true),
    http: {
      // above the probes' periods and a load balancer's idle timeout, below anything a slow client could farm
      headersTimeoutMs: integer(env, 'HTTP_HEADERS_TIMEOUT_MS', 10_000, 1_000, 120_000),
      requestTimeoutMs: integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 1_000, 600_000),
      keepAliveTimeoutMs: integer(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 65_000, 1_000, 600_000),
      maxConnections: integer(env, 'HTTP_MAX_CONNECTIONS', 1_000, 10, 100_000),
    },
    cursorSigningKey: secret(env, 'CURSOR_SIGNING_KEY'),
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
      trackSyncCron: schedule(env, 'SYNC_TRACK_CRON', '0 */6 * * *'),
      popularityCron: schedule(env, 'SYNC_POPULARITY_CRON', '30 3 * * *'),
      reconcileIntervalMs: integer(env, 'JOB_RECONCILE_INTERVAL_MS', 10_000, 100, 3_600_000),
      stalledIntervalMs: integer(env, 'JOB_STALLED_INTERVAL_MS', 30_000, 500, 3_600_000),
      lockDurationMs: integer(env, 'JOB_LOCK_DURATION_MS', 30_000, 1_000, 3_600_000),
      attempts: integer(env, 'JOB_ATTEMPTS', 5, 1, 50),
      backoffMs: integer(env, 'JOB_BACKOFF_MS', 5_000, 10, 3_600_000),
      concurrency: integer(env, 'JOB_CONCURRENCY', 2, 1, 50),
      // slots a worker keeps for interactive jobs only, beside JOB_CONCURRENCY's bulk ones
      interactiveConcurrency: integer(env, 'JOB_INTERACTIVE_CONCURRENCY', 1, 1, 50),
      // off: one queue for every job, as before the lanes (the benchmark's baseline)
      lanes: oneOf(env, 'JOB_LANES', ['on', 'off'], 'on') === 'on',
      // a wait for the request budget up to this, met by a chunk, is waited out by the worker instead of delaying the job
      yieldMaxMs: integer(env, 'JOB_YIELD_MAX_MS', 60_000, 0, 3_600_000),
      chunkSize: integer(env, 'JOB_CHUNK_SIZE', 500, 1, 5_000),
      enqueueTimeoutMs: integer(env, 'JOB_ENQUEUE_TIMEOUT_MS', 1_500, 50, 60_000),
      // inside the process's 20 s shutdown budget (src/common/graceful-shutdown.ts)
      shutdownGraceMs: integer(env, 'JOB_SHUTDOWN_GRACE_MS', 15_000, 0, 600_000),
    },
    webhooks: webhooks(env),
    spotify: {
      clientId: required(env, 'SPOTIFY_CLIENT_ID'),
      clientSecret: required(env, 'SPOTIFY_CLIENT_SECRET'),
      // Sent exactly as configured: Spotify compares redirect URIs character by character, a trailing slash included.
      redirectUri: url(env, 'SPOTIFY_REDIRECT_URI', ['http:', 'https:'], undefined, true),
      apiBaseUrl: url(env, 'SPOTIFY_API_BASE_URL', ['http:', 'https:'], 'https://api.spotify.com/v1'),
      accountsBaseUrl: url(env, 'SPOTIFY_ACCOUNTS_BASE_URL', ['http:', 'https:'], 'https://accounts.spotify.com'),
      ...connectReturn(env),
      accessTier: oneOf<AccessTierSetting>(env, 'SPOTIFY_ACCESS_TIER', ['extended', 'development', 'auto'], 'auto'),
      requestTimeoutMs: integer(env, 'SPOTIFY_REQUEST_TIMEOUT_MS', 10_000, 100, 120_000),
      // A rate-limit pause longer than this throws SpotifyRateLimitedError (the job is delayed) instead of waiting inline.
      maxInlineWaitMs: integer(env, 'SPOTIFY_MAX_INLINE_WAIT_MS', 10_000, 0, 600_000),
      maxAttempts: integer(env, 'SPOTIFY_MAX_ATTEMPTS', 4, 1, 10),
      retryBaseDelayMs: integer(env, 'SPOTIFY_RETRY_BASE_DELAY_MS', 500, 0, 60_000),
      capabilityRecheckHours: integer(env, 'SPOTIFY_CAPABILITY_RECHECK_HOURS', 24, 1, 24 * 90),
      // A longer Retry-After pauses for this long and is reported, so one absurd answer cannot stop Spotify work for good.
      maxRetryAfterS: integer(env, 'SPOTIFY_MAX_RETRY_AFTER_S', 3600, 1, 7 * 24 * 3600),
      requestBudget: requestBudget(env),
    },
  };
}

export type AppConfig = ReturnType<typeof parseEnvValues>;

/**
 * API keys and encryption keys printed in this repository (README, docker-compose.yml,
 * deploy/k8s/secret.example.yaml, .env examples, the demo). Anyone can read them, so a
 * production process refuses them (src/config/app-config.spec.ts checks this list against the files).
 */
export const SAMPLE_API_KEYS: readonly string[] = [
  'demo-api-key-change-me',
  'local-dev-api-key-0123456789',
  'REPLACE_ME',
];
export const SAMPLE_ENCRYPTION_KEYS: readonly string[] = ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='];

/**
 * A 32-byte key that is not random: few distinct bytes (random keys have ~30, below 20 has odds
 * under 1e-9) or only printable ASCII (a typed passphrase; random odds ~1e-14).
 */
function looksWeak(key: Buffer): boolean {
  return new Set(key).size < 20 || key.every((byte) => byte >= 0x20 && byte < 0x7f);
}

function refuseSampleSecrets(config: AppConfig): void {
  if (config.apiKeys.some((key) => SAMPLE_API_KEYS.includes(key))) {
    throw new ConfigError('API_KEYS', 'holds a sample key printed in the repository; generate your own in production');
  }
  for (const { id, key } of config.encryptionKeys) {
    if (SAMPLE_ENCRYPTION_KEYS.includes(key.toString('base64'))) {
      throw new ConfigError('TOKEN_ENCRYPTION_KEYS', `key "${id}" is a sample key printed in the repository`);
    }
    if (looksWeak(key)) {
      throw new ConfigError('TOKEN_ENCRYPTION_KEYS', `key "${id}" is all zeros or low-entropy; use openssl rand -base64 32`);
    }
  }
}

const NAMESPACE = 'app';

/** The validated configuration registered with @nestjs/config under its namespace. */
export const appConfigFactory = (config: AppConfig) => registerAs(NAMESPACE, (): AppConfig => config);

/**
 * Injection token, `@Inject(APP_CONFIG) config: AppConfig`: the `.KEY` @nestjs/config gives the
 * namespace (the factory closes over a configuration known only at boot, so the key comes from
 * the library's own getConfigToken rather than from one particular factory).
 */
export const APP_CONFIG: string = getConfigToken(NAMESPACE);
