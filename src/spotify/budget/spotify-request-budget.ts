import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import type Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_CONFIG, AppConfig, RequestBudgetSetting } from '../../config/app-config';
import { MetricsService } from '../../metrics/metrics.service';
import { REDIS } from '../../redis/redis.module';
import { SpotifyRateLimitedError } from '../spotify.errors';
import { SpotifyRateLimiter } from '../spotify-rate-limiter';
import { currentSpotifyPriority, SpotifyPriority } from './spotify-priority';
import {
  BudgetLearningState,
  estimateSecondsAt,
  initialState,
  onRateLimited,
  onTick,
  onWindowFull,
  START_RATE,
} from './request-budget.policy';
import { LOG_WINDOW_MS, MIN_RESERVE, RESERVE_SHARE, RequestBudgetStore, TakeOutcome, VersionedState } from './request-budget.store';
import { SpotifyRequestBudgetRepository } from './spotify-request-budget.repository';

/** What an admitted request carries back when Spotify answers it. */
export interface BudgetPermit {
  /** When it was admitted, on the Redis clock (the local clock while Redis is down). */
  admittedAt: number;
  priority: SpotifyPriority;
}

export interface BudgetReport {
  mode: 'fixed' | 'auto' | 'off';
  /** Requests per rolling 30 s: configured, or learnt so far; null when the budget is off. */
  per30s: number | null;
  /** Permits taken in the last 30 s by every process; null when Redis cannot be read. */
  usedInWindow: number | null;
  /** 429 answers (rate limit and quota) in the last hour, every process; null when Redis cannot be read. */
  rateLimitedLastHour: number | null;
  /** End of the running 429 pause, or null. */
  pausedUntil: Date | null;
}

/** Waiting for room longer than SPOTIFY_MAX_INLINE_WAIT_MS: the job should be delayed by `retryAfterMs`, as after a 429. */
export class SpotifyBudgetExhaustedError extends SpotifyRateLimitedError {
  constructor(
    retryAfterMs: number,
    readonly priority: SpotifyPriority,
  ) {
    super(retryAfterMs, false, `Spotify request budget used up (${priority}); room again in about ${Math.ceil(retryAfterMs / 1000)} s`);
  }
}

/** How often a turned-away caller asks again at most: interactive callers soon, bulk ones less eagerly. */
const POLL_MS: Record<SpotifyPriority, number> = { interactive: 50, bulk: 200 };

/**
 * The budget every Web API request takes a permit from, shared by all processes through Redis per
 * Spotify client id over a rolling 30 s (a sliding-window log: see README). `auto` learns the rate
 * (request-budget.policy.ts) and keeps it in spotify_request_budgets. The 429 pause
 * (SpotifyRateLimiter) stays in front of it. While Redis is unreachable each process keeps a local
 * window at the last rate it knew, so it never runs unbounded.
 */
