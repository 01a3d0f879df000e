import { applyDecorators } from '@nestjs/common';
import { ApiExtension, ApiOperation } from '@nestjs/swagger';

/** Statuses a route answers besides the ones the document adds from its shape (see openapi-document.ts). */
export type ErrorStatus = 400 | 403 | 404 | 409 | 413 | 422 | 502 | 503;

export interface EndpointOptions {
  description?: string;
  /** Route-specific error answers and what they mean, e.g. `{ 409: 'The track is linked to another song' }`. */
  errors?: Partial<Record<ErrorStatus, string>>;
}

export const ERRORS_EXTENSION = 'x-error-responses';

/**
 * One decorator per route: its operationId (a camelCase verb: it becomes the method name in
 * generated clients), its summary, and the errors only this route can answer. The shared ones
 * (400, 401, 404, 413, Idempotency-Key's 409/422) are added to the document from the route's shape.
 */
export function ApiEndpoint(operationId: string, summary: string, options: EndpointOptions = {}): MethodDecorator {
  const decorators: MethodDecorator[] = [ApiOperation({ operationId, summary, description: options.description })];
  if (options.errors && Object.keys(options.errors).length) {
    decorators.push(ApiExtension(ERRORS_EXTENSION, options.errors));
  }
  return applyDecorators(...decorators);
}
