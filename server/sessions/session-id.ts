import { Injectable, NotFoundException, Param, PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
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

/**
 * `@SessionIdParam() id: string` — the route's `:id`, validated as a session id, and documented
 * as one in the OpenAPI spec.
 */
export function SessionIdParam(name = 'id'): ParameterDecorator {
  return (target, method, index) => {
    Param(name, SessionIdPipe)(target, method, index);
    const descriptor = method === undefined ? undefined : Object.getOwnPropertyDescriptor(target, method);
    if (descriptor) {
      ApiParam({
        name,
        description: 'Session id, as returned when the session was created',
        schema: { type: 'string', pattern: SESSION_ID_PATTERN.source, example: 's_3q2bH1kVvS0mJ8e5c9dWfA' },
      })(target, method!, descriptor);
    }
  };
}
