import { NotFoundException } from '@nestjs/common';
import {
  SpotifyBadRequestError,
  SpotifyForbiddenError,
  SpotifyRateLimitedError,
  SpotifyTransientError,
  SpotifyUserNotAllowedError,
} from '../spotify/spotify.errors';
import { ConnectCallbackError } from './auth.errors';
import { toCallbackError } from './spotify-callback.errors';

const reasonOf = (error: unknown) => (toCallbackError(error) as ConnectCallbackError).reason;
const statusOf = (error: unknown) => (toCallbackError(error) as ConnectCallbackError).getStatus();

describe('toCallbackError', () => {
  it('maps Spotify failures to a reason and a status', () => {
    expect([reasonOf(new SpotifyUserNotAllowedError('x', 403)), statusOf(new SpotifyUserNotAllowedError('x', 403))]).toEqual([
      'user_not_allowed',
      403,
    ]);
    expect(reasonOf(new SpotifyBadRequestError('x', 400, 'invalid_grant'))).toBe('invalid_code');
    expect(reasonOf(new SpotifyTransientError('x', 503))).toBe('spotify_unavailable');
    expect(reasonOf(new SpotifyRateLimitedError(1000, false))).toBe('spotify_unavailable');
    expect([reasonOf(new SpotifyForbiddenError('x', 403)), statusOf(new SpotifyForbiddenError('x', 403))]).toEqual([
      'spotify_error',
      502,
    ]);
  });

  it("unwraps passport-oauth2's InternalOAuthError around the code exchange", () => {
    const wrapped = Object.assign(new Error('Failed to obtain access token'), {
      name: 'InternalOAuthError',
      oauthError: new SpotifyTransientError('down', 503),
    });
    expect(reasonOf(wrapped)).toBe('spotify_unavailable');
  });

  it('never echoes the Spotify message (it may name the request)', () => {
    const mapped = toCallbackError(new SpotifyForbiddenError('secret detail', 403)) as Error;
    expect(mapped.message).not.toContain('secret detail');
  });

  it('leaves HTTP exceptions and unknown errors alone', () => {
    const notFound = new NotFoundException('User x not found');
    expect(toCallbackError(notFound)).toBe(notFound);
    const boom = new Error('boom');
    expect(toCallbackError(boom)).toBe(boom);
  });
});
