import { HttpException, HttpStatus } from '@nestjs/common';
import {
  SpotifyBadRequestError,
  SpotifyError,
  SpotifyRateLimitedError,
  SpotifyTransientError,
  SpotifyUserNotAllowedError,
} from '../spotify/spotify.errors';
import { SpotifyAccountLinkedElsewhereError } from '../connections/spotify-connection.errors';
import { ConnectCallbackError, SpotifyAccountAlreadyLinkedError } from './auth.errors';

/** Whatever failed during the callback (state, code exchange, profile, storing) → one clear answer. */
export function toCallbackError(error: unknown): unknown {
  // passport-oauth2 wraps errors from the token exchange in an InternalOAuthError
  const cause = (error as { name?: string; oauthError?: unknown })?.name === 'InternalOAuthError'
    ? (error as { oauthError?: unknown }).oauthError
    : error;
  if (cause instanceof HttpException) return cause;
  if (cause instanceof SpotifyAccountLinkedElsewhereError) return new SpotifyAccountAlreadyLinkedError();
  if (cause instanceof SpotifyUserNotAllowedError) {
    return new ConnectCallbackError(
      'user_not_allowed',
      HttpStatus.FORBIDDEN,
      'This Spotify account may not use this app: the app is in Spotify development mode, which admits only ' +
        'the users added in its Developer Dashboard (at most 5). Ask an operator to add the account, then connect again. Nothing was stored.',
    );
  }
  if (cause instanceof SpotifyBadRequestError && cause.oauthError === 'invalid_grant') {
    return new ConnectCallbackError(
      'invalid_code',
      HttpStatus.BAD_REQUEST,
      'Spotify refused the authorization code (expired or already used); start again. Nothing was stored.',
    );
  }
  if (cause instanceof SpotifyTransientError || cause instanceof SpotifyRateLimitedError) {
    return new ConnectCallbackError(
      'spotify_unavailable',
      HttpStatus.BAD_GATEWAY,
      'Spotify is not answering properly right now; try connecting again later. Nothing was stored.',
    );
  }
  if (cause instanceof SpotifyError) {
    return new ConnectCallbackError(
      'spotify_error',
      HttpStatus.BAD_GATEWAY,
      `Spotify refused the connection (${cause.name}${cause.status ? `, HTTP ${cause.status}` : ''}). Nothing was stored.`,
    );
  }
  return cause;
}
