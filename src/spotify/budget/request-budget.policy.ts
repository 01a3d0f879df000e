/**
 * How the shared Spotify request budget learns Spotify's unpublished limit (SPOTIFY_REQUEST_BUDGET=auto).
 * Pure: the budget service feeds it what Redis saw and writes back what it answers.
 *
 * - `start` (slow start): each time callers fill the window without a 429 the rate doubles.
 * - The first 429 ends slow start: what was admitted in the 30 s before it (at most the rate) is the
 *   estimate of the limit; the rate becomes DECREASE_FACTOR of it.
 * - `aimd`: + `step` per window in which the budget was used up without a 429 (additive increase),
 *   × DECREASE_FACTOR on a 429 (multiplicative decrease). An idle window never raises the rate.
 * A 429 answered to a request admitted before the last cut says nothing new (it was in flight when
 * the rate was cut), so it does not cut again: one cut per window of data, as TCP does.
 */

export const WINDOW_MS = 30_000;
export const MIN_RATE = 20;
export const MAX_RATE = 20_000;
export const START_RATE = 20;
export const DECREASE_FACTOR = 0.9;
/** Additive step per saturated window, as a share of the rate at the last 429 (the learnt ceiling). */
export const INCREASE_SHARE = 0.0075;

export type LearningPhase = 'start' | 'aimd';

export interface BudgetLearningState {
  /** Requests admitted per rolling WINDOW_MS. */
  rate: number;
  phase: LearningPhase;
  /** What the window held at the last 429 (null before the first one). */
  ceiling: number | null;
  /** Start of the current additive-increase period (epoch ms, Redis clock). */
  periodStart: number;
  /** Some caller found the window full during the current period. */
  saturated: boolean;
  /** When the rate was last cut (epoch ms); 0 = never. */
  cutAt: number;
}

export function clampRate(rate: number): number {
  if (!Number.isFinite(rate)) return MIN_RATE;
  return Math.min(MAX_RATE, Math.max(MIN_RATE, Math.floor(rate)));
}

export function initialState(now: number, learnt?: { rate: number; phase: LearningPhase; ceiling: number | null }): BudgetLearningState {
  return {
    rate: clampRate(learnt?.rate ?? START_RATE),
    phase: learnt?.phase ?? 'start',
    ceiling: learnt?.ceiling ?? null,
    periodStart: now,
    saturated: false,
    cutAt: 0,
  };
}

export function increaseStep(state: Pick<BudgetLearningState, 'rate' | 'ceiling'>): number {
  return Math.max(1, Math.round((state.ceiling ?? state.rate) * INCREASE_SHARE));
}

/** Callers found the window (as it stood at `observedRate`) full. Slow start doubles; AIMD waits for the period's end. */
export function onWindowFull(state: BudgetLearningState, observedRate: number): BudgetLearningState {
  if (state.phase !== 'start' || observedRate !== state.rate) return state;
  return { ...state, rate: clampRate(state.rate * 2), saturated: false };
}

/** Called with the Redis clock on every acquire: closes an additive-increase period once WINDOW_MS has passed. */
export function onTick(state: BudgetLearningState, now: number): BudgetLearningState {
  if (state.phase !== 'aimd' || now - state.periodStart < WINDOW_MS) return state;
  const rate = state.saturated ? clampRate(state.rate + increaseStep(state)) : state.rate;
  return { ...state, rate, periodStart: now, saturated: false };
}

/**
 * Spotify answered 429 (rate limit, not a quota) to a request admitted at `admittedAt`; `inWindow` is
 * how many requests were admitted in the WINDOW_MS before `now`.
 */
export function onRateLimited(state: BudgetLearningState, event: { now: number; admittedAt: number; inWindow: number }): BudgetLearningState {
  if (state.cutAt > 0 && event.admittedAt < state.cutAt) return state;
  const estimate = Math.max(1, Math.min(state.rate, Math.floor(event.inWindow)));
  return {
    rate: clampRate(estimate * DECREASE_FACTOR),
    phase: 'aimd',
    ceiling: estimate,
    periodStart: event.now,
    saturated: false,
    cutAt: event.now,
  };
}

/** Seconds `requests` take at `per30s` when `usedInWindow` permits are already taken in the current window. */
export function estimateSecondsAt(requests: number, per30s: number, usedInWindow: number): number {
  if (requests <= 0) return 0;
  const free = Math.max(0, per30s - usedInWindow);
  if (requests <= free) return 0;
  return Math.ceil(((requests - free) / per30s) * (WINDOW_MS / 1000));
}
