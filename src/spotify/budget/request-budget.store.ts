import type Redis from 'ioredis';
import { PAUSE_KEY } from '../spotify-rate-limiter';
import { SpotifyPriority } from './spotify-priority';
import { BudgetLearningState, LearningPhase, WINDOW_MS } from './request-budget.policy';

/** Bulk work leaves this share of the window (at least MIN_RESERVE permits) to interactive callers. */
export const RESERVE_SHARE = 0.03;
export const MIN_RESERVE = 2;
/**
 * Our log keeps a permit half a second longer than Spotify's 30 s: a request admitted here reaches
 * Spotify a little later, and jitter must not let two windows' worth overlap there (costs ~1.6 %).
 */
export const LOG_WINDOW_MS = WINDOW_MS + 500;
/** An interactive caller counts as waiting (and holds bulk back) this long after its last try. */
const WAITER_TTL_MS = 1_000;
/** The learnt state outlives an idle spell; once gone it is reloaded from PostgreSQL. */
const STATE_TTL_MS = 24 * 3600_000;
const LIMITED_TTL_MS = 3600_000;

const STATE_FIELDS = ['rate', 'phase', 'ceiling', 'periodStart', 'saturated', 'cutAt', 'v'] as const;

/**
 * One atomic step: no permit during a pause; expire the log; bulk yields to waiting interactive
 * callers and keeps the reserve free; else a permit is logged at the Redis clock. A caller turned
 * away learns how long until the permit it needs leaves the window.
 * Returns { kind, now, used, rate, waitMs, full, ...state fields }.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[3])
local pause = redis.call('PTTL', KEYS[4])
local fixed = tonumber(ARGV[4])
local state = {}
if fixed == 0 then
  state = redis.call('HMGET', KEYS[2], ${STATE_FIELDS.map((f) => `'${f}'`).join(', ')})
  if not state[1] then return {'nostate', now, 0, 0, 0, 0} end
  redis.call('PEXPIRE', KEYS[2], ARGV[8])
end
if pause > 0 then return {'paused', now, 0, 0, pause, 0} end
local rate = fixed
if fixed == 0 then rate = tonumber(state[1]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local cap = rate
if ARGV[1] == 'bulk' then
  cap = math.max(1, rate - math.max(tonumber(ARGV[6]), math.ceil(rate * tonumber(ARGV[5]))))
  if redis.call('ZCARD', KEYS[3]) > 0 then
    return {'wait', now, used, rate, 0, 0, unpack(state)}
  end
end
if used < cap then
  redis.call('ZADD', KEYS[1], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[1], window)
  if ARGV[1] == 'interactive' then redis.call('ZREM', KEYS[3], ARGV[9]) end
  local full = 0
  if used + 1 >= cap then full = 1 end
  if full == 1 and fixed == 0 then redis.call('HSET', KEYS[2], 'saturated', '1') end
  return {'granted', now, used + 1, rate, 0, full, unpack(state)}
end
if fixed == 0 then redis.call('HSET', KEYS[2], 'saturated', '1') end
if ARGV[1] == 'interactive' then
  redis.call('ZADD', KEYS[3], now + tonumber(ARGV[7]), ARGV[9])
  redis.call('PEXPIRE', KEYS[3], ARGV[7])
end
local oldest = redis.call('ZRANGE', KEYS[1], used - cap, used - cap, 'WITHSCORES')
local waitMs = 1
if oldest[2] then waitMs = math.max(1, tonumber(oldest[2]) + window - now + 1) end
return {'wait', now, used, rate, waitMs, 1, unpack(state)}`;

/** Sets the learnt state only if nobody changed it since version ARGV[1] (0 = only if absent). */
const WRITE_STATE = `
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'rate', ARGV[2], 'phase', ARGV[3], 'ceiling', ARGV[4], 'periodStart', ARGV[5], 'saturated', ARGV[6], 'cutAt', ARGV[7], 'v', v + 1)
redis.call('PEXPIRE', KEYS[1], ARGV[8])
return v + 1`;

/** Records a 429 and answers the Redis clock and what the window held. */
const RATE_LIMITED = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[2], ARGV[3])
local used = redis.call('ZCOUNT', KEYS[1], now - tonumber(ARGV[2]), '+inf')
return {now, used}`;

const REPORT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return {now, redis.call('ZCOUNT', KEYS[1], now - tonumber(ARGV[1]), '+inf'), redis.call('ZCOUNT', KEYS[2], now - tonumber(ARGV[2]), '+inf'),
  redis.call('PTTL', KEYS[3]), redis.call('HGET', KEYS[4], 'rate') or false}`;

