import fc from 'fast-check';
import { requestsFor } from './request-estimate';

describe('requestsFor', () => {
  it('costs a track_sync as SpotifyClient spends it, per tier', () => {
    expect(requestsFor('track_sync', 1000, 'development')).toBe(1000);
    expect(requestsFor('track_sync', 1000, 'extended')).toBe(20 + 10);
    expect(requestsFor('track_sync', 101, 'extended')).toBe(3 + 2);
    expect(requestsFor('track_sync', 10, 'unknown')).toBe(12);
    expect(requestsFor('track_sync', 0, 'extended')).toBe(0);
  });

  it('costs popularity_update and user_library', () => {
    expect(requestsFor('popularity_update', 500, 'development')).toBe(0);
    expect(requestsFor('popularity_update', 500, 'extended')).toBe(10);
    expect(requestsFor('user_library', 0, 'development')).toBe(1);
    expect(requestsFor('user_library', 120, 'extended')).toBe(3);
  });

  it('never costs less for more songs, and extended never costs more than development', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 1e6 }), (n) => {
        for (const tier of ['extended', 'development', 'unknown'] as const) {
          expect(requestsFor('track_sync', n + 1, tier)).toBeGreaterThanOrEqual(requestsFor('track_sync', n, tier));
        }
        expect(requestsFor('track_sync', n, 'extended')).toBeLessThanOrEqual(requestsFor('track_sync', n, 'development'));
      }),
    );
  });
});
