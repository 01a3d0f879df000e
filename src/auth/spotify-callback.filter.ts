import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { describeError, toErrorBody } from '../common/http-exception.filter';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ConnectCallbackError, ConnectFailureReason } from './auth.errors';
import { attemptOf, connectReturnLocation } from './connect-return';

/**
 * The callback is opened by a browser: with SPOTIFY_CONNECT_RETURN_URL set, failures go back
 * there as `status=error&reason=…`; otherwise they get the one JSON error shape.
 */
@Catch()
export class SpotifyCallbackFilter implements ExceptionFilter {
  private readonly logger = new Logger('SpotifyCallback');

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const body = toErrorBody(exception);
    const reason = reasonOf(exception, body.statusCode);
    if (body.statusCode >= 500) this.logger.error({ error: describeError(exception), reason }, 'Spotify connection failed');
    else this.logger.warn({ reason, statusCode: body.statusCode }, 'Spotify connection refused');
    if (response.headersSent) return;
    const { connectReturnUrl, connectReturnSecret } = this.config.spotify;
    if (connectReturnUrl && connectReturnSecret) {
      const request = host.switchToHttp().getRequest<Request>();
      response.redirect(302, connectReturnLocation(connectReturnUrl, connectReturnSecret, 'error', attemptOf(request), reason));
      return;
    }
    response.status(body.statusCode).json(body);
  }
}

function reasonOf(exception: unknown, statusCode: number): ConnectFailureReason {
  if (exception instanceof ConnectCallbackError) return exception.reason;
  if (exception instanceof HttpException && statusCode === 404) return 'user_not_found';
  if (statusCode === 503) return 'temporarily_unavailable';
  return statusCode >= 500 ? 'internal_error' : 'invalid_request';
}