export interface VersionedState extends BudgetLearningState {
  version: number;
}

export type TakeOutcome =
  | { kind: 'nostate'; now: number }
  | { kind: 'paused'; now: number; pauseMs: number }
  | {
      kind: 'granted' | 'wait';
      now: number;
      used: number;
      rate: number;
      /** 0 = unknown (bulk held back by interactive callers): poll. */
      waitMs: number;
      /** The window (as far as this caller may use it) is full. */
      full: boolean;
      state: VersionedState | null;
    };

export interface WindowSnapshot {
  now: number;
  usedInWindow: number;
  rateLimitedLastHour: number;
  pauseMs: number;
  rate: number | null;
}

/** The Redis side of the budget: every statement on its keys, each one atomic. */
export class RequestBudgetStore {
  private readonly keys: { log: string; state: string; waiting: string; limited: string };

  constructor(
    private readonly redis: Redis,
    clientId: string,
  ) {
    const base = `spotify:budget:${clientId}`;
    this.keys = { log: `${base}:log`, state: `${base}:state`, waiting: `${base}:waiting`, limited: `${base}:limited` };
  }

  async take(priority: SpotifyPriority, permitId: string, waiterId: string, fixedRate: number): Promise<TakeOutcome> {
    const reply = (await this.redis.eval(
      TAKE,
      4,
      this.keys.log,
      this.keys.state,
      this.keys.waiting,
      PAUSE_KEY,
      priority,
      permitId,
      String(LOG_WINDOW_MS),
      String(fixedRate),
      String(RESERVE_SHARE),
      String(MIN_RESERVE),
      String(WAITER_TTL_MS),
      String(STATE_TTL_MS),
      waiterId,
    )) as unknown[];
    const kind = String(reply[0]);
    const now = Number(reply[1]);
    if (kind === 'nostate') return { kind, now };
    if (kind === 'paused') return { kind, now, pauseMs: Number(reply[4]) };
    return {
      kind: kind === 'granted' ? 'granted' : 'wait',
      now,
      used: Number(reply[2]),
      rate: Number(reply[3]),
      waitMs: Number(reply[4]),
      full: Number(reply[5]) === 1,
      state: fixedRate === 0 ? parseState(reply.slice(6)) : null,
    };
  }

  /** Writes `next` if the stored version is still `version` (0: only when there is no state). Returns whether it did. */
  async writeState(version: number, next: BudgetLearningState): Promise<boolean> {
    const reply = await this.redis.eval(
      WRITE_STATE,
      1,
      this.keys.state,
      String(version),
      String(next.rate),
      next.phase,
      next.ceiling === null ? '' : String(next.ceiling),
      String(next.periodStart),
      next.saturated ? '1' : '0',
      String(next.cutAt),
      String(STATE_TTL_MS),
    );
    return Number(reply) > 0;
  }

  async readState(): Promise<VersionedState | null> {
    return parseState(await this.redis.hmget(this.keys.state, ...STATE_FIELDS));
  }

  async recordRateLimited(id: string): Promise<{ now: number; inWindow: number }> {
    const [now, inWindow] = (await this.redis.eval(RATE_LIMITED, 2, this.keys.log, this.keys.limited, id, String(LOG_WINDOW_MS), String(LIMITED_TTL_MS))) as number[];
    return { now: Number(now), inWindow: Number(inWindow) };
  }

  async snapshot(): Promise<WindowSnapshot> {
    const [now, used, limited, pause, rate] = (await this.redis.eval(
      REPORT,
      4,
      this.keys.log,
      this.keys.limited,
      PAUSE_KEY,
      this.keys.state,
      String(LOG_WINDOW_MS),
      String(LIMITED_TTL_MS),
    )) as [number, number, number, number, string | null];
    return {
      now: Number(now),
      usedInWindow: Number(used),
      rateLimitedLastHour: Number(limited),
      pauseMs: Math.max(0, Number(pause)),
      rate: rate ? Number(rate) : null,
    };
  }
}

function parseState(fields: unknown[]): VersionedState | null {
  const [rate, phase, ceiling, periodStart, saturated, cutAt, v] = fields.map((f) => (f === null || f === undefined ? null : String(f)));
  if (rate === null || v === null) return null;
  return {
    rate: Number(rate),
    phase: (phase === 'aimd' ? 'aimd' : 'start') as LearningPhase,
    ceiling: ceiling ? Number(ceiling) : null,
    periodStart: Number(periodStart ?? 0),
    saturated: saturated === '1',
    cutAt: Number(cutAt ?? 0),
    version: Number(v),
  };
}
