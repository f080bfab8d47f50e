import { repliesOf, Store, StoreReplies, StoreTransaction } from '../redis/store';
import type { RedisKeys } from '../redis/redis-keys';
import type { SessionBucket, SessionListPosition } from './cursor';
import type { SessionPage } from './sessions.repository';
import { decodeSession, SESSION_FIELDS } from './session-record';
import type { StoredSession } from './session.model';

/** Rounds of "read a slice of the index, drop expired entries, top up" before a page is returned short. */
const MAX_ROUNDS = 4;
/** Extra index entries read after a cursor, to step over entries sharing the cursor's score. */
const TIE_SLACK = 16;
/** Upper bound on index entries read in one round. */
const MAX_SLICE = 1000;
/** Name lookups walk at most this many of the newest sessions when the name hash has no good answer. */
const NAME_WALK_PAGE = 100;
const NAME_WALK_LIMIT = 1000;

interface IndexEntry {
  id: string;
  score: number;
}

/** HMGET's values as the hash HGETALL would have given (absent fields left out). */
function sessionHash(values: Array<string | null>): Record<string, string> {
  const hash: Record<string, string> = {};
  SESSION_FIELDS.forEach((field, i) => {
    if (values[i] !== null && values[i] !== undefined) hash[field] = values[i] as string;
  });
  return hash;
}

