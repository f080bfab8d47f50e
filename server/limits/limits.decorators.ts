import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { ApiForbiddenResponse, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { ErrorBody } from '../common/error-body';
import { QUOTAS_KEY, RATE_LIMIT_KEY } from './limits.metadata';
import type { QuotaName } from './quota.service';
import { QuotaGuard } from './quota.guard';
import { RateLimitGuard } from './rate-limit.guard';
import { RATE_LIMITS, RateLimitName } from './rate-limits';

const QUOTA_DOCS: Record<QuotaName, string> = {
  sessions_per_identity: 'the identity holds MAX_SESSIONS_PER_IDENTITY sessions',
  messages_per_session: 'the session cannot take a message and its answer within MAX_MESSAGES_PER_SESSION',
  daily_tokens: 'the identity used its DAILY_TOKEN_QUOTA of model tokens today (until 00:00 UTC; `Retry-After` says when)',
};

const HEADER = (description: string) => ({ description, schema: { type: 'integer' as const } });

/**
 * Puts the named rate limit (rate-limits.ts) on a route, and optionally quotas checked before the
 * handler runs: `@RateLimit('login')` on sign-in routes, `@RateLimit('messages', 'daily_tokens')`.
 * Route guards run after the global bearer guard, so identity limits know the caller.
 */
export function RateLimit(name: RateLimitName, ...quotas: QuotaName[]): MethodDecorator {
  const limit = RATE_LIMITS[name];
  const tooMany = [
    `Rate limited: more than ${limit.setting} requests per RATE_LIMIT_WINDOW_SECONDS from this ${limit.per}. ` +
      'The message says when to try again; so does `Retry-After` (seconds).',
    ...(quotas.includes('daily_tokens') ? [`Or ${QUOTA_DOCS.daily_tokens}.`] : []),
  ].join(' ');
  const counted = quotas.filter((q) => q !== 'daily_tokens');
  return applyDecorators(
    SetMetadata(RATE_LIMIT_KEY, name),
    SetMetadata(QUOTAS_KEY, quotas),
    UseGuards(...(quotas.length > 0 ? [RateLimitGuard, QuotaGuard] : [RateLimitGuard])),
    ApiTooManyRequestsResponse({
      type: ErrorBody,
      description: tooMany,
      headers: {
        'Retry-After': HEADER('Seconds until a request can succeed again.'),
        'RateLimit-Limit': HEADER('Requests allowed per window.'),
        'RateLimit-Remaining': HEADER('Requests left in the current window.'),
        'RateLimit-Reset': HEADER('Seconds until the current window ends.'),
      },
    }),
    ...(counted.length > 0
      ? [ApiForbiddenResponse({ type: ErrorBody, description: `Quota reached: ${counted.map((q) => QUOTA_DOCS[q]).join('; or ')}.` })]
      : []),
  );
}
