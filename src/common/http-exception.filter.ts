import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { DriverException, UniqueConstraintViolationException, ForeignKeyConstraintViolationException } from '@mikro-orm/core';
import { STATUS_CODES } from 'node:http';
import type { Request, Response } from 'express';
import { ErrorBody } from './error-body';
import { SpotifyError, SpotifyRateLimitedError } from '../spotify/spotify.errors';
import { InvalidInputException } from './validation';

function body(statusCode: number, message: string, details?: ErrorBody['details']): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, ...(details ? { details } : {}) };
}

/** Terminus answers a failed check with `{ status: 'error', error: { name: { status, message } } }`. */
function healthCheckFailures(response: unknown): string | null {
  const result = response as { status?: string; error?: Record<string, { message?: string }> };
  if (result?.status !== 'error' || typeof result.error !== 'object') return null;
  return Object.entries(result.error)
    .map(([name, detail]) => (detail?.message ? `${name} (${detail.message})` : name))
    .join(', ');
}

/** Maps every error to the one error shape; unexpected ones become a 500 that reveals nothing. */
export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof InvalidInputException) {
    return body(400, exception.message, exception.details);
  }
  if (exception instanceof HttpException) {
    const response = exception.getResponse();
    const down = healthCheckFailures(response);
    if (down) return body(exception.getStatus(), `Not ready: ${down}`);
    const message =
      typeof response === 'string'
        ? response
        : Array.isArray((response as { message?: unknown }).message)
          ? ((response as { message: string[] }).message.join('; '))
          : String((response as { message?: unknown }).message ?? exception.message);
    return body(exception.getStatus(), message);
  }
  if (exception instanceof SpotifyRateLimitedError) {
    return body(503, `Spotify asked us to slow down; try again in ${Math.ceil(exception.retryAfterMs / 1000)} s`);
  }
  if (exception instanceof SpotifyError) {
    // Spotify's own status is not ours: the request was fine, the upstream was not
    return body(502, `Spotify could not answer this request: ${exception.message}`);
  }
  if (exception instanceof UniqueConstraintViolationException) {
    return body(409, 'Conflicts with an existing record');
  }
  if (exception instanceof ForeignKeyConstraintViolationException) {
    return body(409, 'Refers to a record that does not exist');
  }
  // SQLSTATE classes 22 (data exception: too long, out of range, bad encoding) and 23 (a NOT NULL
  // or CHECK rule): the request carried a value the database refuses, which is the caller's to fix
  const sqlState = exception instanceof DriverException ? String(exception.code ?? '') : '';
  if (sqlState.startsWith('22') || sqlState.startsWith('23')) {
    return body(400, 'A value in this request was refused by the database');
  }
  // body-parser errors (too large, malformed JSON) carry their own status
  const status = (exception as { status?: unknown; type?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const type = (exception as { type?: string }).type;
    const message =
      type === 'entity.too.large'
        ? 'Request body is larger than 1 MB'
        : type === 'entity.parse.failed'
          ? 'Request body is not valid JSON'
          : STATUS_CODES[status] ?? 'Bad request';
    return body(status, message);
  }
  return body(HttpStatus.INTERNAL_SERVER_ERROR, 'Internal server error');
}

@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const request = host.switchToHttp().getRequest<Request & { id?: unknown }>();
    const errorBody = toErrorBody(exception);
    const requestId = typeof request?.id === 'string' ? request.id : undefined;
    if (errorBody.statusCode >= 500) {
      // the detail stays in the log under the request id; the caller gets only the id to quote
      this.logger.error({ error: describeError(exception), requestId }, 'Unhandled error');
      if (errorBody.statusCode === 500 && requestId) errorBody.message = `Internal server error (request id ${requestId})`;
    } else if (errorBody.statusCode === 400 && exception instanceof DriverException) {
      this.logger.warn({ error: describeError(exception), requestId }, 'Database refused a value');
    }
    if (response.headersSent) return;
    if (exception instanceof SpotifyRateLimitedError) {
      response.setHeader('Retry-After', String(Math.ceil(exception.retryAfterMs / 1000)));
    }
    response.status(errorBody.statusCode).json(errorBody);
  }
}

const SQL_TEXT = /\b(select|insert|update|delete|with)\b[\s\S]*\b(from|into|set|values|where)\b/i;

/**
 * What a log line may say about an unexpected error: for a database error its SQLSTATE,
 * constraint, table and column (PostgreSQL's own fields), never its message, which MikroORM
 * builds from the SQL with the values inlined; for others the message unless it holds SQL, and
 * the stack frames without the first line (which repeats the message).
 */
export function describeError(exception: unknown): Record<string, unknown> {
  if (!(exception instanceof Error)) return { type: typeof exception };
  const frames = (exception.stack ?? '')
    .split('\n')
    .filter((line) => line.trim().startsWith('at '))
    .slice(0, 15)
    .map((line) => line.trim());
  if (exception instanceof DriverException) {
    const pg = exception as DriverException & { constraint?: string; table?: string; column?: string; schema?: string };
    return { type: exception.name, code: pg.code, constraint: pg.constraint, table: pg.table, column: pg.column, frames };
  }
  const message = exception.message.length > 300 ? `${exception.message.slice(0, 300)}…` : exception.message;
  return { type: exception.name, message: SQL_TEXT.test(message) ? '[message withheld: holds SQL]' : message, frames };
}
