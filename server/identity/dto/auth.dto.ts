import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Length, Matches, MaxLength, MinLength } from 'class-validator';
import { AUTH_MODES, AuthMode, Registration, REGISTRATIONS } from '../../config/env';
import type { SignedIn } from '../account.service';
import { PASSWORD_MAX, PASSWORD_MIN, USERNAME_PATTERN } from '../passwords';

const USERNAME_RULE = '3-32 characters: lowercase letters, digits, ".", "_" or "-"';

/** Body of `POST /api/auth/register`. */
export class RegisterDto {
  /** 3-32 characters: lowercase letters, digits, ".", "_" or "-". */
  @IsString({ message: `username must be a string (${USERNAME_RULE})` })
  @Length(3, 32, { message: `username must be 3-32 characters long (${USERNAME_RULE})` })
  @Matches(USERNAME_PATTERN, { message: `username may only hold lowercase letters, digits, ".", "_" and "-" (${USERNAME_RULE})` })
  @ApiProperty({ minLength: 3, maxLength: 32, pattern: USERNAME_PATTERN.source, example: 'alice' })
  username: string;

  /** 8-256 characters. */
  @IsString({ message: `password must be a string of ${PASSWORD_MIN}-${PASSWORD_MAX} characters` })
  @MinLength(PASSWORD_MIN, { message: `password must be at least ${PASSWORD_MIN} characters long` })
  @MaxLength(PASSWORD_MAX, { message: `password must be at most ${PASSWORD_MAX} characters long` })
  @ApiProperty({ minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX, format: 'password' })
  password: string;
}

/** Body of `POST /api/auth/login`. The user name is matched in lowercase. */
export class LoginDto {
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsString({ message: 'username must be a string' })
  @Length(1, 256, { message: 'username must be 1-256 characters long' })
  @ApiProperty({ example: 'alice' })
  username: string;

  @IsString({ message: 'password must be a string' })
  @Length(1, 1024, { message: 'password must be 1-1024 characters long' })
  @ApiProperty({ format: 'password' })
  password: string;
}

export class SignedInDto {
  /** Bearer token: send it as `Authorization: Bearer <token>`. Shown only once; keep it. */
  token: string;
  /** The account's identity id (a guest who registered keeps theirs). */
  user_id: string;
  username: string;
  /** When the token lapses unless used: every use moves this on (TOKEN_TTL_SECONDS). Null: never. */
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expires_at: string | null;
}

export class AuthSettingsDto {
  /** How people sign in on this server. */
  @ApiProperty({ enum: AUTH_MODES, enumName: 'AuthMode' })
  mode: AuthMode;
  /** Whether POST /api/auth/register accepts new accounts (accounts mode). */
  @ApiProperty({ enum: REGISTRATIONS, enumName: 'Registration' })
  registration: Registration;
  /** Whether POST /api/auth/guest gives out anonymous identities. */
  guests_allowed: boolean;
  /** Whether GET /api/auth/oidc/login signs people in with an OpenID Connect provider. */
  oidc: boolean;
}

export function mapSignedIn(signedIn: SignedIn): SignedInDto {
  const expires = signedIn.expires_at === null ? null : new Date(signedIn.expires_at).toISOString();
  return { token: signedIn.token, user_id: signedIn.user_id, username: signedIn.username, expires_at: expires };
}
