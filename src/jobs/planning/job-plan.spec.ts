import fc from 'fast-check';
import type { CapabilitiesReport } from '../../spotify/spotify.types';
import { requestCost } from '../runner/chunked-sync';
import { JOB_TYPES } from '../records/spotify-sync-job.entity';
import { estimatedCompletion, planRequests, PlanTier, secondsAtRate } from './job-plan';

const TIERS: PlanTier[] = ['extended', 'development', 'unknown'];

const reportOf = (tier: 'extended' | 'development'): CapabilitiesReport => ({
  tier,
  learnedAt: null,
  available: { batchTracks: tier === 'extended', popularity: tier === 'extended', audioFeatures: tier === 'extended', previewUrls: tier === 'extended' },
});

describe('planRequests', () => {
  it('costs songs as the handlers spend requests in each tier', () => {
    expect(planRequests('track_sync', 1200, 'development')).toBe(1200);
    expect(planRequests('track_sync', 1200, 'extended')).toBe(24 + 12);
    expect(planRequests('track_sync', 121, 'extended')).toBe(3 + 2);
    expect(planRequests('track_sync', 10, 'unknown')).toBe(12);
    expect(planRequests('popularity_update', 1200, 'development')).toBe(0);
    expect(planRequests('popularity_update', 1200, 'extended')).toBe(24);
    expect(planRequests('user_library', 0, 'development')).toBe(1);
    expect(planRequests('user_library', 120, 'development')).toBe(3);
    expect(planRequests('user_library', 120, 'extended')).toBe(3 + 3);
    for (const tier of TIERS) expect(planRequests('track_sync', 0, tier)).toBe(0);
  });

  it('never decreases with more songs, and is never negative (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...JOB_TYPES), fc.constantFrom(...TIERS), fc.nat(1_000_000), fc.nat(10_000), (type, tier, n, more) => {
        const a = planRequests(type, n, tier);
        expect(a).toBeGreaterThanOrEqual(0);
        expect(Number.isInteger(a)).toBe(true);
        expect(planRequests(type, n + more, tier)).toBeGreaterThanOrEqual(a);
      }),
    );
  });

  // one song costs 2 in extended (its track and its audio features), 1 in development (no features)
  it('extended never costs more than development for a track_sync of 2 songs or more (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 1_000_000 }), (n) => expect(planRequests('track_sync', n, 'extended')).toBeLessThanOrEqual(planRequests('track_sync', n, 'development'))));
  });

  it('equals what a run spends chunk by chunk (requestCost) for chunks that are whole batches (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom<'extended' | 'development'>('extended', 'development'), fc.nat(20_000), fc.integer({ min: 1, max: 50 }), (tier, n, hundreds) => {
        const chunk = hundreds * 100;
        let spent = 0;
        for (let left = n; left > 0; left -= chunk) spent += requestCost(Math.min(chunk, left), reportOf(tier), true);
        expect(planRequests('track_sync', n, tier)).toBe(spent);
      }),
    );
  });
});

describe('secondsAtRate', () => {
  it('is 0 while the requests fit in what the window has free, then goes at the rate', () => {
    expect(secondsAtRate(100, 600, 400)).toBe(0);
    expect(secondsAtRate(800, 600, 0)).toBe(10);
    expect(secondsAtRate(10, null)).toBeNull();
    expect(secondsAtRate(0, null)).toBe(0);
  });

  it('k more windows of requests take k × 30 s more (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20_000 }), fc.nat(20_000), fc.nat(100), fc.integer({ min: 1, max: 50 }), (rate, used, base, k) => {
        const a = secondsAtRate(base + 1, rate, used)!;
        const b = secondsAtRate(base + 1 + k * rate, rate, used)!;
        expect(a).toBeGreaterThanOrEqual(0);
        expect(b - a).toBeGreaterThanOrEqual(30 * k - 30);
        expect(b - a).toBeLessThanOrEqual(30 * k + 1e-6);
      }),
    );
  });
});

describe('estimatedCompletion', () => {
  it('is now plus the seconds, or null when they are unknown', () => {
    const now = new Date('2026-11-30T06:00:00.000Z');
    expect(estimatedCompletion(now, 90.2)).toBe('2026-11-30T06:01:30.200Z');
    expect(estimatedCompletion(now, null)).toBeNull();
    expect(estimatedCompletion(now, Number.NaN)).toBeNull();
  });
});
