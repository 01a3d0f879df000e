import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * Why a connect callback failed. The reason is the `reason` of the redirect to
 * SPOTIFY_CONNECT_RETURN_URL; the message is the JSON answer. Neither ever carries a token or code.
 */
export type ConnectFailureReason =
  | 'access_denied'
  | 'invalid_state'
  | 'invalid_request'
  | 'invalid_code'
  | 'already_linked'
  | 'user_not_allowed'
  | 'user_not_found'
  | 'spotify_unavailable'
  | 'spotify_error'
  | 'temporarily_unavailable'
  | 'internal_error';

export class ConnectCallbackError extends HttpException {
  constructor(
    readonly reason: ConnectFailureReason,
    status: HttpStatus,
    message: string,
  ) {
    super(message, status);
  }
}

export class OAuthStateInvalidError extends ConnectCallbackError {
  constructor() {
    super(
      'invalid_state',
      HttpStatus.BAD_REQUEST,
      'The authorization state is unknown, expired or already used; start again with POST /v1/users/:id/spotify/authorize',
    );
  }
}

export class SpotifyConsentDeniedError extends ConnectCallbackError {
  constructor() {
    super('access_denied', HttpStatus.FORBIDDEN, 'The Spotify user denied access; nothing was connected');
  }
}

export class SpotifyAccountAlreadyLinkedError extends ConnectCallbackError {
  constructor() {
    super('already_linked', HttpStatus.CONFLICT, 'This Spotify account is already connected to another user');
  }
}
