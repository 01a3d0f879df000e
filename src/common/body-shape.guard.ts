import type { NextFunction, Request, Response } from 'express';
import { FieldError } from './error-body';
import { InvalidInputException } from './validation';

/** The contract's structural limits ("Limits and defences"), checked before any validation. */
export const BODY_LIMITS = {
  maxKeysPerObject: 100,
  maxValues: 50_000,
  maxDepth: 32,
  maxStringLength: 10_000,
  /** no field of ours is near this; it bounds the paths built for error messages */
  maxKeyLength: 100,
} as const;

/**
 * Finds the first structural problem in a parsed JSON body, or null. Iterative (an explicit
 * stack) so that no nesting depth can overflow the call stack, and it stops at the first
 * problem, so its cost is bounded by the limits themselves, not by the body.
 */
export function findBodyShapeProblem(body: unknown, limits: Record<keyof typeof BODY_LIMITS, number> = BODY_LIMITS): FieldError | null {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: body, path: '', depth: 0 }];
  let values = 0;
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    values += 1;
    const field = path || 'body';
    if (values > limits.maxValues) {
      return { field: 'body', reasons: [`body holds more than ${limits.maxValues} values`] };
    }
    if (typeof value === 'string') {
      if (value.length > limits.maxStringLength) {
        return { field, reasons: [`${field} is longer than ${limits.maxStringLength} characters`] };
      }
      if (value.includes('\u0000')) return { field, reasons: [`${field} must not contain NUL characters`] };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= limits.maxDepth) {
      return { field, reasons: [`${field} is nested deeper than ${limits.maxDepth} levels`] };
    }
    if (Array.isArray(value)) {
      // an array's length counts against the value budget before its items are visited
      if (values + value.length > limits.maxValues) {
        return { field: 'body', reasons: [`body holds more than ${limits.maxValues} values`] };
      }
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: `${path}[${i}]`, depth: depth + 1 });
      continue;
    }
    let keys = 0;
    // for…in stops at the 101st key instead of listing 80,000 first (Object.keys would)
    for (const key in value) {
      if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
      keys += 1;
      if (keys > limits.maxKeysPerObject) {
        return { field, reasons: [`${field} has more than ${limits.maxKeysPerObject} keys`] };
      }
      if (key.length > limits.maxKeyLength || key.includes('\u0000')) {
        return { field, reasons: [`${field} has a key that is too long or contains NUL`] };
      }
      const child = (value as Record<string, unknown>)[key];
      stack.push({ value: child, path: path ? `${path}.${key}` : key, depth: depth + 1 });
    }
    if (values + stack.length > limits.maxValues) {
      return { field: 'body', reasons: [`body holds more than ${limits.maxValues} values`] };
    }
  }
  return null;
}

/** Express middleware placed right after the JSON parser: a hostile body never reaches the ValidationPipe. */
export function bodyShapeGuard() {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (req.body === undefined) return next();
    const problem = findBodyShapeProblem(req.body);
    if (problem) return next(new InvalidInputException([problem]));
    next();
  };
}
