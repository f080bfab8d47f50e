import { Inject, Injectable } from '@nestjs/common';
import { REDIS_CLIENT } from '../redis/redis.constants';
import type { Store } from '../redis/store';
import { RedisKeys } from '../redis/redis-keys';

/** Index entries checked for expired sessions per over-quota request (bounded work). */
const STALE_CHECK_BATCH = 500;
const DAY_MS = 86_400_000;

/** A fixed-window counter after one hit. */
export interface WindowHit {
  hits: number;
  /** Milliseconds until the window (and its count) ends. */
  msLeft: number;
}

/**
 * The counters behind rate limits and quotas, in the shared store so every instance sees the same
 * counts. Rate and token counters are this module's keys; session and message counts are read from
 * the sessions module's keys (through RedisKeys), never written except to drop expired index entries.
 */
@Injectable()
export class LimitsRepository {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Store,
    private readonly keys: RedisKeys,
  ) {}

  /**
   * Counts a hit in the caller's fixed window, which its first hit starts. INCR and PTTL are plain
   * commands sent in one write (auto-pipelining; a MULTI costs this hot path about four times the
   * CPU). A counter without an expiry, i.e. at the window's first hit or after a process died right
   * after it, gets one with NX, so the first instance to set it fixes the window for all.
   */
  async hit(counter: string, windowMs: number): Promise<WindowHit> {
    const key = `${this.keys.prefix}:rate:${counter}`;
    const [hits, pttl] = await Promise.all([this.redis.incr(key), this.redis.pttl(key)]);
    if (pttl >= 0) return { hits, msLeft: pttl };
    await this.redis.pexpire(key, windowMs, 'NX');
    return { hits, msLeft: windowMs };
  }

  /** Sessions the identity holds; expired ones still in the index are dropped when the count is at `max`. */
  async sessionCount(userId: string, max: number): Promise<number> {
    const index = this.keys.sessionIndex(userId);
    // Pinned and archived sessions count too; expired ones are looked for in the main index only.
    const [main, pinned, archived] = await Promise.all(
      [index, this.keys.pinnedSessionIndex(userId), this.keys.archivedSessionIndex(userId)].map((key) => this.redis.zcard(key)),
    );
    const count = main + pinned + archived;
    if (count < max) return count;
    // The index forgets expired sessions lazily; check the oldest ones before refusing.
    const oldest = await this.redis.zrange(index, 0, STALE_CHECK_BATCH - 1);
    const pipe = this.redis.pipeline();
    for (const id of oldest) pipe.exists(this.keys.session(userId, id));
    const results = (await pipe.exec()) ?? [];
    const expired = oldest.filter((_, i) => results[i]?.[0] === null && Number(results[i]?.[1]) === 0);
    if (expired.length === 0) return count;
    await this.redis.zrem(index, ...expired);
    return count - expired.length;
  }

  /** Messages in the session, or null when it does not exist (the route then answers 404 itself). */
  async messageCount(userId: string, sessionId: string): Promise<number | null> {
    const value = await this.redis.hget(this.keys.session(userId, sessionId), 'message_count');
    return value === null ? null : Number(value);
  }

  async tokensUsed(userId: string, day: string): Promise<number> {
    return Number((await this.redis.get(this.tokenKey(userId, day))) ?? 0);
  }

  async addTokens(userId: string, day: string, tokens: number): Promise<void> {
    const key = this.tokenKey(userId, day);
    // Kept a day past its own so a late answer near midnight still finds it.
    await this.redis.multi().incrby(key, tokens).pexpire(key, 2 * DAY_MS).exec();
  }

  private tokenKey(userId: string, day: string): string {
    return `${this.keys.prefix}:{u:${userId}}:tokens:${day}`;
  }
}
