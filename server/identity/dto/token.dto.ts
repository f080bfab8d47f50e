import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import type { TokenRecord } from '../token.repository';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Body of `POST /api/tokens`. */
export class ApiTokenCreateDto {
  /** What the token is for, e.g. "laptop script" (1-100 characters). */
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString({ message: 'name must be a string, e.g. "laptop script"' })
  @Length(1, 100, { message: 'name must be 1-100 characters long' })
  @Matches(/^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$/, { message: 'name must not contain control characters (such as newlines or tabs)' })
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'laptop script' })
  name: string;

  /** Lifetime in days (1-3650); without it the token works until revoked. */
  @IsOptional()
  @IsInt({ message: 'expires_in_days must be a whole number of days between 1 and 3650' })
  @Min(1, { message: 'expires_in_days must be a whole number of days between 1 and 3650' })
  @Max(3650, { message: 'expires_in_days must be a whole number of days between 1 and 3650' })
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 3650, required: false })
  expires_in_days?: number;
}

export class ApiTokenDto {
  /** Token id, for DELETE /api/tokens/{id}. Not a secret. */
  id: string;
  name: string;
  @ApiProperty({ format: 'date-time' })
  created_at: string;
  /** When it was last used (updated at most about once a minute); null if never. */
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  last_used_at: string | null;
  /** When it stops working; null: not until revoked. */
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expires_at: string | null;
}

export class ApiTokenCreatedDto {
  id: string;
  name: string;
  /** The token itself: send it as `Authorization: Bearer <token>`. Shown only this once. */
  token: string;
  @ApiProperty({ format: 'date-time' })
  created_at: string;
  /** When it stops working; null: not until revoked. */
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expires_at: string | null;
}

export class ApiTokenListDto {
  /** Newest first; secrets are never shown again. */
  tokens: ApiTokenDto[];
}

export function mapApiToken(record: TokenRecord & { last_used_at: number | null }): ApiTokenDto {
  return {
    id: record.id,
    name: record.name ?? '',
    created_at: new Date(record.created_at).toISOString(),
    last_used_at: iso(record.last_used_at),
    expires_at: iso(record.expires_at),
  };
}

export function mapApiTokenCreated(record: TokenRecord, token: string): ApiTokenCreatedDto {
  return { id: record.id, name: record.name ?? '', token, created_at: new Date(record.created_at).toISOString(), expires_at: iso(record.expires_at) };
}