@Injectable()
export class SpotifyRequestBudget implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SpotifyRequestBudget.name);
  private readonly setting: RequestBudgetSetting;
  private readonly clientId: string;
  private readonly maxInlineWaitMs: number;
  private readonly store: RequestBudgetStore;
  private readonly processId = randomBytes(6).toString('hex');
  private counter = 0;
  private initializing: Promise<void> | null = null;
  /** Last rate seen in Redis; the local fallback runs at it. */
  private knownRate: number;
  private readonly localLog: number[] = [];
  private warnedRedisDown = false;
  private unregisterMetrics?: () => void;

  constructor(
    @Inject(REDIS) redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly limiter: SpotifyRateLimiter,
    private readonly repository: SpotifyRequestBudgetRepository,
    @Optional() private readonly metrics?: MetricsService,
  ) {
    this.setting = config.spotify.requestBudget;
    this.clientId = config.spotify.clientId;
    this.maxInlineWaitMs = config.spotify.maxInlineWaitMs;
    this.store = new RequestBudgetStore(redis, this.clientId);
    this.knownRate = this.setting.mode === 'fixed' ? this.setting.per30s : START_RATE;
  }

  onModuleInit(): void {
    this.unregisterMetrics = this.metrics?.registerBudgetReader(async () => {
      const report = await this.report();
      return {
        per30s: report.per30s,
        usedInWindow: report.usedInWindow,
        rateLimitedLastHour: report.rateLimitedLastHour,
        pausedSeconds: report.pausedUntil ? Math.max(0, (report.pausedUntil.getTime() - Date.now()) / 1000) : 0,
      };
    });
  }

  onModuleDestroy(): void {
    this.unregisterMetrics?.();
  }

  get mode(): RequestBudgetSetting['mode'] {
    return this.setting.mode;
  }

  /**
   * Resolves when this request may be sent: no 429 pause, and a permit taken from the shared window
   * at the caller's priority (withSpotifyPriority; `interactive` by default). Waits inline; throws
   * SpotifyRateLimitedError when the pause or the wait for room would pass SPOTIFY_MAX_INLINE_WAIT_MS.
   * null when the budget is off.
   */
  async acquire(priority: SpotifyPriority = currentSpotifyPriority()): Promise<BudgetPermit | null> {
    if (this.setting.mode === 'off') {
      await this.limiter.awaitClearance();
      return null;
    }
    const started = Date.now();
    const waiterId = this.nextId();
    for (;;) {
      await this.limiter.awaitClearance();
      const outcome = await this.take(priority, waiterId);
      if (outcome.kind === 'nostate') {
        await this.initState();
        continue;
      }
      if (outcome.kind === 'paused') continue; // awaitClearance waits it out or throws
      const grew = outcome.state ? await this.learn(outcome.state, outcome) : false;
      if (outcome.kind === 'granted') {
        this.metrics?.recordBudgetPermit(priority, (Date.now() - started) / 1000);
        return { admittedAt: outcome.now, priority };
      }
      if (grew) continue; // slow start just doubled the rate: there is room now
      // In slow start the rate may double any moment, so the time until a permit leaves the window says little.
      const predictable = outcome.state?.phase !== 'start' && outcome.waitMs > 0;
      const waited = Date.now() - started;
      const wait = predictable ? outcome.waitMs : POLL_MS[priority];
      if (waited + (predictable ? outcome.waitMs : 0) > this.maxInlineWaitMs) {
        throw new SpotifyBudgetExhaustedError(Math.max(wait, POLL_MS[priority]), priority);
      }
      await sleep(Math.min(wait, POLL_MS[priority]));
    }
  }

  /**
   * Spotify answered 429 to a request that had `permit`: pauses every process for `retryAfterMs`
   * (SpotifyRateLimiter) and, for a rate limit (not a quota), teaches the auto budget.
   */
  /** `requestedMs`: what Spotify asked for when it was more than SPOTIFY_MAX_RETRY_AFTER_S (reported), else null. */
  async rateLimited(permit: BudgetPermit | null, quotaExceeded: boolean, retryAfterMs: number, requestedMs: number | null = null): Promise<void> {
    await this.limiter.pause(retryAfterMs, quotaExceeded, requestedMs);
    if (this.setting.mode === 'off') return;
    try {
      const { now, inWindow } = await this.store.recordRateLimited(this.nextId());
      if (this.setting.mode !== 'auto' || quotaExceeded || !permit) return;
      for (let attempt = 0; attempt < 5; attempt++) {
        const state = await this.store.readState();
        if (!state) return;
        const next = onRateLimited(state, { now, admittedAt: permit.admittedAt, inWindow });
        if (next === state) return;
        if (await this.store.writeState(state.version, next)) {
          this.logger.warn(`Spotify answered 429: request budget ${state.rate} → ${next.rate} per 30 s (${inWindow} admitted in the last 30 s)`);
          await this.persist(next);
          return;
        }
      }
    } catch (error) {
      this.warnRedisDown(error);
      if (this.setting.mode === 'auto' && !quotaExceeded) this.knownRate = Math.max(1, Math.floor(this.knownRate / 2));
    }
  }

  async report(): Promise<BudgetReport> {
    const pause = await this.limiter.currentPause();
    const pausedUntil = pause ? new Date(Date.now() + pause.remainingMs) : null;
    if (this.setting.mode === 'off') return { mode: 'off', per30s: null, usedInWindow: null, rateLimitedLastHour: null, pausedUntil };
    try {
      const snapshot = await this.store.snapshot();
      let per30s = this.setting.mode === 'fixed' ? this.setting.per30s : snapshot.rate;
      // An api process may never have touched the budget: what was learnt is in PostgreSQL.
      if (per30s === null) per30s = (await this.learnt())?.rate ?? START_RATE;
      return { mode: this.setting.mode, per30s, usedInWindow: snapshot.usedInWindow, rateLimitedLastHour: snapshot.rateLimitedLastHour, pausedUntil };
    } catch (error) {
      this.warnRedisDown(error);
      const per30s = this.setting.mode === 'fixed' ? this.setting.per30s : ((await this.learnt())?.rate ?? this.knownRate);
      return { mode: this.setting.mode, per30s, usedInWindow: null, rateLimitedLastHour: null, pausedUntil };
    }
  }

  /**
   * Seconds `requests` take at the current rate, given what the window already holds. Bulk work
   * counts without the reserve it leaves to interactive callers. For dry-run plans and
   * `progress.estimatedCompletionAt`; 0 when the budget is off (no limit known).
   */
  async estimateSeconds(requests: number, priority: SpotifyPriority = 'bulk'): Promise<number> {
    const report = await this.report();
    if (report.per30s === null) return 0;
    const usable = priority === 'bulk' ? bulkCap(report.per30s) : report.per30s;
    return estimateSecondsAt(requests, usable, report.usedInWindow ?? 0);
  }

  private async take(priority: SpotifyPriority, waiterId: string): Promise<TakeOutcome> {
    const fixed = this.setting.mode === 'fixed' ? this.setting.per30s : 0;
    try {
      const outcome = await this.store.take(priority, this.nextId(), waiterId, fixed);
      if (outcome.kind === 'granted' || outcome.kind === 'wait') this.knownRate = outcome.rate;
      this.warnedRedisDown = false;
      return outcome;
    } catch (error) {
      this.warnRedisDown(error);
      return this.takeLocally(priority);
    }
  }

  /** Redis is unreachable: this process alone, at the last rate it knew. */
  private takeLocally(priority: SpotifyPriority): TakeOutcome {
    const now = Date.now();
    while (this.localLog.length > 0 && this.localLog[0] <= now - LOG_WINDOW_MS) this.localLog.shift();
    const cap = priority === 'bulk' ? bulkCap(this.knownRate) : this.knownRate;
    const used = this.localLog.length;
    if (used < cap) {
      this.localLog.push(now);
      return { kind: 'granted', now, used: used + 1, rate: this.knownRate, waitMs: 0, full: used + 1 >= cap, state: null };
    }
    const waitMs = Math.max(1, this.localLog[used - cap] + LOG_WINDOW_MS - now + 1);
    return { kind: 'wait', now, used, rate: this.knownRate, waitMs, full: true, state: null };
  }

  /**
   * Applies the policy to what Redis answered; only changes are written, by one process (compare-and-set).
   * True when this call raised the rate.
   */
  private async learn(state: VersionedState, outcome: { now: number; full: boolean; rate: number }): Promise<boolean> {
    let next: BudgetLearningState = onTick(state, outcome.now);
    if (outcome.full) next = onWindowFull(next, outcome.rate);
    if (next.rate === state.rate && next.periodStart === state.periodStart) return false;
    try {
      if (!(await this.store.writeState(state.version, next)) || next.rate === state.rate) return false;
      this.logger.log(`Spotify request budget ${state.rate} → ${next.rate} per 30 s (${next.phase === 'start' ? 'slow start' : 'no 429 for a window'})`);
      await this.persist(next);
      return next.rate > state.rate;
    } catch (error) {
      this.warnRedisDown(error);
      return false;
    }
  }

  /** First use in this Redis: the fixed rate, or what PostgreSQL remembers, or the slow-start rate. */
  private initState(): Promise<void> {
    this.initializing ??= (async () => {
      const learnt = await this.learnt();
      try {
        const { now } = await this.store.snapshot();
        const state = initialState(now, learnt ?? undefined);
        if (await this.store.writeState(0, state)) {
          this.logger.log(
            learnt ? `Spotify request budget: ${state.rate} per 30 s, as learnt before (${learnt.phase})` : `Spotify request budget: learning, from ${state.rate} per 30 s`,
          );
        }
      } catch (error) {
        this.warnRedisDown(error); // the next take() falls back to the local window
      }
    })().finally(() => {
      this.initializing = null;
    });
    return this.initializing;
  }

  private async learnt() {
    if (this.setting.mode !== 'auto') return null;
    try {
      return await this.repository.find(this.clientId);
    } catch (error) {
      this.logger.warn(`Could not read the learnt Spotify request budget: ${(error as Error).message}`);
      return null;
    }
  }

  /** Best effort: a database hiccup must not fail the Spotify call that taught us this. */
  private async persist(state: BudgetLearningState): Promise<void> {
    try {
      await this.repository.save(this.clientId, { rate: state.rate, phase: state.phase, ceiling: state.ceiling }, new Date());
    } catch (error) {
      this.logger.warn(`Could not store the learnt Spotify request budget: ${(error as Error).message}`);
    }
  }

  private nextId(): string {
    this.counter += 1;
    return `${this.processId}:${this.counter}`;
  }

  private warnRedisDown(error: unknown): void {
    if (this.warnedRedisDown) return;
    this.warnedRedisDown = true;
    this.logger.warn(`Redis unreachable; the Spotify request budget is local to this process: ${(error as Error).message}`);
  }
}

/** What bulk work may use of a window of `rate`: the rest is kept for interactive callers (same arithmetic as the Lua). */
export function bulkCap(rate: number): number {
  return Math.max(1, rate - Math.max(MIN_RESERVE, Math.ceil(rate * RESERVE_SHARE)));
}
