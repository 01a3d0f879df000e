/**
 * How long a song whose Spotify sync keeps failing is left alone: one hour after the first failure,
 * doubling with each consecutive one, at most 30 days. A success clears the count. A poisoned song
 * thus stops being the first of every run after one failure and costs a request only rarely.
 */
export const SYNC_BACKOFF = {
  baseMs: 60 * 60_000,
  maxMs: 30 * 86_400_000,
} as const;

/** The back-off after `failures` consecutive failures (1 = the first). */
export function syncBackoffMs(failures: number): number {
  if (!Number.isFinite(failures) || failures < 1) return 0;
  // 2^30 hours is far past the cap: no need to compute larger powers
  const exponent = Math.min(Math.floor(failures) - 1, 30);
  return Math.min(SYNC_BACKOFF.maxMs, SYNC_BACKOFF.baseMs * 2 ** exponent);
}

/** When a song that has now failed `failures` times in a row may be tried again by a stale run. */
export function syncNotBefore(failures: number, now: Date): Date {
  return new Date(now.getTime() + syncBackoffMs(failures));
}
