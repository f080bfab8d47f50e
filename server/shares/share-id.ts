import { Injectable, NotFoundException, Param, PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { randomBytes } from 'node:crypto';

/** `sh_` + 24 random bytes (192 bits) from the CSPRNG, base64url: unguessable, URL- and key-safe. */
export function newShareId(): string {
  return `sh_${randomBytes(24).toString('base64url')}`;
}

export const SHARE_ID_PATTERN = /^sh_[A-Za-z0-9_-]{32}$/;

export const SHARE_NOT_FOUND = 'Share link not found (it may have been revoked or have expired)';

/** Only well-formed share ids; anything else answers 404 like a link that does not exist. */
@Injectable()
export class ShareIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !SHARE_ID_PATTERN.test(value)) throw new NotFoundException(SHARE_NOT_FOUND);
    return value;
  }
}

/** `@ShareIdParam() shareId: string` — the route's `:share_id`, validated and documented. */
export function ShareIdParam(name = 'share_id'): ParameterDecorator {
  return (target, method, index) => {
    Param(name, ShareIdPipe)(target, method, index);
    const descriptor = method === undefined ? undefined : Object.getOwnPropertyDescriptor(target, method);
    if (descriptor) {
      ApiParam({
        name,
        description: 'Share link id, as returned when the link was created',
        schema: { type: 'string', pattern: SHARE_ID_PATTERN.source, example: 'sh_q2bH1kVvS0mJ8e5c9dWfA3q2bH1kVvS0' },
      })(target, method!, descriptor);
    }
  };
}
