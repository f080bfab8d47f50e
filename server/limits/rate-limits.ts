import type { LimitsConfig } from '../config/config';

/**
 * The named rate limits. Put one on a route with `@RateLimit('<name>')` (rate-limit.decorator.ts).
 * `address` limits count per client address (sign-up, sign-in: before there is an identity);
 * `identity` limits count per caller, across all of that caller's tokens and routes with the name.
 */
export const RATE_LIMITS = {
  guest: { per: 'address', what: 'Too many guest identities from this address', setting: 'RATE_LIMIT_GUEST_PER_MINUTE' },
  login: { per: 'address', what: 'Too many sign-in attempts from this address', setting: 'RATE_LIMIT_LOGIN_PER_MINUTE' },
  messages: { per: 'identity', what: 'Too many messages', setting: 'RATE_LIMIT_MESSAGES_PER_MINUTE' },
  sessions: { per: 'identity', what: 'Too many new sessions', setting: 'RATE_LIMIT_SESSIONS_PER_MINUTE' },
  search: { per: 'identity', what: 'Too many searches', setting: 'RATE_LIMIT_SEARCH_PER_MINUTE' },
} as const;

export type RateLimitName = keyof typeof RATE_LIMITS;

export const RATE_LIMIT_NAMES = Object.keys(RATE_LIMITS) as RateLimitName[];

/** Requests allowed per window for each limit; 0 = off. */
export function rateLimitOf(config: LimitsConfig, name: RateLimitName): number {
  const limits: Record<RateLimitName, number> = {
    guest: config.guestPerWindow,
    login: config.loginPerWindow,
    messages: config.messagesPerWindow,
    sessions: config.sessionsPerWindow,
    search: config.searchPerWindow,
  };
  return limits[name];
}

/** "minute" for 60 s, "hour" for 3600 s, else "10 seconds". */
export function windowText(seconds: number): string {
  if (seconds === 60) return 'minute';
  if (seconds === 3600) return 'hour';
  if (seconds === 86_400) return 'day';
  return seconds === 1 ? 'second' : `${seconds} seconds`;
}

/** "Too many messages: 20 per minute. Try again in 12 s." */
export function rateLimitMessage(name: RateLimitName, limit: number, windowSeconds: number, retryAfterSeconds: number): string {
  return `${RATE_LIMITS[name].what}: ${limit} per ${windowText(windowSeconds)}. Try again in ${retryAfterSeconds} s.`;
}
