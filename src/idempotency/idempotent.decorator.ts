import { applyDecorators, RequestMethod, SetMetadata, Type, UseInterceptors } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { IS_PUBLIC } from '../common/public.decorator';
import { IdempotencyInterceptor } from './idempotency.interceptor';

export const IDEMPOTENT = 'idempotent';

/**
 * Idempotency-Key on this route. Every POST behind the API key carries it, and no other route
 * does (IdempotencyModule refuses to start otherwise). Bound per route rather than globally so
 * that reads skip the interceptor machinery altogether: on GET /v1/songs it cost 0.2–0.3 ms
 * of the server's CPU a request, a tenth or more of the whole (README "Benchmarks").
 */
export const Idempotent = () => applyDecorators(SetMetadata(IDEMPOTENT, true), UseInterceptors(IdempotencyInterceptor));

/** The routes where the Idempotent decorator is missing (a POST behind the API key) or out of place; empty when right. */
export function misplacedIdempotency(controllers: Type[]): string[] {
  const problems: string[] = [];
  for (const controller of controllers) {
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) continue;
      const isPublic = Reflect.getMetadata(IS_PUBLIC, handler) ?? Reflect.getMetadata(IS_PUBLIC, controller) ?? false;
      const wanted = method === RequestMethod.POST && !isPublic;
      const marked = Reflect.getMetadata(IDEMPOTENT, handler) === true;
      if (wanted === marked) continue;
      const path = `${RequestMethod[method]} ${String(Reflect.getMetadata(PATH_METADATA, controller))}/${String(Reflect.getMetadata(PATH_METADATA, handler))}`;
      problems.push(`${controller.name}.${name} (${path}): ${wanted ? 'a POST behind the API key needs @Idempotent()' : '@Idempotent() belongs on POSTs behind the API key only'}`);
    }
  }
  return problems;
}
