import { Injectable, NotFoundException, Param, PipeTransform } from '@nestjs/common';
import { randomBytes } from 'node:crypto';

/** `s_` + 16 random bytes (128 bits) from the CSPRNG, base64url: unguessable, URL- and key-safe. */
export function newSessionId(): string {
  return `s_${randomBytes(16).toString('base64url')}`;
}

export const SESSION_ID_PATTERN = /^s_[A-Za-z0-9_-]{22}$/;

export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && SESSION_ID_PATTERN.test(value);
}

export const SESSION_NOT_FOUND = 'Session not found';

/**
 * Accepts only well-formed session ids. Anything else answers 404 exactly like a session that does
 * not exist, so a hostile id (`*`, `..`, `__proto__`, 10 KB strings) learns nothing and never
 * reaches a Redis key.
 */
@Injectable()
export class SessionIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (!isSessionId(value)) throw new NotFoundException(SESSION_NOT_FOUND);
    return value;
  }
}

/** `@SessionIdParam() id: string` — the route's `:id`, validated as a session id. */
export const SessionIdParam = (name = 'id'): ParameterDecorator => Param(name, SessionIdPipe);
