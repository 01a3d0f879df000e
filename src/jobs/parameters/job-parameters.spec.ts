import { randomUUID } from 'node:crypto';
import { InvalidInputException } from '../../common/validation';
import fc from 'fast-check';
import type { JobType } from '../records/spotify-sync-job.entity';
import { JobParametersError, normaliseJobRequest, parseStoredParameters, staleAfterMs } from './job-parameters';

const fields = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as InvalidInputException).details.map((d) => d.field);
  }
  throw new Error('expected a 400');
};

describe('normaliseJobRequest', () => {
  it('fills defaults so that an explicit default and an omitted one are the same job', () => {
    const a = normaliseJobRequest('track_sync', null, {});
    const b = normaliseJobRequest('track_sync', null, { staleAfter: 'P7D' });
    expect(a.parameters).toEqual({ staleAfter: 'P7D' });
    expect(a.dedupeKey).toBe(b.dedupeKey);
    expect(normaliseJobRequest('popularity_update', null).parameters).toEqual({ staleAfter: 'PT24H' });
  });

  it('sorts id lists and keys, and drops repeated ids', () => {
    const [x, y] = [randomUUID(), randomUUID()];
    const a = normaliseJobRequest('track_sync', null, { songIds: [x, y, x], maxRequests: 5 });
    const b = normaliseJobRequest('track_sync', null, { maxRequests: 5, songIds: [y, x] });
    expect(a.dedupeKey).toBe(b.dedupeKey);
    expect(a.parameters.songIds).toEqual([x, y].sort());
  });

  it('tells different jobs apart', () => {
    const id = randomUUID();
    const keys = new Set([
      normaliseJobRequest('track_sync', id).dedupeKey,
      normaliseJobRequest('track_sync', randomUUID()).dedupeKey,
      normaliseJobRequest('user_library', id).dedupeKey,
      normaliseJobRequest('track_sync', null, { staleAfter: 'P1D' }).dedupeKey,
      normaliseJobRequest('track_sync', null).dedupeKey,
    ]);
    expect(keys.size).toBe(5);
  });

  it('names every bad field', () => {
    expect(fields(() => normaliseJobRequest('track_sync', null, { staleAfter: '7 days', maxRequests: 0, color: 'red' }))).toEqual([
      'parameters.color',
      'parameters.staleAfter',
      'parameters.maxRequests',
    ]);
    expect(fields(() => normaliseJobRequest('user_library', null))).toEqual(['targetId']);
    expect(fields(() => normaliseJobRequest('track_sync', randomUUID(), { songIds: [randomUUID()] }))).toEqual(['parameters.songIds']);
    expect(fields(() => normaliseJobRequest('track_sync', randomUUID(), { staleAfter: 'P1D' }))).toEqual(['parameters.staleAfter']);
  });
});

describe('job parameter bounds', () => {
  it.each([
    ['P99999999999999999999999Y', 'too long and too large'],
    ['P11Y', 'over 10 years'],
    ['PT59S', 'under a minute'],
    [`PT${'0'.repeat(30)}1H`, 'over 32 characters'],
    [7, 'not a string'],
  ] as [unknown, string][])('refuses staleAfter %j (%s), naming parameters.staleAfter', (staleAfter) => {
    expect(fields(() => normaliseJobRequest('track_sync', null, { staleAfter }))).toEqual(['parameters.staleAfter']);
  });

  it.each([['PT1M'], ['P10Y'], ['P3650D']])('accepts staleAfter %s at the edges', (staleAfter) => {
    expect(normaliseJobRequest('popularity_update', null, { staleAfter }).parameters.staleAfter).toBe(staleAfter);
  });

  it('bounds maxRequests and songIds, and refuses parameters that are not an object', () => {
    expect(fields(() => normaliseJobRequest('track_sync', null, { maxRequests: 1_000_001 }))).toEqual(['parameters.maxRequests']);
    expect(fields(() => normaliseJobRequest('track_sync', null, { maxRequests: 1.5 }))).toEqual(['parameters.maxRequests']);
    expect(fields(() => normaliseJobRequest('track_sync', null, { songIds: Array.from({ length: 1001 }, () => randomUUID()) }))).toEqual([
      'parameters.songIds',
    ]);
    expect(fields(() => normaliseJobRequest('track_sync', null, [1, 2]))).toEqual(['parameters']);
  });

  it('fails a stored row the runner cannot use with a permanent error, and fills defaults on old rows', () => {
    expect(() => parseStoredParameters('track_sync', null, { staleAfter: 'P99999999999999999999999Y' })).toThrow(JobParametersError);
    expect(() => parseStoredParameters('popularity_update', null, { colour: 'red' })).toThrow(JobParametersError);
    expect(parseStoredParameters('popularity_update', null, null)).toEqual({ staleAfter: 'PT24H' });
  });
});

