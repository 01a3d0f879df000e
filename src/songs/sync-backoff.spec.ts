import fc from 'fast-check';
import { SYNC_BACKOFF, syncBackoffMs, syncNotBefore } from './sync-backoff';

describe('song sync back-off', () => {
  it('starts at an hour and doubles per consecutive failure', () => {
    expect(syncBackoffMs(1)).toBe(60 * 60_000);
    expect(syncBackoffMs(2)).toBe(2 * 60 * 60_000);
    expect(syncBackoffMs(3)).toBe(4 * 60 * 60_000);
    expect(syncBackoffMs(6)).toBe(32 * 60 * 60_000);
  });

  it('is capped at 30 days however many failures', () => {
    expect(syncBackoffMs(10)).toBe(512 * 60 * 60_000);
    expect(syncBackoffMs(11)).toBe(SYNC_BACKOFF.maxMs);
    expect(syncBackoffMs(1_000_000)).toBe(SYNC_BACKOFF.maxMs);
    expect(syncBackoffMs(Number.MAX_SAFE_INTEGER)).toBe(SYNC_BACKOFF.maxMs);
  });

  it('is zero without a failure (or for a count that makes no sense)', () => {
    expect(syncBackoffMs(0)).toBe(0);
    expect(syncBackoffMs(-3)).toBe(0);
    expect(syncBackoffMs(Number.NaN)).toBe(0);
  });

  it('never shrinks as failures grow, and stays within [base, cap] (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 0, max: 50 }), (n, extra) => {
        const a = syncBackoffMs(n);
        const b = syncBackoffMs(n + extra);
        expect(b).toBeGreaterThanOrEqual(a);
        expect(a).toBeGreaterThanOrEqual(SYNC_BACKOFF.baseMs);
        expect(a).toBeLessThanOrEqual(SYNC_BACKOFF.maxMs);
      }),
    );
  });

  it('gives the time a song may be tried again', () => {
    const now = new Date('2026-11-30T00:00:00Z');
    expect(syncNotBefore(2, now).toISOString()).toBe('2026-11-30T02:00:00.000Z');
  });
});
