import { randomUUID } from 'node:crypto';
import { InvalidInputException } from '../../common/validation';
import { normaliseJobRequest } from './job-parameters';

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
