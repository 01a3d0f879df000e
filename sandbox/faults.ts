import { SandboxConfig } from './config';
import { HttpError, json } from './http';

const SERVER_ERROR_MESSAGES: Record<number, string> = {
  500: 'Server error.',
  502: 'Bad gateway.',
  503: 'Service unavailable',
};

/** Decides whether the next Web API request fails on purpose, and how. */
export class FaultInjector {
  private requestsSeen = 0;

  /** Restart the every-Nth count, e.g. when a new rate-limit fault is configured. */
  resetCount(): void {
    this.requestsSeen = 0;
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
