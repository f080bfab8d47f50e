import { ArgumentMetadata, BadRequestException, ValidationPipe } from '@nestjs/common';
import { validateSync, ValidationError, ValidatorOptions } from 'class-validator';

/** Query strings remembered per DTO class; past this the memory starts over. */
const MAX_QUERIES_REMEMBERED = 256;

type Primitive = string | number | boolean | null | undefined;

/**
 * Nest's ValidationPipe, validating synchronously: the API's DTOs have no async constraints, and
 * the async form costs every request several promise turns for nothing.
 *
 * Query DTOs are a pure function of the query string, and the same few strings come back on every
 * request (a client paging history sends `?limit=50` thousands of times), so a valid query's result
 * is remembered per DTO class and handed out as a fresh copy. Only results made of primitive values
 * are remembered (a copy then shares nothing a handler could change); invalid queries always go
 * through validation again, so their 400 is built as usual.
 */
export class SyncValidationPipe extends ValidationPipe {
  private readonly validQueries = new WeakMap<object, Map<string, Record<string, Primitive>>>();

  protected override validate(object: object, validatorOptions?: ValidatorOptions): ValidationError[] {
    return validateSync(object, validatorOptions);
  }

  /**
   * One message per problem: a field that is missing or of the wrong type gets only that message
   * (its length or range rules say nothing yet), and messages shared by several constraints of a
   * field appear once.
   */
  protected override flattenValidationErrors(errors: ValidationError[]): string[] {
    const messages = errors
      .flatMap((error) => this.mapChildrenToValidationErrors(error))
      .flatMap((error) => (error.constraints ? fieldMessages(error.constraints) : []));
    return [...new Set(messages)];
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const metatype = metadata.metatype;
    if (metadata.type === 'body' && metatype && this.toValidate(metadata) && value != null && (typeof value !== 'object' || Array.isArray(value))) {
      throw new BadRequestException(`Request body must be a JSON object, not ${Array.isArray(value) ? 'an array' : typeof value}`);
    }
    if (metadata.type !== 'query' || !metatype || !isPlainRecord(value) || !this.toValidate(metadata)) {
      return super.transform(value, metadata);
    }
    let remembered = this.validQueries.get(metatype);
    const key = JSON.stringify(value);
    const known = remembered?.get(key);
    if (known) return Object.assign(Object.create(Object.getPrototypeOf(known) as object) as object, known);
    const result = (await super.transform(value, metadata)) as unknown;
    if (isPlainRecord(result, true)) {
      if (!remembered) this.validQueries.set(metatype, (remembered = new Map()));
      if (remembered.size >= MAX_QUERIES_REMEMBERED) remembered.clear();
      remembered.set(key, result as Record<string, Primitive>);
      return Object.assign(Object.create(Object.getPrototypeOf(result) as object) as object, result);
    }
    return result;
  }
}

/** Constraints that say a value is missing or of the wrong type, most basic first. */
const TYPE_CONSTRAINTS = ['isDefined', 'isString', 'isInt', 'isNumber', 'isBoolean', 'isObject', 'isArray'];

function fieldMessages(constraints: Record<string, string>): string[] {
  const type = TYPE_CONSTRAINTS.find((name) => name in constraints);
  return type ? [constraints[type]] : Object.values(constraints);
}

/** An object whose own values are all primitives (`instance`: of any class, else a plain object). */
function isPlainRecord(value: unknown, instance = false): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  if (!instance && Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return false;
  return Object.values(value).every((v) => v === null || typeof v !== 'object');
}

/** The one validation setup of the API (query, path and body DTOs). */
export function apiValidationPipe(): ValidationPipe {
  return new SyncValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
  });
}
