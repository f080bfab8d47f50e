/** Route metadata set by @RateLimit: the rate limit's name, and the quotas to check. */
export const RATE_LIMIT_KEY = 'nono:rateLimit';
export const QUOTAS_KEY = 'nono:quotas';
