import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { SpotifyMalformedResponseError, SpotifyRateLimitedError, SpotifyTransientError } from './spotify.errors';
import { isObject } from './spotify.mappers';
import { BudgetPermit, SpotifyRequestBudget } from './budget/spotify-request-budget';

export interface SpotifyRequest {
  method: 'GET' | 'POST';
  url: string;
  /** Template for metrics, e.g. `/tracks/{id}` or `/api/token`. */
  endpoint: string;
  headers: Record<string, string>;
  body?: string;
  /** Web API calls go through the shared rate-limit gate; Accounts calls (token endpoint) do not. */
  gated: boolean;
  /** Safe to send again after a timeout or a dropped connection (not true of a single-use code). */
  idempotent: boolean;
  /** Resend after a 5xx answer (default true; false for a single-use authorization code). */
  retryServerErrors?: boolean;
  /**
   * Checks a 2xx body: null when it is what the endpoint promises, else the reason. A wrong body is
   * retried like a 5xx, then thrown as SpotifyMalformedResponseError.
   */
  expect?: (body: unknown) => string | null;
  /** Told of every 5xx answer and failed attempt, even one a later attempt recovers from. */
  onServerError?: () => void;
}

export interface SpotifyResponse {
  status: number;
  /** Parsed JSON, the raw text when it is not JSON, or null when empty. */
  body: unknown;
  headers: Headers;
  /** false when a non-empty body did not parse as JSON */
  json: boolean;
}

/** Spotify sometimes sends Retry-After 0 or none: wait at least this long. */
export const MIN_RETRY_AFTER_MS = 1_000;
/** A QUOTA_EXCEEDED answer without Retry-After: the quota window is unknown, so assume a long one. */
export const DEFAULT_QUOTA_PAUSE_MS = 60_000;
/** Inline waits on short 429s before the caller is told to come back later. */
const MAX_RATE_LIMIT_WAITS = 3;
// Failures where the request never reached Spotify, so even a non-idempotent request may be resent.
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * The one place that calls fetch for Spotify: timeout, the shared pause, 429 handling, and
 * bounded exponential backoff with jitter for 5xx and network errors. Answers below 500
 * (other than 429) are returned for the caller to map to typed errors.
 */
@Injectable()
export class SpotifyHttp {
  private readonly logger = new Logger(SpotifyHttp.name);

