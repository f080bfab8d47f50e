import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  registerDecorator,
  ValidateIf,
  ValidationArguments,
} from 'class-validator';

export const DISPLAY_NAME_MAX = 200;
export const METADATA_MAX_BYTES = 4096;

/** C0/C1 control characters (newlines and tabs included) and the Unicode line/paragraph separators. */
const CONTROL_CHARACTERS = /^[^\p{Cc}\u2028\u2029]*$/u;

/**
 * Optional, but not nullable: an absent field keeps the current value, while `null` is an error
 * (class-validator's IsOptional would let null through and it would be stored).
 */
export const IsOptionalField = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined);

const trim = Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));

/** A session's display name: a string, trimmed, at most 200 characters, no control characters. */
export function IsDisplayName(property = 'display_name'): PropertyDecorator {
  return applyDecorators(
    trim,
    IsString({ message: `${property} must be a string` }),
    MaxLength(DISPLAY_NAME_MAX, { message: `${property} must be at most ${DISPLAY_NAME_MAX} characters` }),
    Matches(CONTROL_CHARACTERS, { message: `${property} must not contain control characters (such as newlines or tabs)` }),
  );
}

/** Free-form session metadata: a JSON object whose serialized form is at most 4 KB. */
export function IsSessionMetadata(): PropertyDecorator {
  return applyDecorators(
    IsObject({ message: 'metadata must be a JSON object, e.g. {"topic": "wellness"}' }),
    (target: object, propertyName: string | symbol) =>
      registerDecorator({
        name: 'maxJsonBytes',
        target: target.constructor,
        propertyName: String(propertyName),
        validator: {
          validate: (value: unknown) => {
            try {
              return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8') <= METADATA_MAX_BYTES;
            } catch {
              return false;
            }
          },
          defaultMessage: (args?: ValidationArguments) =>
            `${args?.property ?? 'metadata'} must be at most ${METADATA_MAX_BYTES} bytes as JSON`,
        },
      }),
  );
}

/** Persona key; whether it exists is checked against the live catalogue by the service. */
export function IsPersonaKey(): PropertyDecorator {
  return applyDecorators(
    IsString({ message: 'persona must be a string (a key from GET /api/personas)' }),
    MaxLength(100, { message: 'persona must be at most 100 characters (a key from GET /api/personas)' }),
  );
}

export const PAGE_LIMIT_MAX = 200;

/** A page size in a query string: a whole number 1-200; absent means 50. */
export function IsPageLimit(): PropertyDecorator {
  const message = `limit must be a whole number between 1 and ${PAGE_LIMIT_MAX}`;
  return applyDecorators(
    IsOptional(),
    Type(() => Number),
    IsInt({ message }),
    Min(1, { message }),
    Max(PAGE_LIMIT_MAX, { message }),
    ApiProperty({ type: 'integer', required: false, minimum: 1, maximum: PAGE_LIMIT_MAX, default: 50 }),
  );
}

/** A page cursor in a query string: passed back exactly as a previous page returned it. */
export const IsPageCursor = (): PropertyDecorator =>
  IsString({ message: 'Invalid cursor: pass back next_cursor exactly as a previous page returned it' });

export const MAX_TAGS = 10;
export const TAG_MAX_LENGTH = 32;

/** How a tag is compared and stored: trimmed, lower case (so "Work" and "work " are one tag). */
export function normalizeTag(value: unknown): unknown {
  return typeof value === 'string' ? value.trim().toLowerCase() : value;
}

const TAG_RULE = `1-${TAG_MAX_LENGTH} characters without control characters (stored trimmed, in lower case)`;

/** One tag (query filter, bulk tag/untag): see normalizeTag. */
export function IsSessionTag(property = 'tag'): PropertyDecorator {
  const message = `${property} must be ${TAG_RULE}`;
  return applyDecorators(
    Transform(({ value }) => normalizeTag(value)),
    IsString({ message }),
    MinLength(1, { message }),
    MaxLength(TAG_MAX_LENGTH, { message }),
    Matches(CONTROL_CHARACTERS, { message }),
  );
}

/** A session's tags: at most MAX_TAGS, each a tag as IsSessionTag; duplicates after normalizing count once. */
export function IsSessionTags(): PropertyDecorator {
  const each = `each of tags must be ${TAG_RULE}`;
  return applyDecorators(
    Transform(({ value }) => (Array.isArray(value) ? [...new Set(value.map(normalizeTag))] : value)),
    IsArray({ message: `tags must be an array of at most ${MAX_TAGS} labels, e.g. ["work", "travel"]` }),
    ArrayMaxSize(MAX_TAGS, { message: `tags must hold at most ${MAX_TAGS} labels` }),
    IsString({ each: true, message: each }),
    MinLength(1, { each: true, message: each }),
    MaxLength(TAG_MAX_LENGTH, { each: true, message: each }),
    Matches(CONTROL_CHARACTERS, { each: true, message: each }),
    ApiProperty({ type: [String], required: false, maxItems: MAX_TAGS, example: ['work', 'travel'] }),
  );
}

/** A true/false query parameter: exactly "true" or "false" in the URL, a boolean in the DTO. */
export function IsBooleanQuery(property: string): PropertyDecorator {
  return applyDecorators(
    IsOptional(),
    Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value)),
    IsBoolean({ message: `${property} must be true or false` }),
    ApiProperty({ type: Boolean, required: false }),
  );
}
