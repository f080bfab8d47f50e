import { repliesOf, Store, StoreTransaction } from '../redis/store';
import type { RedisKeys } from '../redis/redis-keys';

/** Tagged sessions checked for expiry per round, and rounds per listing at most. */
const SWEEP_BATCH = 50;
const SWEEP_ROUNDS = 4;

export interface TagCount {
  tag: string;
  count: number;
}

/**
 * The identity's tag names with how many of its sessions carry each (archived ones included).
 * Each tag's count is the size of its filter set (sessionTag, kept by every write that changes a
 * session's tags, by delete and by list repairs), so it never drifts from what `?tag=` lists; the
 * names are a ZSET beside them, and a listing costs a ZCARD per name.
 *
 * Expired sessions leave their ids in the tag sets (nothing runs when a TTL fires). Tagged sessions
 * are kept in a ZSET by when they were last known to exist; a listing first checks those not seen
 * for longer than the TTL (a bounded batch) and removes the gone ones from every tag set.
 */
export class SessionTags {
  constructor(
    private readonly redis: Store,
    private readonly keys: RedisKeys,
    private readonly ttlMs: number,
  ) {}

  /** Queues a session's tags becoming `tags` (from `before`): its filter sets, the names, the tagged set. */
  retag(tx: StoreTransaction, userId: string, id: string, before: readonly string[], tags: readonly string[], now = Date.now()): void {
    for (const tag of before) if (!tags.includes(tag)) tx.zrem(this.keys.sessionTag(userId, tag), id);
    const added = tags.filter((tag) => !before.includes(tag));
    for (const tag of added) tx.zadd(this.keys.sessionTag(userId, tag), 0, id);
    if (added.length > 0) tx.zadd(this.keys.tagNames(userId), ...added.flatMap((tag) => [0, tag]));
    if (tags.length > 0 && before.length === 0) tx.zadd(this.keys.taggedSessions(userId), now, id);
    else if (tags.length === 0 && before.length > 0) tx.zrem(this.keys.taggedSessions(userId), id);
  }

  /** Queues forgetting a removed session that carried `tags` (its tag sets are emptied by the caller). */
  forget(tx: StoreTransaction, userId: string, id: string): void {
    tx.zrem(this.keys.taggedSessions(userId), id);
  }

  /** Every tag of the identity's sessions with its count, most used first, then by name. */
  async counts(userId: string, now = Date.now()): Promise<TagCount[]> {
    const names = await this.redis.zrange(this.keys.tagNames(userId), 0, -1);
    if (names.length === 0) return [];
    await this.sweepExpired(userId, names, now);
    const pipe = this.redis.pipeline();
    for (const tag of names) pipe.zcard(this.keys.sessionTag(userId, tag));
    const sizes = repliesOf(await pipe.exec()) as number[];
    const unused = names.filter((_tag, i) => sizes[i] === 0);
    if (unused.length > 0) await this.dropNames(userId, unused);
    return names
      .map((tag, i) => ({ tag, count: sizes[i] }))
      .filter((t) => t.count > 0)
      .sort((a, b) => b.count - a.count || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  }

  /** After a session carrying `tags` was removed: drops the names of those no session carries any more. */
  async dropIfUnused(userId: string, tags: readonly string[]): Promise<void> {
    if (tags.length === 0) return;
    const pipe = this.redis.pipeline();
    for (const tag of tags) pipe.zcard(this.keys.sessionTag(userId, tag));
    const sizes = repliesOf(await pipe.exec()) as number[];
    const unused = tags.filter((_tag, i) => sizes[i] === 0);
    if (unused.length > 0) await this.dropNames(userId, unused);
  }

  /**
   * Drops names no session carries. The size is read again in the same MULTI as the ZREM: a tag
   * given meanwhile (its set and its name are written in one MULTI) gets its name back.
   */
  private async dropNames(userId: string, unused: string[]): Promise<void> {
    const tx = this.redis.multi();
    for (const tag of unused) tx.zrem(this.keys.tagNames(userId), tag).zcard(this.keys.sessionTag(userId, tag));
    const replies = repliesOf(await tx.exec());
    const back = unused.filter((_tag, i) => (replies[i * 2 + 1] as number) > 0);
    if (back.length > 0) await this.redis.zadd(this.keys.tagNames(userId), ...back.flatMap((tag) => [0, tag]));
  }

  /** Removes tagged sessions that expired from every tag set (a bounded number per call). */
  private async sweepExpired(userId: string, names: string[], now: number): Promise<void> {
    if (this.ttlMs <= 0) return;
    const tagged = this.keys.taggedSessions(userId);
    for (let round = 0; round < SWEEP_ROUNDS; round++) {
      const flat = await this.redis.zrevrangebyscore(tagged, now - this.ttlMs, '-inf', 'WITHSCORES', 'LIMIT', 0, SWEEP_BATCH);
      const ids = flat.filter((_v, i) => i % 2 === 0);
      if (ids.length === 0) return;
      const check = this.redis.pipeline();
      for (const id of ids) check.exists(this.keys.session(userId, id));
      const exists = repliesOf(await check.exec()) as number[];
      const tx = this.redis.multi();
      ids.forEach((id, i) => {
        if (exists[i] === 1) {
          tx.zadd(tagged, 'XX', now, id);
          return;
        }
        for (const tag of names) tx.zrem(this.keys.sessionTag(userId, tag), id);
        tx.zrem(tagged, id);
      });
      repliesOf(await tx.exec());
      if (ids.length < SWEEP_BATCH) return;
    }
  }
}
