import { HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerRequest } from '@nestjs/throttler';
import type { Response } from 'express';
import type { RateLimitName } from './rate-limits';
import { rateLimitMessage } from './rate-limits';

/**
 * The throttler guard, applied per route by @RateLimit (after the global bearer guard, so the caller
 * is known). Each throttler only counts on the routes that name it (see limits.module.ts skipIf).
 * Headers follow the IETF RateLimit fields draft (`RateLimit-Limit`, `-Remaining`, `-Reset` in
 * seconds), plus `Retry-After` on a 429; the 429 says which limit and when to try again.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async handleRequest({ context, limit, ttl, throttler, getTracker, generateKey }: ThrottlerRequest): Promise<boolean> {
    const { req, res } = this.getRequestResponse(context);
    const name = throttler.name as RateLimitName;
    const key = generateKey(context, await getTracker(req, context), name);
    const record = await this.storageService.increment(key, ttl, limit, ttl, name);
    const response = res as Response;
    response.setHeader('RateLimit-Limit', limit);
    response.setHeader('RateLimit-Remaining', Math.max(0, limit - record.totalHits));
    response.setHeader('RateLimit-Reset', record.timeToExpire);
    if (record.isBlocked) {
      response.setHeader('Retry-After', record.timeToBlockExpire);
      const message = rateLimitMessage(name, limit, Math.round(ttl / 1000), record.timeToBlockExpire);
      throw new HttpException(message, HttpStatus.TOO_MANY_REQUESTS);
    }
    return true;
  }
}
