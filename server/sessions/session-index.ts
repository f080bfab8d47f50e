import type { Store, StoreReplies } from '../redis/store';
import type { RedisKeys } from '../redis/redis-keys';
import type { SessionListPosition } from './cursor';
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

/** Reads of the per-identity session index (part of the sessions repository; same keys). */
export class SessionIndex {
  constructor(
    private readonly redis: Store,
    private readonly keys: RedisKeys,
    private readonly ttlMs: number,
  ) {}

  /**
   * ZREVRANGEBYSCORE for a slice of the index, then one pipeline of HGETALL for that slice.
   * Entries whose hash has expired are pruned (ZREM) and the page is topped up, in bounded rounds.
   */
  async page(userId: string, limit: number, after?: SessionListPosition): Promise<SessionPage> {
    const wanted = limit + 1; // one extra tells whether another page exists
    const found: Array<{ session: StoredSession; score: number }> = [];
    const stale: string[] = [];
    let position = after;
    let exhausted = false;
    for (let round = 0; round < MAX_ROUNDS && found.length < wanted && !exhausted; round++) {
      // Each top-up round reads twice as far ahead: a run of expired entries costs few round trips.
      const slice = await this.entriesAfter(userId, position, Math.min(MAX_SLICE, (wanted - found.length) << round));
      exhausted = slice.exhausted;
      if (slice.entries.length === 0) break;
      const sessions = await this.readSessions(userId, slice.entries);
      slice.entries.forEach((entry, i) => {
        const session = sessions[i];
        if (session) found.push({ session, score: entry.score });
        else stale.push(entry.id);
      });
      position = slice.entries[slice.entries.length - 1];
    }
    if (stale.length > 0) await this.redis.zrem(this.keys.sessionIndex(userId), ...stale);
    if (found.length > limit) {
      const last = found[limit - 1];
      return { sessions: found.slice(0, limit).map((f) => f.session), next: { score: last.score, id: last.session.id } };
    }
    // Out of rounds with the index not exhausted (many expired entries): a short page that continues.
    const next = !exhausted && position && position !== after ? { score: position.score, id: position.id } : null;
    return { sessions: found.map((f) => f.session), next };
  }

  /**
   * Up to `count` index entries strictly after `position` in (score desc, member desc) order —
   * the order ZREVRANGEBYSCORE uses — so equal scores never repeat or skip an entry.
   */
  private async entriesAfter(
    userId: string,
    position: SessionListPosition | undefined,
    count: number,
  ): Promise<{ entries: IndexEntry[]; exhausted: boolean }> {
    const key = this.keys.sessionIndex(userId);
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
