import { ValidationPipe } from '@nestjs/common';
import { validateSync, ValidationError, ValidatorOptions } from 'class-validator';

/**
 * Nest's ValidationPipe, validating synchronously: the API's DTOs have no async constraints, and
 * the async form costs every request several promise turns for nothing.
 */
export class SyncValidationPipe extends ValidationPipe {
  protected override validate(object: object, validatorOptions?: ValidatorOptions): ValidationError[] {
    return validateSync(object, validatorOptions);
  }
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
