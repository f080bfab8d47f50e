import { LRUCache } from 'lru-cache';

/** How long a token read from the store may be trusted here without asking again. */
export const TOKEN_CACHE_MS = 1000;

/**
 * Recently seen bearer tokens (by hash) → what they stand for, in process memory, so that a burst
 * of requests costs one store read. Logout on another instance deletes the token from the store
 * only, so an entry here may keep a revoked token working: never for more than TOKEN_CACHE_MS,
 * counted from *before* the store was read. Only hits are cached, so unknown tokens cannot fill it;
 * it is bounded, least recently used entries go first.
 */
export class TokenCache<V extends object> {
  private readonly entries: LRUCache<string, V>;

  constructor(maxEntries = 10_000) {
    // Date.now as the clock, like the read times handed to set(); expiry is checked on every get.
    this.entries = new LRUCache<string, V>({ max: maxEntries, ttl: TOKEN_CACHE_MS, ttlResolution: 0, perf: { now: () => Date.now() } });
  }

  get(tokenHash: string): V | undefined {
    return this.entries.get(tokenHash);
  }

  /** `readStartedAt`: Date.now() taken just before the store read that produced `value`. */
  set(tokenHash: string, value: V, readStartedAt: number, now = Date.now()): void {
    const ttl = TOKEN_CACHE_MS - (now - readStartedAt);
    if (ttl > 0) this.entries.set(tokenHash, value, { ttl });
  }

  delete(tokenHash: string): void {
    this.entries.delete(tokenHash);
  }
}
