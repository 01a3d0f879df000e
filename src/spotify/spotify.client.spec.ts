import fc from 'fast-check';
import type { AppConfig } from '../config/app-config';
import { SpotifyError, SpotifyMalformedResponseError } from './spotify.errors';
import { SpotifyClient } from './spotify.client';
import { AUDIO_FEATURE_RANGES, STORED_AUDIO_FEATURES } from './spotify.normalise';
import type { SpotifyAccountsClient } from './spotify-accounts.client';
import type { SpotifyCapabilitiesService } from './spotify-capabilities.service';
import { SpotifyHttp } from './spotify-http';
import type { SpotifyRequestBudget } from './budget/spotify-request-budget';

// The client over arbitrary answers (the real SpotifyHttp, fetch stubbed): whatever Spotify sends,
// it returns typed values the columns accept, or throws a typed SpotifyError; never a TypeError,
// and never "unknown"/"gone" read from a body that is not the promised shape.

const IDS = ['4iV5W9uYEdYUVa79Axb7Rh', '1301WleyT98MSxVHPZCA6M', '0TnOYISbd1XYRBk9myaseg'];

function clientAnswering(answer: () => { status: number; text: string }): SpotifyClient {
  const config = {
    spotify: { apiBaseUrl: 'https://api.test/v1', requestTimeoutMs: 1000, maxAttempts: 2, maxInlineWaitMs: 0, retryBaseDelayMs: 0, maxRetryAfterS: 3600 },
  } as unknown as AppConfig;
  const budget = { acquire: async () => null, rateLimited: async () => {} } as unknown as SpotifyRequestBudget;
  const http = new SpotifyHttp(budget, config);
  const accounts = { getAppAccessToken: async () => 'app-token', invalidateAppToken: () => {} } as unknown as SpotifyAccountsClient;
  const capabilities = {
    attempt: async (_: string, call: () => Promise<unknown>) => ({ ok: true, value: await call() }),
    knownUnavailable: async () => false,
    observeTracks: async () => {},
    maxSearchLimit: async () => 50,
  } as unknown as SpotifyCapabilitiesService;
  jest.spyOn(global, 'fetch').mockImplementation(async () => {
    const { status, text } = answer();
    return new Response(text, { status, headers: { 'content-type': 'application/json' } });
  });
  return new SpotifyClient(http, accounts, capabilities, config);
}

const anything = fc.oneof(fc.anything(), fc.constantFrom(null, [], {}, '', 0));
const trackish = fc.oneof(
  fc.constant(null),
  fc.record(
    {
      id: fc.oneof(fc.constantFrom(...IDS), anything),
      popularity: fc.oneof(fc.integer({ min: -5, max: 105 }), anything),
      external_ids: fc.oneof(fc.record({ isrc: fc.oneof(fc.string(), anything) }), anything),
      preview_url: fc.oneof(fc.webUrl(), anything),
      duration_ms: fc.oneof(fc.integer(), anything),
      is_local: anything,
    },
    { requiredKeys: [] },
  ),
  anything,
);
/** Bodies of every kind: right shape with odd content, wrong shape, not JSON at all. */
const body = (field: string) =>
  fc.oneof(
    fc.array(trackish, { minLength: 3, maxLength: 3 }).map((list) => JSON.stringify({ [field]: list })),
    fc.array(trackish, { maxLength: 5 }).map((list) => JSON.stringify({ [field]: list })),
    anything.map((value) => JSON.stringify(value) ?? ''),
    fc.constantFrom('<!DOCTYPE html><html><body>Bad gateway</body></html>', '{"tracks":[{"album":', '', 'null'),
  );

afterEach(() => jest.restoreAllMocks());

describe('SpotifyClient over arbitrary answers (property tests)', () => {
  it('tracks: each id ends in exactly one of found/unknown/refused with column-safe values, or a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(body('tracks'), async (text) => {
        const client = clientAnswering(() => ({ status: 200, text }));
        try {
          const outcome = await client.getTrackOutcomes(IDS);
          const buckets = [...outcome.found.keys(), ...outcome.unknown, ...outcome.refused.keys()];
          expect(buckets.sort()).toEqual([...IDS].sort());
          for (const track of outcome.found.values()) {
            expect(track.isrc === null || /^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$/.test(track.isrc)).toBe(true);
            expect(track.popularity === null || (Number.isInteger(track.popularity) && track.popularity >= 0 && track.popularity <= 100)).toBe(true);
            expect(track.previewUrl === null || track.previewUrl.startsWith('https:')).toBe(true);
          }
          // "unknown" only ever comes from a parsed answer of the promised shape
          const parsed = JSON.parse(text) as { tracks: unknown[] };
          expect(Array.isArray(parsed.tracks) && parsed.tracks.length === IDS.length).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(SpotifyError);
          if (!(error instanceof SpotifyMalformedResponseError)) throw error;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('audio features: stored features in range or absent, or a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          body('audio_features'),
          fc
            .array(fc.record(Object.fromEntries([['id', fc.constantFrom(...IDS)], ...STORED_AUDIO_FEATURES.map((f) => [f, fc.oneof(fc.double(), anything)])])), {
              minLength: 3,
              maxLength: 3,
            })
            .map((list) => JSON.stringify({ audio_features: list })),
        ),
        async (text) => {
          const client = clientAnswering(() => ({ status: 200, text }));
          const outcome = await client.getAudioFeatureOutcomes(IDS).catch((error: unknown) => {
            expect(error).toBeInstanceOf(SpotifyMalformedResponseError);
            return null;
          });
          if (!outcome?.available) return;
          for (const features of outcome.found.values()) {
            for (const name of STORED_AUDIO_FEATURES) {
              const value = features[name];
              const [min, max] = AUDIO_FEATURE_RANGES[name];
              expect(value === undefined || (Number.isFinite(value) && value >= min && value <= max)).toBe(true);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('saved tracks: a page accounts for every raw item, or a typed error', async () => {
    const page = fc.record(
      {
        items: fc.oneof(fc.array(fc.record({ added_at: anything, track: trackish }, { requiredKeys: [] }), { maxLength: 20 }), anything),
        total: fc.oneof(fc.nat(), anything),
        offset: anything,
        limit: anything,
        next: fc.oneof(fc.constant(null), fc.webUrl(), anything),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(page.map((p) => JSON.stringify(p)), body('items')), async (text) => {
        const client = clientAnswering(() => ({ status: 200, text }));
        try {
          const result = await client.getSavedTracks('user-token', { offset: 0, limit: 20 });
          const skipped = Object.values(result.skipped).reduce((a, b) => a + b, 0);
          expect(result.items.length + skipped).toBe(result.rawCount);
          expect(Number.isInteger(result.offset) && Number.isInteger(result.limit) && Number.isInteger(result.total)).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(SpotifyMalformedResponseError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('an HTML 200 is retried, then thrown with its reason; never an empty result', async () => {
    let calls = 0;
    const client = clientAnswering(() => {
      calls += 1;
      return { status: 200, text: '<html>Upstream error</html>' };
    });
    const error = await client.getTrackOutcomes(IDS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpotifyMalformedResponseError);
    expect((error as SpotifyMalformedResponseError).reason).toBe('expected an object, got not JSON');
    expect(calls).toBe(2);
  });
});
