import { HttpError, json } from './http';

export const RATE_WINDOW_MS = 30_000;

/**
 * Spotify's rolling 30-second limit, as a stand-in: a Web API request received when `limit`
 * requests were already answered (not 429) in the last 30 s gets 429 with Retry-After = seconds
 * until the oldest of them leaves the window. Refused requests do not count. The service is never
 * told the limit; it has to learn it.
 */
export class RateWindow {
  private admitted: number[] = [];

  /** Admits a request received at `now`, or returns the 429 to answer. `limit` null: no limit. */
  admit(limit: number | null, now: number): HttpError | null {
    if (limit === null) return null;
    while (this.admitted.length > 0 && this.admitted[0] <= now - RATE_WINDOW_MS) this.admitted.shift();
    if (this.admitted.length < limit) {
      this.admitted.push(now);
      return null;
    }
    const oldest = this.admitted[this.admitted.length - limit];
    const retryAfterSeconds = Math.max(1, Math.ceil((oldest + RATE_WINDOW_MS - now) / 1000));
    return new HttpError(json(429, { error: { status: 429, message: 'API rate limit exceeded' } }, { 'retry-after': String(retryAfterSeconds) }));
  }

  reset(): void {
    this.admitted = [];
  }
}
