import fc from 'fast-check';
import {
  BudgetLearningState,
  clampRate,
  DECREASE_FACTOR,
  estimateSecondsAt,
  initialState,
  MAX_RATE,
  MIN_RATE,
  onRateLimited,
  onTick,
  onWindowFull,
  WINDOW_MS,
} from './request-budget.policy';

const stateArb: fc.Arbitrary<BudgetLearningState> = fc.record({
  rate: fc.integer({ min: MIN_RATE, max: MAX_RATE }),
  phase: fc.constantFrom('start' as const, 'aimd' as const),
  ceiling: fc.option(fc.integer({ min: 1, max: MAX_RATE }), { nil: null }),
  periodStart: fc.integer({ min: 0, max: 1e12 }),
  saturated: fc.boolean(),
  cutAt: fc.integer({ min: 0, max: 1e12 }),
});

type Event =
  | { kind: 'full'; sameRate: boolean }
  | { kind: 'tick'; advance: number }
  | { kind: 'limited'; inWindow: number; admittedBeforeCut: boolean };

const eventArb: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ kind: fc.constant('full' as const), sameRate: fc.boolean() }),
  fc.record({ kind: fc.constant('tick' as const), advance: fc.integer({ min: 0, max: 3 * WINDOW_MS }) }),
  fc.record({ kind: fc.constant('limited' as const), inWindow: fc.integer({ min: 0, max: 2 * MAX_RATE }), admittedBeforeCut: fc.boolean() }),
);

function apply(state: BudgetLearningState, event: Event, now: number): BudgetLearningState {
  if (event.kind === 'full') return onWindowFull(state, event.sameRate ? state.rate : state.rate + 1);
  if (event.kind === 'tick') return onTick(state, now);
  return onRateLimited(state, { now, admittedAt: event.admittedBeforeCut ? state.cutAt - 1 : now, inWindow: event.inWindow });
}

describe('request budget policy (AIMD with slow start)', () => {
  it('keeps the rate within [MIN_RATE, MAX_RATE] whatever happens', () => {
    fc.assert(
      fc.property(stateArb, fc.array(fc.tuple(eventArb, fc.integer({ min: 0, max: WINDOW_MS })), { maxLength: 60 }), (start, events) => {
        let state = start;
        let now = Math.max(start.periodStart, start.cutAt);
        for (const [event, gap] of events) {
          now += gap;
          state = apply(state, event, now);
          expect(state.rate).toBeGreaterThanOrEqual(MIN_RATE);
          expect(state.rate).toBeLessThanOrEqual(MAX_RATE);
          expect(Number.isInteger(state.rate)).toBe(true);
        }
      }),
    );
  });

  it('a 429 on a request admitted after the last cut always lowers the rate (unless already at the minimum)', () => {
    fc.assert(
      fc.property(stateArb, fc.integer({ min: 0, max: 2 * MAX_RATE }), (state, inWindow) => {
        const now = Math.max(state.periodStart, state.cutAt) + 1;
        const next = onRateLimited(state, { now, admittedAt: now, inWindow });
        if (state.rate > MIN_RATE) expect(next.rate).toBeLessThan(state.rate);
        else expect(next.rate).toBe(MIN_RATE);
        expect(next.phase).toBe('aimd');
        expect(next.cutAt).toBe(now);
      }),
    );
  });

  it('a 429 for a request already in flight at the last cut does not cut again', () => {
    fc.assert(
      fc.property(stateArb.filter((s) => s.cutAt > 0), fc.integer({ min: 0, max: MAX_RATE }), (state, inWindow) => {
        expect(onRateLimited(state, { now: state.cutAt + 10, admittedAt: state.cutAt - 1, inWindow })).toEqual(state);
      }),
    );
  });

  it('without a 429 the rate never goes down', () => {
    const noLimit = eventArb.filter((e) => e.kind !== 'limited');
    fc.assert(
      fc.property(stateArb, fc.array(fc.tuple(noLimit, fc.integer({ min: 0, max: 2 * WINDOW_MS })), { maxLength: 60 }), (start, events) => {
        let state = start;
        let now = start.periodStart;
        for (const [event, gap] of events) {
          now += gap;
          const next = apply(state, event, now);
          expect(next.rate).toBeGreaterThanOrEqual(state.rate);
          state = next;
        }
      }),
    );
  });

  it('an idle period (window never full) never raises the rate', () => {
    fc.assert(
      fc.property(stateArb, fc.integer({ min: WINDOW_MS, max: 10 * WINDOW_MS }), (state, advance) => {
        const next = onTick({ ...state, saturated: false }, state.periodStart + advance);
        expect(next.rate).toBe(state.rate);
      }),
    );
  });

  it('learns a limit it is not told: slow start, one cut near the limit, then additive increase', () => {
    const limit = 600;
    let state = initialState(0);
    let now = 0;
    let limited = 0;
    // A bulk loop that always has work: every window it fills the budget; a 429 whenever the rate is above the limit.
    for (let window = 0; window < 40; window++) {
      now += WINDOW_MS;
      while (state.phase === 'start' && state.rate <= limit) state = onWindowFull(state, state.rate);
      if (state.rate > limit) {
        limited += 1;
        state = onRateLimited(state, { now, admittedAt: now, inWindow: limit + 4 });
      } else {
        state = onTick({ ...state, saturated: true }, now);
      }
      if (window === 1) expect(state.rate).toBeGreaterThanOrEqual(Math.floor(limit * DECREASE_FACTOR));
    }
    // 40 windows (20 minutes): the first cut, then one more at most every 10+ windows.
    expect(limited).toBeLessThanOrEqual(4);
    expect(state.rate).toBeGreaterThanOrEqual(Math.floor(limit * DECREASE_FACTOR));
    expect(state.rate).toBeLessThanOrEqual(limit);
  });

  it('a learnt rate restored after a restart continues in AIMD, not from the start rate', () => {
    const state = initialState(5, { rate: 480, phase: 'aimd', ceiling: 600 });
    expect(state).toMatchObject({ rate: 480, phase: 'aimd', ceiling: 600, periodStart: 5 });
    expect(onWindowFull(state, 480).rate).toBe(480);
    expect(clampRate(Number.NaN)).toBe(MIN_RATE);
  });

  it('estimates seconds from the rate and what the window already holds', () => {
    expect(estimateSecondsAt(0, 60, 60)).toBe(0);
    expect(estimateSecondsAt(10, 60, 40)).toBe(0);
    expect(estimateSecondsAt(80, 60, 0)).toBe(10);
    expect(estimateSecondsAt(600, 600, 600)).toBe(30);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: MAX_RATE }), fc.integer({ min: 0, max: MAX_RATE }), (n, rate, used) => {
        const seconds = estimateSecondsAt(n, rate, used);
        expect(seconds).toBeGreaterThanOrEqual(0);
        expect(estimateSecondsAt(n + 1, rate, used)).toBeGreaterThanOrEqual(seconds);
      }),
    );
  });
});
