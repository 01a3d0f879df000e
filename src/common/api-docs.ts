import type { OpenAPIObject } from '@nestjs/swagger';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/**
 * Documents the 401 that every route behind the API key can answer, in the one error shape,
 * so Swagger UI shows it as an expected answer with its meaning instead of "Undocumented".
 */
export function documentApiKeyErrors(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation?.security?.length || operation.responses['401']) continue;
      operation.responses['401'] = {
        description: 'No API key, or an unknown one: press Authorize and paste one of API_KEYS',
        content: {
          'application/json': {
            example: { statusCode: 401, error: 'Unauthorized', message: 'A valid API key is required: Authorization: Bearer <key>' },
          },
        },
      };
    }
  }
  return document;
}