describe('normaliseJobRequest (property)', () => {
  const types = fc.constantFrom<JobType>('track_sync', 'popularity_update', 'user_library');
  const target = fc.option(fc.uuid(), { nil: null });
  const parameters = fc.oneof(
    fc.jsonValue(),
    fc.record(
      {
        songIds: fc.oneof(fc.array(fc.uuid(), { maxLength: 5 }), fc.jsonValue()),
        staleAfter: fc.oneof(
          fc.stringMatching(/^P(\d{1,25}[YMWD]){0,3}(T(\d{1,25}[HMS]){0,3})?$/),
          fc.constantFrom('PT1M', 'P7D', 'PT24H', 'P10Y'),
          fc.jsonValue(),
        ),
        maxRequests: fc.oneof(fc.integer({ min: -5, max: 2_000_000 }), fc.double(), fc.jsonValue()),
        extra: fc.jsonValue(),
      },
      { requiredKeys: [] },
    ),
  );

  it('either refuses with 400s naming fields, or gives bounded parameters that the runner accepts as they are', () => {
    fc.assert(
      fc.property(types, target, parameters, (type, targetId, raw) => {
        let request;
        try {
          request = normaliseJobRequest(type, targetId, raw);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidInputException);
          const details = (error as InvalidInputException).details;
          expect(details.length).toBeGreaterThan(0);
          for (const d of details) expect(d.field).toMatch(/^(parameters(\..*)?|targetId)$/);
          return;
        }
        const p = request.parameters;
        if (p.staleAfter !== undefined) {
          expect(p.staleAfter.length).toBeLessThanOrEqual(32);
          const ms = staleAfterMs(p.staleAfter)!;
          expect(ms).toBeGreaterThanOrEqual(60_000);
          expect(ms).toBeLessThanOrEqual(10 * 365 * 86_400_000);
        }
        if (p.maxRequests !== undefined) expect(Number.isInteger(p.maxRequests) && p.maxRequests >= 1 && p.maxRequests <= 1_000_000).toBe(true);
        if (p.songIds !== undefined) expect(p.songIds.length).toBeLessThanOrEqual(1000);
        expect(parseStoredParameters(type, targetId, JSON.parse(JSON.stringify(p)))).toEqual(p);
        expect(normaliseJobRequest(type, targetId, p).dedupeKey).toBe(request.dedupeKey);
      }),
      { numRuns: 500 },
    );
  });
});

describe('priority', () => {
  it('defaults to interactive when the job names songs or a user, bulk for sweeps', () => {
    expect(normaliseJobRequest('track_sync', randomUUID()).priority).toBe('interactive');
    expect(normaliseJobRequest('track_sync', null, { songIds: [randomUUID()] }).priority).toBe('interactive');
    expect(normaliseJobRequest('user_library', randomUUID()).priority).toBe('interactive');
    expect(normaliseJobRequest('track_sync', null).priority).toBe('bulk');
    expect(normaliseJobRequest('popularity_update', null).priority).toBe('bulk');
  });

  it('can be lowered on any job, never raised for a sweep; anything else is a 400 naming priority', () => {
    expect(normaliseJobRequest('track_sync', randomUUID(), {}, 'bulk').priority).toBe('bulk');
    expect(normaliseJobRequest('user_library', randomUUID(), {}, 'bulk').priority).toBe('bulk');
    expect(normaliseJobRequest('track_sync', null, {}, 'bulk').priority).toBe('bulk');
    expect(fields(() => normaliseJobRequest('track_sync', null, {}, 'interactive'))).toEqual(['priority']);
    expect(fields(() => normaliseJobRequest('popularity_update', null, {}, 'interactive'))).toEqual(['priority']);
    expect(fields(() => normaliseJobRequest('track_sync', randomUUID(), {}, 'urgent'))).toEqual(['priority']);
    expect(fields(() => normaliseJobRequest('track_sync', randomUUID(), {}, 1))).toEqual(['priority']);
  });

  it('is not part of the dedupe key: an identical job in another lane is the same work', () => {
    const id = randomUUID();
    expect(normaliseJobRequest('track_sync', id, {}, 'bulk').dedupeKey).toBe(normaliseJobRequest('track_sync', id).dedupeKey);
  });
});
