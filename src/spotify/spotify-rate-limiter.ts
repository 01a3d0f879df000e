import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { REDIS } from '../redis/redis.module';
import { SpotifyRateLimitedError } from './spotify.errors';

/** Under REDIS_KEY_PREFIX. Its value is `rate` or `quota`; its time to live is the pause. */
export const PAUSE_KEY = 'spotify:pause';

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
        throw new SpotifyRateLimitedError(pause.remainingMs, pause.quotaExceeded);
      }
      await sleep(pause.remainingMs);
      this.metrics?.recordPaused(pause.remainingMs / 1000);
    }
  }

  /** Pauses every process for `ms` (never shortens a longer running pause). */
  async pause(ms: number, quotaExceeded: boolean): Promise<void> {
    const until = Date.now() + ms;
    if (until > this.localUntil) this.localUntil = until;
    this.localQuota = this.localQuota || quotaExceeded;
    try {
      await this.redis.eval(EXTEND_PAUSE, 1, PAUSE_KEY, String(Math.ceil(ms)), quotaExceeded ? 'quota' : 'rate');
      this.warnedRedisDown = false;
    } catch (error) {
      this.warnRedisDown(error);
    }
  }

  async currentPause(): Promise<Pause | null> {
    const local = this.localPause();
    let shared: Pause | null = null;
    try {
      const [[error, ttl], [, kind]] = (await this.redis.pipeline().pttl(PAUSE_KEY).get(PAUSE_KEY).exec()) ?? [[null, -2], [null, null]];
      if (error) throw error;
      if (Number(ttl) > 0) shared = { remainingMs: Number(ttl), quotaExceeded: kind === 'quota' };
      this.warnedRedisDown = false;
    } catch (error) {
      this.warnRedisDown(error);
    }
    if (!local) return shared;
    if (!shared) return local;
    return {
      remainingMs: Math.max(local.remainingMs, shared.remainingMs),
      quotaExceeded: local.quotaExceeded || shared.quotaExceeded,
    };
  }

  private localPause(): Pause | null {
    const remainingMs = this.localUntil - Date.now();
    if (remainingMs <= 0) {
      this.localQuota = false;
      return null;
    }
    return { remainingMs, quotaExceeded: this.localQuota };
  }

  private warnRedisDown(error: unknown): void {
    if (this.warnedRedisDown) return;
    this.warnedRedisDown = true;
    this.logger.warn(`Redis unreachable; the Spotify rate-limit pause is local to this process: ${(error as Error).message}`);
  }
}
