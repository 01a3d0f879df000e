import { ArgumentMetadata, BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage, ValidateIf, ValidationTypes } from 'class-validator';
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

/** A surrogate code unit standing alone: valid in a JS string, not in UTF-8. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Text we store must be Unicode PostgreSQL accepts. NUL it refuses; a lone surrogate makes
 * validator.js throw (URIError) before any check answers. Both were 500s before this check.
 */
function textProblems(value: unknown, field: string): FieldError[] {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return [{ field, reasons: [`${field} must not contain NUL characters`] }];
    return LONE_SURROGATE.test(value) ? [{ field, reasons: [`${field} must be well-formed Unicode (no lone surrogates)`] }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, i) => textProblems(item, `${field}[${i}]`));
  if (isPlainObject(value)) return Object.entries(value).flatMap(([key, item]) => textProblems(item, `${field}.${key}`));
  return [];
}

/** Constraints under which an object or array is a legitimate value for a property. */
const CONTAINER_CONSTRAINTS = new Set(['isArray', 'isObject', 'arrayMinSize', 'arrayMaxSize', 'arrayNotEmpty', 'isNotEmptyObject']);

/** Checks that look only at a container's kind and length, never at what it holds. */
const SHAPE_ONLY_CONSTRAINTS = new Set(['isArray', 'isObject', 'arrayMinSize', 'arrayMaxSize', 'arrayNotEmpty']);

interface DtoShape {
  known: Set<string>;
  containers: Set<string>;
  /** containers the DTO checks only by kind and size (e.g. bulk `songs`, job `parameters`) */
  opaque: Set<string>;
}
const shapes = new WeakMap<Function, DtoShape>();

function shapeOf(metatype: Function): DtoShape {
  let shape = shapes.get(metatype);
  if (!shape) {
    const metadatas = getMetadataStorage().getTargetValidationMetadatas(metatype, '', true, false);
    shape = { known: new Set(), containers: new Set(), opaque: new Set() };
    const deep = new Set<string>();
    for (const m of metadatas) {
      shape.known.add(m.propertyName);
      if (m.type === ValidationTypes.NESTED_VALIDATION || (m.name && CONTAINER_CONSTRAINTS.has(m.name))) shape.containers.add(m.propertyName);
      const shapeOnly =
        m.type === ValidationTypes.CONDITIONAL_VALIDATION || (!m.each && m.name !== undefined && SHAPE_ONLY_CONSTRAINTS.has(m.name));
      if (!shapeOnly) deep.add(m.propertyName);
    }
    for (const property of shape.containers) if (!deep.has(property)) shape.opaque.add(property);
    shapes.set(metatype, shape);
  }
  return shape;
}

/**
 * Splits a body into what its DTO can validate and what it refuses on sight: unknown keys, and
 * objects or arrays where the DTO expects a scalar. class-transformer copies every nested value
 * and forbidNonWhitelisted builds an error per unknown key, which on the largest body the
 * structural check allows (about 500 objects of 100 keys) holds the event loop for over 100 ms;
 * refusing those parts first leaves the pipe only the DTO's own, bounded, fields.
 */
export function presortBody(metatype: Function, value: Record<string, unknown>): { rest: Record<string, unknown>; problems: FieldError[] } {
  const { known, containers } = shapeOf(metatype);
  const rest: Record<string, unknown> = {};
  const problems: FieldError[] = [];
  for (const key of Object.keys(value)) {
    const item = value[key];
    if (!known.has(key)) {
      problems.push({ field: key, reasons: [`property ${key} should not exist`] });
    } else if (item !== null && typeof item === 'object' && !containers.has(key)) {
      problems.push({ field: key, reasons: [`${key} must not be an object or array`] });
    } else {
      rest[key] = item;
    }
  }
  return { rest, problems };
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The global pipe. Bodies have passed bodyShapeGuard already (bounded size, no NUL); path and
 * query values are checked for NUL here, where their names are known.
 */
class AppValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'param' || metadata.type === 'query') {
      const problems =
        metadata.data !== undefined
          ? textProblems(value, metadata.data)
          : value && typeof value === 'object'
            ? Object.entries(value as Record<string, unknown>).flatMap(([key, item]) => textProblems(item, key))
            : [];
      if (problems.length > 0) throw new InvalidInputException(problems);
    }
    if (metadata.type === 'body' && metadata.metatype && this.toValidate(metadata) && isPlainObject(value)) {
      const text = Object.entries(value).flatMap(([key, item]) => textProblems(item, key));
      if (text.length > 0) throw new InvalidInputException(text);
      const { rest, problems } = presortBody(metadata.metatype, value);
      // class-transformer would deep-copy an opaque container only for checks of its kind and
      // size: they get a stand-in of the same kind and length, and the original value after
      const { opaque } = shapeOf(metadata.metatype);
      const originals: [string, unknown][] = [];
      for (const key of opaque) {
        const item = rest[key];
        if (item === null || typeof item !== 'object') continue;
        originals.push([key, item]);
        rest[key] = Array.isArray(item) ? new Array(item.length).fill(null) : {};
      }
      let details: FieldError[] = [];
      let result: unknown;
      try {
        result = await super.transform(rest, metadata);
      } catch (error) {
        if (!(error instanceof InvalidInputException)) throw error;
        details = error.details;
      }
      if (details.length > 0 || problems.length > 0) throw new InvalidInputException([...details, ...problems]);
      for (const [key, item] of originals) (result as Record<string, unknown>)[key] = item;
      return result;
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
