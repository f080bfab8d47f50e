/**
 * Recently seen bearer tokens (by hash) → user id, in process memory, so that most requests skip
 * the store read. Safe because a token's user never changes and tokens are never revoked: the only
 * staleness possible is a token removed from the store by hand working here for up to `ttlMs` more.
 * (If revocation is ever added, it must clear this cache on every instance, e.g. over pub/sub.)
 * Only hits are cached, so unknown tokens cannot fill it; it is bounded, oldest entries go first.
 */
export class TokenCache {
  private readonly entries = new Map<string, { userId: string; until: number }>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly ttlMs = 60_000,
  ) {}

  get(tokenHash: string, now = Date.now()): string | undefined {
    const entry = this.entries.get(tokenHash);
    if (!entry) return undefined;
    if (entry.until <= now) {
      this.entries.delete(tokenHash);
      return undefined;
    }
    return entry.userId;
  }

  set(tokenHash: string, userId: string, now = Date.now()): void {
    this.entries.delete(tokenHash);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(tokenHash, { userId, until: now + this.ttlMs });
  }
}