  constructor(
    private readonly budget: SpotifyRequestBudget,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  async send(request: SpotifyRequest): Promise<SpotifyResponse> {
    const { requestTimeoutMs, maxAttempts, maxInlineWaitMs, maxRetryAfterS } = this.config.spotify;
    let failures = 0;
    let rateLimitWaits = 0;
    for (;;) {
      // The 429 pause, then a permit from the shared request budget.
      const permit: BudgetPermit | null = request.gated ? await this.budget.acquire() : null;
      let response: SpotifyResponse;
      try {
        response = await this.fetchOnce(request, requestTimeoutMs);
      } catch (error) {
        this.metrics?.recordSpotifyRequest(request.endpoint, 'error');
        request.onServerError?.();
        failures += 1;
        const resendable = request.idempotent || NOT_SENT_CODES.has(errorCode(error) ?? '');
        if (resendable && failures < maxAttempts) {
          await this.backoff(failures);
          continue;
        }
        throw new SpotifyTransientError(`Spotify ${request.method} ${pathOf(request.url)} failed: ${describe(error, requestTimeoutMs)}`);
      }

      this.metrics?.recordSpotifyRequest(request.endpoint, response.status);
      if (response.status === 429) {
        const quotaExceeded = isQuotaExceeded(response.body);
        this.metrics?.recordRateLimited(quotaExceeded ? 'quota' : 'rate_limit');
        const requestedMs = retryAfterOf(response, quotaExceeded);
        const capMs = maxRetryAfterS * 1000;
        const capped = requestedMs > capMs;
        const retryAfterMs = capped ? capMs : requestedMs;
        if (capped) {
          this.metrics?.recordRetryAfterCapped();
          this.logger.warn(`Spotify asked to wait ${Math.ceil(requestedMs / 1000)} s; pausing for SPOTIFY_MAX_RETRY_AFTER_S=${maxRetryAfterS} s`);
        } else {
          this.logger.warn(`Spotify answered 429${quotaExceeded ? ' QUOTA_EXCEEDED' : ''}; pausing ${retryAfterMs} ms`);
        }
        if (request.gated) await this.budget.rateLimited(permit, quotaExceeded, retryAfterMs, capped ? requestedMs : null);
        // The next loop's acquire() does the waiting, so every process waits the same way.
        if (request.gated && !quotaExceeded && retryAfterMs <= maxInlineWaitMs && rateLimitWaits < MAX_RATE_LIMIT_WAITS) {
          rateLimitWaits += 1;
          continue;
        }
        throw new SpotifyRateLimitedError(retryAfterMs, quotaExceeded, undefined, capped, capped ? requestedMs : null);
      }
      const malformed = response.status >= 200 && response.status < 300 && request.expect ? request.expect(response.json ? response.body : NOT_JSON) : null;
      if (malformed !== null) {
        this.metrics?.recordSpotifyRequest(request.endpoint, 'malformed');
        request.onServerError?.();
        failures += 1;
        if (failures < maxAttempts && request.retryServerErrors !== false) {
          await this.backoff(failures);
          continue;
        }
        throw new SpotifyMalformedResponseError(
          `Spotify ${request.method} ${pathOf(request.url)} answered ${response.status} with a body that is not what it promises (${malformed}), ${failures} times`,
          response.status,
          malformed,
        );
      }
      if (response.status >= 500) {
        request.onServerError?.();
        failures += 1;
        if (failures < maxAttempts && request.retryServerErrors !== false) {
          await this.backoff(failures);
          continue;
        }
        throw new SpotifyTransientError(
          `Spotify ${request.method} ${pathOf(request.url)} answered ${response.status} ${failures} times`,
          response.status,
        );
      }
      return response;
    }
  }

  private async fetchOnce(request: SpotifyRequest, timeoutMs: number): Promise<SpotifyResponse> {
    // The timeout covers reading the body too: the signal aborts the stream.
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    const text = await response.text();
    let body: unknown = null;
    let json = true;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
        json = false;
      }
    }
    return { status: response.status, body, headers: response.headers, json };
  }

  /** Exponential backoff with "equal jitter": between half and all of base × 2^(n-1). */
  private backoff(failures: number): Promise<void> {
    const ceiling = this.config.spotify.retryBaseDelayMs * 2 ** (failures - 1);
    return sleep(ceiling / 2 + Math.random() * (ceiling / 2));
  }
}

/** What `expect` receives for a body that is not JSON at all (HTML from an edge proxy, a cut-off answer). */
export const NOT_JSON = Symbol('not JSON');

function isQuotaExceeded(body: unknown): boolean {
  return isObject(body) && isObject(body.error) && body.error.reason === 'QUOTA_EXCEEDED';
}

function retryAfterOf(response: SpotifyResponse, quotaExceeded: boolean): number {
  const header = response.headers.get('retry-after');
  const seconds = header === null || header.trim() === '' ? NaN : Number(header);
  if (!Number.isFinite(seconds)) return quotaExceeded ? DEFAULT_QUOTA_PAUSE_MS : MIN_RETRY_AFTER_MS;
  return Math.max(MIN_RETRY_AFTER_MS, Math.ceil(seconds * 1000));
}

function errorCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } })?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

function describe(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: string })?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = (error as { cause?: { message?: string } })?.cause?.message;
  return errorCode(error) ?? cause ?? (error as Error)?.message ?? String(error);
}

/** Path only: query strings can be long, and Accounts bodies (never logged) carry secrets. */
function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return 'request';
  }
}
