import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes (256 bits) from the CSPRNG, base64url: 43 characters. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Tokens are only ever stored as this hash, so a copy of the store hands out no working token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Random, unguessable user ids: `u_` + 16 random bytes base64url. */
export function newUserId(): string {
  return `u_${randomBytes(16).toString('base64url')}`;
}

export const USER_ID_PATTERN = /^u_[A-Za-z0-9_-]{22}$/;

/** Token ids name a token in listings and DELETE /api/tokens/{id}; they grant nothing. */
export function newTokenId(): string {
  return `t_${randomBytes(12).toString('base64url')}`;
}

export const TOKEN_ID_PATTERN = /^t_[A-Za-z0-9_-]{16}$/;
