import { ArgumentMetadata, BadRequestException, ValidationPipe } from '@nestjs/common';
import { validateSync, ValidationError, ValidatorOptions } from 'class-validator';

/**
 * Nest's ValidationPipe, validating synchronously: the API's DTOs have no async constraints, and
 * the async form costs every request several promise turns for nothing.
 */
export class SyncValidationPipe extends ValidationPipe {
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
    if (metadata.type === 'body' && metadata.metatype && this.toValidate(metadata) && value != null && (typeof value !== 'object' || Array.isArray(value))) {
      throw new BadRequestException(`Request body must be a JSON object, not ${Array.isArray(value) ? 'an array' : typeof value}`);
    }
    return super.transform(value, metadata);
  }
}

/** Constraints that say a value is missing or of the wrong type, most basic first. */
const TYPE_CONSTRAINTS = ['isDefined', 'isString', 'isInt', 'isNumber', 'isBoolean', 'isObject', 'isArray'];

function fieldMessages(constraints: Record<string, string>): string[] {
  const type = TYPE_CONSTRAINTS.find((name) => name in constraints);
  return type ? [constraints[type]] : Object.values(constraints);
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
