import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError } from './error-body';

/** A 400 whose body names each bad field. */
export class InvalidInputException extends BadRequestException {
  constructor(
    readonly details: FieldError[],
    message = `Invalid input: ${details.map((d) => d.field).join(', ')}`,
  ) {
    super(message);
  }
}

export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, reasons: Object.values(error.constraints) }] : [];
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => new InvalidInputException(flattenValidationErrors(errors)),
  });
}
