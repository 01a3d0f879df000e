import fc from 'fast-check';
import { advance, NamedPosition, windowToProcess } from './named-window';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `song-${i}`);

describe('named-song windows', () => {
  it('moves past a window only once all of it is settled', () => {
    const songIds = ids(5);
    const start: NamedPosition = { position: 0, settled: [] };
    const { window, todo } = windowToProcess(songIds, start, 3);
    expect(window).toEqual(['song-0', 'song-1', 'song-2']);
    expect(todo).toEqual(window);
    const partial = advance(songIds, start, window, ['song-0', 'song-2']);
    expect(partial).toEqual({ position: 0, settled: ['song-0', 'song-2'] });
    expect(windowToProcess(songIds, partial, 3).todo).toEqual(['song-1']);
    expect(advance(songIds, partial, window, ['song-1'])).toEqual({ position: 3, settled: [] });
  });

  it('a window that committed nothing (its write failed) is not skipped', () => {
    const songIds = ids(4);
    const at = { position: 2, settled: [] };
    expect(advance(songIds, at, ['song-2', 'song-3'], [])).toEqual(at);
  });

  it('over any order of partial settlements and window sizes, reaches the end, processing each id exactly once (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 20 })), { minLength: 1, maxLength: 200 }),
        (n, steps) => {
          const songIds = ids(n);
          let at: NamedPosition = { position: 0, settled: [] };
          const processed: string[] = [];
          for (let i = 0; i < 10_000; i++) {
            const [limit, take] = steps[i % steps.length];
            const { window, todo } = windowToProcess(songIds, at, limit);
            if (!window.length) break;
            // a pause may settle only the first `take` of what was asked (at least one, or the run would not move)
            const settledNow = todo.slice(0, Math.max(1, take));
            processed.push(...settledNow);
            at = advance(songIds, at, window, settledNow);
          }
          expect(at.position).toBe(n);
          expect(processed.sort()).toEqual([...songIds].sort());
        },
      ),
    );
  });
});