function pairs(flat: string[]): IndexEntry[] {
  const out: IndexEntry[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push({ id: flat[i], score: Number(flat[i + 1]) });
  return out;
}

/** Which sessions a list shows; the hash of each session listed is checked against all of it. */
export interface SessionFilter {
  /** true: only archived sessions; false: only the others. */
  archived: boolean;
  pinned?: boolean;
  tag?: string;
  persona?: string;
}

export const MAIN_LIST: SessionFilter = { archived: false };

/** The index a session belongs in, by its hash: each session is in exactly one. */
export function bucketOf(session: Pick<StoredSession, 'archived' | 'pinned'>): SessionBucket {
  return session.archived ? 'archived' : session.pinned ? 'pinned' : 'main';
}

/** The indexes a list walks, in order: pinned sessions first. */
export function bucketsFor(filter: SessionFilter): SessionBucket[] {
  if (filter.archived) return ['archived'];
  if (filter.pinned === true) return ['pinned'];
  if (filter.pinned === false) return ['main'];
  return ['pinned', 'main'];
}

function matches(session: StoredSession, filter: SessionFilter): boolean {
  return (
    session.archived === filter.archived &&
    (filter.pinned === undefined || session.pinned === filter.pinned) &&
    (filter.tag === undefined || session.tags.includes(filter.tag)) &&
    (filter.persona === undefined || session.persona === filter.persona)
  );
}

const after = (e: IndexEntry, p: SessionListPosition) => e.score < p.score || (e.score === p.score && e.id < p.id);

/**
 * Index entries of one bucket in list order. Without a tag or persona it walks the bucket's ZSET
 * (ZREVRANGEBYSCORE, O(page)); with one it intersects the bucket with the filter sets once per
 * request (ZINTER, O(size of the smallest set)) and pages through the result in memory.
 */
interface EntrySource {
  after(position: SessionListPosition | undefined, count: number): Promise<{ entries: IndexEntry[]; exhausted: boolean }>;
}

/**
 * Reads and upkeep of the per-identity session indexes (part of the sessions repository; same keys).
 * A session is in one of three activity-ordered ZSETs (main, pinned, archived: bucketOf its hash);
 * tags and personas are plain membership ZSETs (scores 0) intersected with them on read. The session
 * hash is the truth: every listed entry is checked against it, and entries it contradicts (gone,
 * moved, retagged) are repaired or purged as the list meets them.
 */
export class SessionIndex {
  constructor(
    private readonly redis: Store,
    private readonly keys: RedisKeys,
    private readonly ttlMs: number,
  ) {}

  bucketKey(userId: string, bucket: SessionBucket): string {
    if (bucket === 'pinned') return this.keys.pinnedSessionIndex(userId);
    if (bucket === 'archived') return this.keys.archivedSessionIndex(userId);
    return this.keys.sessionIndex(userId);
  }

  allBucketKeys(userId: string): string[] {
    return (['main', 'pinned', 'archived'] as const).map((bucket) => this.bucketKey(userId, bucket));
  }

  /**
   * Activity in a session moves its index score, in whichever bucket it is (`ZADD XX` never adds
   * it anywhere): no read first, so an append stays one round trip.
   */
  touch(tx: StoreTransaction, userId: string, id: string, now: number): StoreTransaction {
    for (const key of this.allBucketKeys(userId)) tx.zadd(key, 'XX', now, id);
    return tx;
  }

  /** Queues putting the session in `bucket` (and out of the others). */
  place(tx: StoreTransaction, userId: string, id: string, bucket: SessionBucket, score: number): StoreTransaction {
    for (const other of ['main', 'pinned', 'archived'] as const) {
      if (other !== bucket) tx.zrem(this.bucketKey(userId, other), id);
    }
    return tx.zadd(this.bucketKey(userId, bucket), score, id);
  }

  /** Queues removing the session from every index that can hold it. */
  forget(tx: StoreTransaction, userId: string, id: string, session?: Pick<StoredSession, 'persona' | 'tags'>): StoreTransaction {
    for (const key of this.allBucketKeys(userId)) tx.zrem(key, id);
    if (session) {
      tx.zrem(this.keys.sessionPersona(userId, session.persona), id);
      for (const tag of session.tags) tx.zrem(this.keys.sessionTag(userId, tag), id);
    }
    return tx;
  }

  /**
   * A page of the sessions `filter` selects: pinned first, then by activity, newest first. Each
   * bucket is read in bounded rounds (expired entries are pruned and the page topped up); a page may
   * come back short with a cursor when many entries in a row were stale.
   */
  async page(userId: string, limit: number, position?: SessionListPosition, filter: SessionFilter = MAIN_LIST): Promise<SessionPage> {
    const buckets = bucketsFor(filter);
    const first = position ? buckets.indexOf(position.bucket ?? 'main') : 0;
    if (first < 0) return { sessions: [], next: null };
    const found: Array<{ session: StoredSession; at: SessionListPosition }> = [];
    const seen = new Set<string>();
    for (let b = first; b < buckets.length; b++) {
      const bucket = buckets[b];
      const read = await this.collect(userId, bucket, limit + 1 - found.length, b === first ? position : undefined, filter);
      for (const item of read.found) {
        if (seen.has(item.session.id)) continue;
        seen.add(item.session.id);
        found.push({ session: item.session, at: { bucket, score: item.score, id: item.session.id } });
      }
      if (found.length > limit) {
        const last = found[limit - 1];
        return { sessions: found.slice(0, limit).map((f) => f.session), next: last.at };
      }
      // Out of rounds with the bucket not exhausted (many stale entries): a short page that continues.
      if (!read.exhausted && read.last) return { sessions: found.map((f) => f.session), next: { bucket, ...read.last } };
    }
    return { sessions: found.map((f) => f.session), next: null };
  }

  private async collect(
    userId: string,
    bucket: SessionBucket,
    wanted: number,
    start: SessionListPosition | undefined,
    filter: SessionFilter,
  ): Promise<{ found: Array<{ session: StoredSession; score: number }>; exhausted: boolean; last?: SessionListPosition }> {
    const source = this.source(userId, bucket, filter);
    const found: Array<{ session: StoredSession; score: number }> = [];
    const repairs = this.redis.pipeline();
    let repairCount = 0;
    let position = start;
    let exhausted = false;
    for (let round = 0; round < MAX_ROUNDS && found.length < wanted && !exhausted; round++) {
      // Each top-up round reads twice as far ahead: a run of stale entries costs few round trips.
      const slice = await source.after(position, Math.min(MAX_SLICE, (wanted - found.length) << round));
      exhausted = slice.exhausted;
      if (slice.entries.length === 0) break;
      const sessions = await this.readSessions(userId, slice.entries);
      slice.entries.forEach((entry, i) => {
        const session = sessions[i];
        repairCount += this.repair(repairs, userId, bucket, entry, session, filter);
        if (session && matches(session, filter)) found.push({ session, score: entry.score });
      });
      position = slice.entries[slice.entries.length - 1];
    }
    if (repairCount > 0) repliesOf(await repairs.exec());
    const last = position && position !== start ? { score: position.score, id: position.id } : undefined;
    return { found, exhausted, last };
  }

  /** Queues the fixes an entry needs by what its hash says; how many commands were queued. */
  private repair(
    tx: StoreTransaction,
    userId: string,
    bucket: SessionBucket,
    entry: IndexEntry,
    session: StoredSession | null,
    filter: SessionFilter,
  ): number {
    const key = this.bucketKey(userId, bucket);
    if (!session) {
      // Gone (expired or deleted): from this bucket and from the filter sets that led here.
      tx.zrem(key, entry.id);
      if (filter.tag !== undefined) tx.zrem(this.keys.sessionTag(userId, filter.tag), entry.id);
      if (filter.persona !== undefined) tx.zrem(this.keys.sessionPersona(userId, filter.persona), entry.id);
      return 1;
    }
    let queued = 0;
    const belongs = bucketOf(session);
    if (belongs !== bucket) {
      this.place(tx, userId, entry.id, belongs, session.last_activity);
      queued++;
    }
    if (filter.tag !== undefined && !session.tags.includes(filter.tag)) {
      tx.zrem(this.keys.sessionTag(userId, filter.tag), entry.id);
      queued++;
    }
    if (filter.persona !== undefined && session.persona !== filter.persona) {
      tx.zrem(this.keys.sessionPersona(userId, filter.persona), entry.id);
      queued++;
    }
    return queued;
  }

  private source(userId: string, bucket: SessionBucket, filter: SessionFilter): EntrySource {
    const key = this.bucketKey(userId, bucket);
    const sets: string[] = [];
    if (filter.tag !== undefined) sets.push(this.keys.sessionTag(userId, filter.tag));
    if (filter.persona !== undefined) sets.push(this.keys.sessionPersona(userId, filter.persona));
    if (sets.length === 0) return { after: (position, count) => this.entriesAfter(key, position, count) };
    let all: Promise<IndexEntry[]> | undefined;
    return {
      after: async (position, count) => {
        // The filter sets' scores are 0, so MAX keeps each session's activity from the bucket.
        all ??= this.redis.zinter(1 + sets.length, key, ...sets, 'AGGREGATE', 'MAX', 'WITHSCORES').then((flat) => pairs(flat).reverse());
        const rest = position ? (await all).filter((e) => after(e, position)) : await all;
        return { entries: rest.slice(0, count), exhausted: rest.length <= count };
      },
    };
  }

  /**
   * Up to `count` index entries strictly after `position` in (score desc, member desc) order —
   * the order ZREVRANGEBYSCORE uses — so equal scores never repeat or skip an entry.
   */
  private async entriesAfter(
    key: string,
    position: SessionListPosition | undefined,
    count: number,
  ): Promise<{ entries: IndexEntry[]; exhausted: boolean }> {
    if (!position) {
      const entries = pairs(await this.redis.zrevrangebyscore(key, '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, count));
      return { entries, exhausted: entries.length < count };
    }
    const batch = count + TIE_SLACK;
    const raw = pairs(await this.redis.zrevrangebyscore(key, position.score, '-inf', 'WITHSCORES', 'LIMIT', 0, batch));
    const kept = raw.filter((e) => e.score < position.score || e.id < position.id);
    if (kept.length > 0 || raw.length < batch) {
      return { entries: kept.slice(0, count), exhausted: raw.length < batch && kept.length <= count };
    }
    // More ties on one score than the slack covers (not produced by the app): move past that score.
    const past = pairs(await this.redis.zrevrangebyscore(key, `(${position.score}`, '-inf', 'WITHSCORES', 'LIMIT', 0, count));
    return { entries: past, exhausted: past.length < count };
  }

  private async readSessions(userId: string, entries: IndexEntry[]): Promise<Array<StoredSession | null>> {
    // HMGET of the listed fields: values only, no field names to send, parse and turn into objects.
    const pipe = this.redis.pipeline();
    for (const { id } of entries) pipe.hmget(this.keys.session(userId, id), ...SESSION_FIELDS);
    const results: NonNullable<StoreReplies> = (await pipe.exec()) ?? [];
    return entries.map((entry, i) => {
      const [error, values] = results[i] ?? [];
      if (error) throw error;
      return decodeSession(userId, entry.id, sessionHash(values as Array<string | null>), this.ttlMs);
    });
  }

  /**
   * The newest session with this display name: the name hash's entry when it still holds, else a
   * walk over at most NAME_WALK_LIMIT of the most recently active sessions (the hash is repaired).
   */
  async findIdByName(userId: string, name: string): Promise<string | null> {
    const names = this.keys.sessionNames(userId);
    const hinted = await this.redis.hget(names, name);
    if (hinted && (await this.redis.hget(this.keys.session(userId, hinted), 'display_name')) === name) return hinted;
    for (let offset = 0; offset < NAME_WALK_LIMIT; offset += NAME_WALK_PAGE) {
      const ids = await this.redis.zrevrange(this.keys.sessionIndex(userId), offset, offset + NAME_WALK_PAGE - 1);
      if (ids.length === 0) break;
      const pipe = this.redis.pipeline();
      for (const id of ids) pipe.hget(this.keys.session(userId, id), 'display_name');
      const results: NonNullable<StoreReplies> = (await pipe.exec()) ?? [];
      const at = results.findIndex(([error, value]) => !error && value === name);
      if (at >= 0) {
        await this.redis.hset(names, name, ids[at]);
        return ids[at];
      }
      if (ids.length < NAME_WALK_PAGE) break;
    }
    if (hinted) await this.redis.hdel(names, name);
    return null;
  }
}
