import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { OperationObject, ParameterObject, ReferenceObject, ResponseObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { STATUS_CODES } from 'node:http';
import { ERRORS_EXTENSION } from './api-endpoint.decorator';
import { ErrorResponse, FieldErrorResponse } from './error-response.dto';

export const SECURITY_SCHEME = 'api-key';
export const IDEMPOTENCY_KEY_PARAMETER = 'IdempotencyKey';
export const IDEMPOTENT_REPLAYED_HEADER = 'IdempotentReplayed';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const ERROR_SCHEMA = { $ref: `#/components/schemas/${ErrorResponse.name}` };

/** What each shared error status means on this service, unless a route says more. */
const SHARED_ERRORS: Record<number, string> = {
  400: 'Invalid input: the message names each bad field, details lists them with their reasons',
  401: 'No API key, or an unknown one: press Authorize and paste one of API_KEYS',
  404: 'No such resource',
  409: 'A request with this Idempotency-Key is still in flight: retry later',
  413: 'Request body is larger than 1 MB',
  422: 'This Idempotency-Key was used with another request body',
};

function errorResponse(status: number, description: string): ResponseObject {
  const example: Record<string, unknown> = { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message: description };
  if (status === 400) {
    example.message = 'title must be longer than or equal to 1 characters';
    example.details = [{ field: 'title', reasons: ['title must be longer than or equal to 1 characters'] }];
  }
  return { description, content: { 'application/json': { schema: ERROR_SCHEMA, example } } };
}

function addError(operation: OperationObject, status: number, description = SHARED_ERRORS[status]): void {
  const existing = operation.responses[status] as ResponseObject | undefined;
  if (!existing) {
    operation.responses[status] = errorResponse(status, description);
    return;
  }
  if (existing.content?.['application/json']?.schema !== ERROR_SCHEMA) {
    // a route's own description (e.g. @ApiConflictResponse, terminus' 503) wins; the body is
    // still the error shape: the exception filter answers every error with it
    operation.responses[status] = errorResponse(status, existing.description || description);
  } else if (description !== existing.description && !existing.description.includes(description)) {
    existing.description = `${existing.description}; or: ${description}`;
  }
}

const hasPathParameters = (path: string) => path.includes('{');
const parametersOf = (operation: OperationObject) => (operation.parameters ?? []) as (ParameterObject | ReferenceObject)[];

/** POSTs behind the API key take an Idempotency-Key (src/idempotency applies it to the same routes). */
export const isIdempotent = (method: string, operation: OperationObject) => method === 'post' && !!operation.security?.length;

/**
 * Completes what decorators would repeat on every route: security (none on public routes),
 * the error answers a route can give from its shape (parameters → 400, a path id → 404, a body
 * → 413, the API key → 401, Idempotency-Key → 409/422), all in the shared error schema, and the
 * reusable Idempotency-Key parameter.
 */
export function completeDocument(document: OpenAPIObject): OpenAPIObject {
  document.components ??= {};
  document.components.parameters = {
    ...document.components.parameters,
    [IDEMPOTENCY_KEY_PARAMETER]: {
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        'Makes a retry safe (IETF httpapi Idempotency-Key): the same key with the same body within 24 h returns the first ' +
        'answer again with Idempotent-Replayed: true; another body is a 422; while the first request is in flight, a 409. ' +
        'Keys are scoped to the API key. 1 to 255 visible ASCII characters, e.g. a UUID.',
      schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7E]{1,255}$' },
      example: '5f1c7a0e-2b8d-4e6f-9a3c-1d2e3f4a5b6c',
    },
  };
  document.components.headers = {
    ...document.components.headers,
    [IDEMPOTENT_REPLAYED_HEADER]: {
      description: 'true when this is the stored answer to an earlier request with the same Idempotency-Key',
      schema: { type: 'string', enum: ['true'] },
    },
  };

  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      if (!operation.security?.length) operation.security = [];
      const extension = operation as OperationObject & { [ERRORS_EXTENSION]?: Record<string, string> };
      const routeErrors = extension[ERRORS_EXTENSION] ?? {};
      delete extension[ERRORS_EXTENSION];

      const secured = operation.security.length > 0;
      const idempotent = isIdempotent(method, operation);
      if (idempotent) {
        operation.parameters = [...parametersOf(operation), { $ref: `#/components/parameters/${IDEMPOTENCY_KEY_PARAMETER}` }];
        for (const [status, response] of Object.entries(operation.responses)) {
          if (!response || !status.startsWith('2') || '$ref' in response) continue;
          response.headers = { ...response.headers, 'Idempotent-Replayed': { $ref: `#/components/headers/${IDEMPOTENT_REPLAYED_HEADER}` } };
        }
      }
      if (parametersOf(operation).length || operation.requestBody) addError(operation, 400);
      if (secured) addError(operation, 401);
      if (hasPathParameters(path)) addError(operation, 404);
      if (operation.requestBody) addError(operation, 413);
      for (const [status, description] of Object.entries(routeErrors)) {
        // the route's own words beat a library's generic answer (terminus' 503)
        const existing = operation.responses[status] as ResponseObject | undefined;
        if (existing?.content?.['application/json']?.schema !== ERROR_SCHEMA) delete operation.responses[status];
        addError(operation, Number(status), description);
      }
      if (idempotent) {
        addError(operation, 409);
        addError(operation, 422);
      }
      for (const status of Object.keys(operation.responses).filter((s) => Number(s) >= 400)) {
        addError(operation, Number(status), (operation.responses[status] as ResponseObject).description);
      }
      operation.responses = Object.fromEntries(Object.entries(operation.responses).sort(([a], [b]) => a.localeCompare(b)));
    }
  }
  return document;
}

/** The document /docs-json serves and `npm run openapi:write` commits as openapi.json. */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Spotify sync service')
    .setDescription(
      'Links the music catalogue and its users to Spotify. Business routes need an API key: ' +
        'press Authorize and paste one of API_KEYS.',
    )
    .setVersion('1')
    .setLicense('UNLICENSED: proprietary, internal use only', 'https://docs.npmjs.com/cli/v10/configuring-npm/package-json#license')
    .addServer('/', 'This service')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An internal API key' }, SECURITY_SCHEME)
    .build();
  return completeDocument(SwaggerModule.createDocument(app, config, { extraModels: [ErrorResponse, FieldErrorResponse] }));
}
