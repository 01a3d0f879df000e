import { NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { SpotifyRateLimitedError, SpotifyTransientError } from '../spotify/spotify.errors';
import { toErrorBody } from './http-exception.filter';
import { InvalidInputException } from './validation';

describe('toErrorBody', () => {
  it('keeps the one shape for HTTP errors and validation details', () => {
    expect(toErrorBody(new NotFoundException('Song x not found'))).toEqual({ statusCode: 404, error: 'Not Found', message: 'Song x not found' });
    expect(toErrorBody(new InvalidInputException([{ field: 'title', reasons: ['too short'] }]))).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'Invalid input: title',
      details: [{ field: 'title', reasons: ['too short'] }],
    });
    expect(toErrorBody(new PayloadTooLargeException()).statusCode).toBe(413);
  });

  it('answers Spotify trouble as an upstream problem, never with Spotify\'s own status', () => {
    expect(toErrorBody(new SpotifyRateLimitedError(2_500, false))).toMatchObject({ statusCode: 503, message: expect.stringContaining('3 s') });
    expect(toErrorBody(new SpotifyTransientError('Spotify answered 503', 503))).toMatchObject({ statusCode: 502 });
  });

  it('reveals nothing about unexpected errors', () => {
    expect(toErrorBody(new Error('password=hunter2'))).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' });
  });
});
