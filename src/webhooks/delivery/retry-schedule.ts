const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** SERVICE.md's schedule: the first retry within 10 s, then backing off to about 24 h in all. */
export const DEFAULT_RETRY_DELAYS = '5s,5m,30m,2h,5h,10h,10h';

/** `5s,5m,30m` → milliseconds; throws an Error saying what is wrong. */
export function parseRetryDelays(raw: string): number[] {
  const delays = raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => {
      const match = /^(\d{1,9})(ms|s|m|h)$/.exec(item);
      if (!match) throw new Error(`has "${item}"; use numbers with ms, s, m or h, e.g. ${DEFAULT_RETRY_DELAYS}`);
      const ms = Number(match[1]) * UNITS[match[2]];
      if (ms < 1 || ms > 48 * UNITS.h) throw new Error(`has "${item}"; each delay must be from 1ms to 48h`);
      return ms;
    });
  if (delays.length > 20) throw new Error('has more than 20 delays');
  return delays;
}

/** After the n-th failed attempt in a row (1-based), wait this long; null: give up. */
export function retryDelayAfter(failures: number, delays: readonly number[]): number | null {
  return failures >= 1 && failures <= delays.length ? delays[failures - 1] : null;
}
