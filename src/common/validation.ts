import { ArgumentMetadata, BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidateIf } from 'class-validator';
import { FieldError } from './error-body';

/**
 * May be left out, but not sent as null: unlike @IsOptional(), which skips every other check
 * for null too and lets it reach a NOT NULL column (a 500).
 */
export const OptionalNotNull = () => ValidateIf((_object: unknown, value: unknown) => value !== undefined);

/** The most problems one answer lists (the contract's cap); the message says how many were left out. */
export const MAX_LISTED_PROBLEMS = 50;

/** A 400 whose body names each bad field. */
export class InvalidInputException extends BadRequestException {
  readonly details: FieldError[];

  constructor(details: FieldError[], message?: string) {
    const listed = details.slice(0, MAX_LISTED_PROBLEMS);
    const more = details.length - listed.length;
    super(message ?? `Invalid input: ${listed.map((d) => d.field).join(', ')}${more > 0 ? ` and ${more} more` : ''}`);
    this.details = listed;
  }
}

export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, reasons: Object.values(error.constraints) }] : [];
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/** NUL has no place in any text we store, and PostgreSQL refuses it (a 500 before this check). */
function nulProblems(value: unknown, field: string): FieldError[] {
  if (typeof value === 'string') {
    return value.includes('\u0000') ? [{ field, reasons: [`${field} must not contain NUL characters`] }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, i) => nulProblems(item, `${field}[${i}]`));
  return [];
}

/**
 * The global pipe. Bodies have passed bodyShapeGuard already (bounded size, no NUL); path and
 * query values are checked for NUL here, where their names are known.
 */
class AppValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'param' || metadata.type === 'query') {
      const problems =
        metadata.data !== undefined
          ? nulProblems(value, metadata.data)
          : value && typeof value === 'object'
            ? Object.entries(value as Record<string, unknown>).flatMap(([key, item]) => nulProblems(item, key))
            : [];
      if (problems.length > 0) throw new InvalidInputException(problems);
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new AppValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => new InvalidInputException(flattenValidationErrors(errors)),
  });
}
