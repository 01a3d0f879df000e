import { SandboxConfig } from './config';
import { HttpError, json, SandboxResponse } from './http';

const EDGE_HTML =
  '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Upstream temporarily unavailable</h1></body></html>';

const SERVER_ERROR_MESSAGES: Record<number, string> = {
  500: 'Server error.',
  502: 'Bad gateway.',
  503: 'Service unavailable',
};

/** Decides whether the next Web API request fails on purpose, and how. */
export class FaultInjector {
  private requestsSeen = 0;
  private malformedSeen = 0;
  private malformedSent = 0;

  /** Restart the every-Nth count, e.g. when a new rate-limit fault is configured. */
  resetCount(): void {
    this.requestsSeen = 0;
    this.malformedSeen = 0;
    this.malformedSent = 0;
  }

  /** Dirty mode: every Nth Web API request gets a 200 that is not the promised JSON (HTML, then a cut-off body, alternately). */
  malformed(config: SandboxConfig): SandboxResponse | null {
    const everyN = config.dirty?.malformedEveryN ?? 0;
    if (everyN <= 0) return null;
    this.malformedSeen += 1;
    if (this.malformedSeen % everyN !== 0) return null;
    this.malformedSent += 1;
    return this.malformedSent % 2 === 1
      ? { status: 200, rawBody: EDGE_HTML, headers: { 'content-type': 'text/html; charset=utf-8' } }
      : { status: 200, rawBody: '{"tracks":[{"album":{"album_type":"album","artists":[{"external_urls":', headers: { 'content-type': 'application/json; charset=utf-8' } };
  }

  /** A token-endpoint 5xx, or the spurious invalid_grant that may follow one; null otherwise. */
  nextToken(config: SandboxConfig, grantType: string): HttpError | null {
    const fault = config.tokenServerErrors;
    if (!fault) return null;
    if (fault.count > 0) {
      const status = fault.status;
      fault.count -= 1;
      if (fault.count === 0 && fault.thenInvalidGrant === 0) config.tokenServerErrors = null;
      return new HttpError(json(status, { error: 'server_error', error_description: SERVER_ERROR_MESSAGES[status] }));
    }
    if (grantType !== 'refresh_token') return null;
    fault.thenInvalidGrant -= 1;
    if (fault.thenInvalidGrant <= 0) config.tokenServerErrors = null;
    return new HttpError(json(400, { error: 'invalid_grant', error_description: 'Invalid refresh token' }));
  }

  /** The error a faulty Spotify would answer with, or null. Counts the request down `serverErrors`. */
  next(config: SandboxConfig): HttpError | null {
    this.requestsSeen += 1;
    if (config.quotaExceeded) {
      const body = { error: { status: 429, message: 'Too many requests', reason: 'QUOTA_EXCEEDED' } };
      return new HttpError(json(429, body, retryAfter(config.quotaExceeded.retryAfterSeconds)));
    }
    if (config.serverErrors) {
      const { count, status } = config.serverErrors;
      config.serverErrors = count > 1 ? { count: count - 1, status } : null;
      return new HttpError(json(status, { error: { status, message: SERVER_ERROR_MESSAGES[status] } }));
    }
    if (config.rateLimit && this.requestsSeen % config.rateLimit.everyN === 0) {
      const body = { error: { status: 429, message: 'API rate limit exceeded' } };
      return new HttpError(json(429, body, retryAfter(config.rateLimit.retryAfterSeconds)));
    }
    return null;
  }
}

function retryAfter(seconds: number | null): Record<string, string> | undefined {
  return seconds === null ? undefined : { 'retry-after': String(Math.ceil(seconds)) };
}
