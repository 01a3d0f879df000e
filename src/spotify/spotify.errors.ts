/**
 * Typed errors at the edge, so callers decide retry or discard without parsing strings.
 * Messages never carry tokens.
 */
export abstract class SpotifyError extends Error {
  /** Worth trying again later (the same request may succeed). */
  abstract readonly retryable: boolean;

  constructor(
    message: string,
    /** HTTP status Spotify answered with; null for network errors and local refusals. */
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 429, or a shared pause still running. Delay the work by `retryAfterMs`. */
export class SpotifyRateLimitedError extends SpotifyError {
  readonly retryable = true;

  constructor(
    readonly retryAfterMs: number,
    /** The developer account's quota is used up: pause all Spotify work, not one request. */
    readonly quotaExceeded: boolean,
    message?: string,
    /** Spotify asked for longer than SPOTIFY_MAX_RETRY_AFTER_S; the pause is that maximum. Say so in the job's message. */
    readonly capped = false,
    /** What Spotify asked for when `capped`, in ms. */
    readonly requestedMs: number | null = null,
  ) {
    super(message ?? rateLimitMessage(retryAfterMs, quotaExceeded, capped, requestedMs), 429);
  }
}

function rateLimitMessage(retryAfterMs: number, quotaExceeded: boolean, capped: boolean, requestedMs: number | null): string {
  const base = quotaExceeded
    ? `Spotify quota exceeded; paused for ${Math.ceil(retryAfterMs / 1000)} s`
    : `Spotify rate limit; paused for ${Math.ceil(retryAfterMs / 1000)} s`;
  return capped && requestedMs !== null
    ? `${base} (Spotify asked for ${Math.ceil(requestedMs / 1000)} s; capped by SPOTIFY_MAX_RETRY_AFTER_S)`
    : base;
}

/** 5xx, timeout or network error, after the bounded retries. */
export class SpotifyTransientError extends SpotifyError {
  readonly retryable = true;
}

/**
 * A 2xx whose body is not the JSON the endpoint promises (an HTML page, a truncated body, another
 * shape), after the bounded retries. Transient: never read it as "no tracks", "gone" or "removed".
 */
export class SpotifyMalformedResponseError extends SpotifyTransientError {
  constructor(
    message: string,
    status: number | null,
    /** what was wrong, e.g. `not JSON (text/html)` or `tracks: expected an array of 50` */
    readonly reason: string,
  ) {
    super(message, status);
  }
}

/** 403 on a call this app may not make (missing scope, or not available in this access tier). */
export class SpotifyForbiddenError extends SpotifyError {
  readonly retryable = false;
}

/** 403 on a user token: the account is not one of a development-mode app's allowed users. */
export class SpotifyUserNotAllowedError extends SpotifyError {
  readonly retryable = false;
}

export class SpotifyNotFoundError extends SpotifyError {
  readonly retryable = false;
}

/** 401: the access token is expired or invalid. For a user token: refresh once, then retry once. */
export class SpotifyUnauthorizedError extends SpotifyError {
  readonly retryable = false;
}

/** `invalid_grant` on refresh: revoked or past Spotify's 6-month limit. The user must reconnect; never retry. */
export class SpotifyAuthRevokedError extends SpotifyError {
  readonly retryable = false;
}

/** 400 and other refusals that the same request will always get (bad code, bad client, bad limit...). */
export class SpotifyBadRequestError extends SpotifyError {
  readonly retryable = false;

  constructor(
    message: string,
    status: number | null = 400,
    /** The Accounts service's `error` code (`invalid_grant`, `invalid_client`...), when there is one. */
    readonly oauthError: string | null = null,
    /** The Web API's `error.message` (e.g. `invalid id`), when there is one. */
    readonly spotifyMessage: string | null = null,
  ) {
    super(message, status);
  }
}
