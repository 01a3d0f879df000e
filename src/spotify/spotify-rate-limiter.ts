import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { REDIS } from '../redis/redis.module';
import { SpotifyRateLimitedError } from './spotify.errors';

/** Under REDIS_KEY_PREFIX. Its value is `rate` or `quota`; its time to live is the pause. */
export const PAUSE_KEY = 'spotify:pause';
/** Set beside PAUSE_KEY, with the same time to live, when a Retry-After was capped: `{ requestedMs, cappedMs, until }`. */
export const CAPPED_PAUSE_KEY = 'spotify:pause:capped';

// Keeps whichever pause ends later, and the quota flag once set, atomically across processes.
const EXTEND_PAUSE = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl >= tonumber(ARGV[1]) then
  if ARGV[2] == 'quota' then redis.call('SET', KEYS[1], 'quota', 'KEEPTTL') end
  return 0
end
local kind = ARGV[2]
if redis.call('GET', KEYS[1]) == 'quota' then kind = 'quota' end
redis.call('SET', KEYS[1], kind, 'PX', ARGV[1])
return 1`;

export interface Pause {
  remainingMs: number;
  quotaExceeded: boolean;
  /** Spotify asked for longer than SPOTIFY_MAX_RETRY_AFTER_S; this is what it asked for. */
  capped?: CappedInfo | null;
}

export interface CappedInfo {
  requestedMs: number;
  cappedMs: number;
  /** epoch ms when the capped pause ends */
  until: number;
}

/**
 * The shared gate in front of every Web API request: a 429 anywhere pauses every process.
 * Redis holds the pause; a local copy keeps this process honest while Redis is unreachable.
 * Using the key's TTL (not a timestamp) keeps clock skew between machines out of it.
 */
@Injectable()
export class SpotifyRateLimiter {
  private readonly logger = new Logger(SpotifyRateLimiter.name);
  private readonly maxInlineWaitMs: number;
  private localUntil = 0;
  private localQuota = false;
  private localCapped: CappedInfo | null = null;
  private warnedRedisDown = false;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
    @Optional() private readonly metrics?: MetricsService,
  ) {
    this.maxInlineWaitMs = config.spotify.maxInlineWaitMs;
  }

  /**
   * Resolves when no pause is running. Waits inline for a short rate-limit pause; throws
   * SpotifyRateLimitedError for a quota pause or one longer than SPOTIFY_MAX_INLINE_WAIT_MS,
   * so a job can be delayed instead of holding a worker.
   */
  async awaitClearance(): Promise<void> {
    for (;;) {
      const pause = await this.currentPause();
      if (!pause) return;
      if (pause.quotaExceeded || pause.remainingMs > this.maxInlineWaitMs) {
        throw new SpotifyRateLimitedError(pause.remainingMs, pause.quotaExceeded, undefined, !!pause.capped, pause.capped?.requestedMs ?? null);
      }
      await sleep(pause.remainingMs);
      this.metrics?.recordPaused(pause.remainingMs / 1000);
    }
  }

  /** Pauses every process for `ms` (never shortens a longer running pause). */
  async pause(ms: number, quotaExceeded: boolean, requestedMs: number | null = null): Promise<void> {
    const until = Date.now() + ms;
    if (until > this.localUntil) this.localUntil = until;
    this.localQuota = this.localQuota || quotaExceeded;
    const capped = requestedMs !== null && requestedMs > ms ? { requestedMs, cappedMs: ms, until } : null;
    if (capped) this.localCapped = capped;
    try {
      await this.redis.eval(EXTEND_PAUSE, 1, PAUSE_KEY, String(Math.ceil(ms)), quotaExceeded ? 'quota' : 'rate');
      if (capped) await this.redis.set(CAPPED_PAUSE_KEY, JSON.stringify(capped), 'PX', Math.ceil(ms));
      this.warnedRedisDown = false;
    } catch (error) {
      this.warnRedisDown(error);
    }
  }

  async currentPause(): Promise<Pause | null> {
    const local = this.localPause();
    let shared: Pause | null = null;
    try {
      const [[error, ttl], [, kind], [, capped]] = (await this.redis.pipeline().pttl(PAUSE_KEY).get(PAUSE_KEY).get(CAPPED_PAUSE_KEY).exec()) ?? [
        [null, -2],
        [null, null],
        [null, null],
      ];
      if (error) throw error;
      if (Number(ttl) > 0) shared = { remainingMs: Number(ttl), quotaExceeded: kind === 'quota', capped: parseCapped(capped) };
      this.warnedRedisDown = false;
    } catch (error) {
      this.warnRedisDown(error);
    }
    if (!local) return shared;
    if (!shared) return local;
    return {
      remainingMs: Math.max(local.remainingMs, shared.remainingMs),
      quotaExceeded: local.quotaExceeded || shared.quotaExceeded,
      capped: shared.capped ?? local.capped ?? null,
    };
  }

  private localPause(): Pause | null {
    const remainingMs = this.localUntil - Date.now();
    if (remainingMs <= 0) {
      this.localQuota = false;
      this.localCapped = null;
      return null;
    }
    return { remainingMs, quotaExceeded: this.localQuota, capped: this.localCapped && this.localCapped.until > Date.now() ? this.localCapped : null };
  }

  private warnRedisDown(error: unknown): void {
    if (this.warnedRedisDown) return;
    this.warnedRedisDown = true;
    this.logger.warn(`Redis unreachable; the Spotify rate-limit pause is local to this process: ${(error as Error).message}`);
  }
}

function parseCapped(value: unknown): CappedInfo | null {
  if (typeof value !== 'string') return null;
  try {
    const parsed = JSON.parse(value) as Partial<CappedInfo>;
    const ok = [parsed.requestedMs, parsed.cappedMs, parsed.until].every((n) => typeof n === 'number' && Number.isFinite(n));
    return ok ? (parsed as CappedInfo) : null;
  } catch {
    return null;
  }
}
