import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { sessionsConfig, SessionsConfig } from '../config/config';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { RedisKeys } from '../redis/redis-keys';
import { repliesOf, Store, StoreTransaction } from '../redis/store';
import type { SessionListPosition } from './cursor';
import { newSessionId, SESSION_NOT_FOUND } from './session-id';
import type { MessageStore, StoredMessage, StoredSession } from './session.model';
import { decodeMessages, decodeSession, encodeMessage, encodeSessionFields, HISTORY_HEAD, messageJson, SessionFields } from './session-record';
import { bucketOf, MAIN_LIST, SessionFilter, SessionIndex } from './session-index';
import { MAX_TAGS } from './session-validation';

/** Sessions whose last renewal is remembered; the least recently renewed are forgotten first (and renew once more). */
const MAX_RENEWALS_REMEMBERED = 10_000;

/** title_source absent: the name was chosen ('user'). */
export type NewSession = Pick<SessionFields, 'display_name' | 'persona' | 'metadata'> & Partial<Pick<SessionFields, 'title_source'>>;
export type SessionChanges = Partial<Pick<SessionFields, 'display_name' | 'persona' | 'metadata' | 'pinned' | 'archived' | 'tags'>> & {
  /** Tags added to (or removed from) those the session has, as one change. */
  addTag?: string;
  removeTag?: string;
};

/** Thrown by update when the change would give a session more than MAX_TAGS tags. */
export class TooManyTagsError extends Error {}

/** The hash fields an update reads before it writes: what the filter indexes are keyed by. */
const INDEXED_FIELDS = ['created_at', 'persona', 'tags', 'pinned', 'archived', 'last_activity'] as const;

export interface SessionPage {
  sessions: StoredSession[];
  /** Where the next page starts; null when this was the last one. */
  next: SessionListPosition | null;
}

export interface MessagePage {
  /** Each message as the API's JSON text (MessageDto), oldest first. */
  messages: string[];
  total: number;
  /** List index of the oldest message returned, when older ones exist. */
  nextBefore: number | null;
}

/**
 * Sessions and their messages in Redis (or the embedded store), per DESIGN.md "Redis data model":
 * an activity-ordered ZSET per identity, a HASH per session, a LIST of JSON messages. Every read
 * or write of a session is one MULTI that also renews its sliding TTL and ends by reading the hash
 * back; if the session had gone meanwhile, the few fields the write recreated are removed again
 * and the caller gets "not found".
 */
@Injectable()
export class SessionsRepository implements MessageStore {
  private readonly ttl: number;
  private readonly index: SessionIndex;
  /** Reads renew a session's TTL at most once per this interval; writes always renew. */
  private readonly readRenewIntervalMs: number;
  /** When this process last renewed each session's TTL (hash key → ms). */
  private readonly renewedAt = new LRUCache<string, number>({ max: MAX_RENEWALS_REMEMBERED });

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Store,
    private readonly keys: RedisKeys,
    @Inject(sessionsConfig.KEY) config: SessionsConfig,
  ) {
    this.ttl = config.ttlSeconds;
    this.readRenewIntervalMs = config.readRenewIntervalMs;
    this.index = new SessionIndex(redis, keys, this.ttl * 1000);
  }

  // ---- sessions -----------------------------------------------------------------------------

  async create(userId: string, input: NewSession, now = Date.now()): Promise<StoredSession> {
    const id = newSessionId();
    const fields: SessionFields = {
      title_source: 'user',
      ...input,
      created_at: now,
      last_activity: now,
      message_count: 0,
      pinned: false,
      archived: false,
      tags: [],
      touched_at: now,
    };
    const [hash, list, names] = [this.keys.session(userId, id), this.keys.messages(userId, id), this.keys.sessionNames(userId)];
    const tx = this.redis.multi()
      .hset(hash, encodeSessionFields(fields))
      .rpush(list, HISTORY_HEAD)
      .zadd(this.keys.sessionIndex(userId), now, id)
      .zadd(this.keys.sessionPersona(userId, input.persona), 0, id)
      .hset(names, input.display_name, id);
    if (this.ttl > 0) tx.expire(hash, this.ttl).expire(list, this.ttl).expire(names, this.ttl);
    await this.run(tx);
    return decodeSession(userId, id, encodeSessionFields(fields), this.ttl * 1000)!;
  }

  /** The session, renewing its TTL (a read is activity), or null. One round trip. */
  async find(userId: string, id: string): Promise<StoredSession | null> {
    const tx = this.redis.multi();
    this.renewOnRead(tx, userId, id);
    return this.stateAfter(await this.readBack(tx, userId, id), userId, id);
  }

  /**
   * Changes the given fields. The indexed ones (persona, tags, pinned, archived) are read first so
   * that the filter sets and the session's bucket follow in the same MULTI; a concurrent change
   * that slips in between is corrected when a list meets the entry (the hash is the truth).
   * Throws TooManyTagsError when an added tag would exceed MAX_TAGS.
   */
  async update(userId: string, id: string, changes: SessionChanges): Promise<StoredSession | null> {
    const hash = this.keys.session(userId, id);
    const list = this.keys.messages(userId, id);
    // Read first, so that a missing id leaves no name-lookup or index entry behind.
    const values = await this.redis.hmget(hash, ...INDEXED_FIELDS);
    if (values[0] === null) return null;
    const before = decodeSession(userId, id, { display_name: '', ...indexedHash(values) }, 0)!;
    const { addTag, removeTag, ...direct } = changes;
    let tags = direct.tags ?? before.tags;
    if (addTag !== undefined && !tags.includes(addTag)) tags = [...tags, addTag];
    if (removeTag !== undefined) tags = tags.filter((tag) => tag !== removeTag);
    if (tags.length > MAX_TAGS && tags.length > before.tags.length) throw new TooManyTagsError();
    const after = { ...before, ...direct, tags };
    const tx = this.redis.multi();
    const fields = encodeSessionFields({ ...direct, ...(tags !== before.tags ? { tags } : {}) });
    if (direct.display_name !== undefined) fields.title_source = 'user';
    if (Object.keys(fields).length > 0) tx.hset(hash, fields);
    if (direct.display_name !== undefined) {
      tx.hset(this.keys.sessionNames(userId), direct.display_name, id);
      if (this.ttl > 0) tx.expire(this.keys.sessionNames(userId), this.ttl);
    }
    this.reindex(tx, userId, id, before, after);
    if (changes.pinned === true) tx.persist(hash).persist(list);
    else if (changes.pinned === false && this.ttl > 0) {
      tx.expire(hash, this.ttl).expire(list, this.ttl).hset(hash, 'touched_at', String(Date.now()));
    } else this.renew(tx, userId, id);
    return this.stateAfter(await this.readBack(tx, userId, id), userId, id);
  }

  /** Queues moving the session's filter-set and bucket entries from `before` to `after`. */
  private reindex(tx: StoreTransaction, userId: string, id: string, before: StoredSession, after: StoredSession): void {
    if (after.persona !== before.persona) {
      tx.zrem(this.keys.sessionPersona(userId, before.persona), id).zadd(this.keys.sessionPersona(userId, after.persona), 0, id);
    }
    for (const tag of before.tags) if (!after.tags.includes(tag)) tx.zrem(this.keys.sessionTag(userId, tag), id);
    for (const tag of after.tags) if (!before.tags.includes(tag)) tx.zadd(this.keys.sessionTag(userId, tag), 0, id);
    // Also when unchanged: a session from before the buckets, pinned in the main index, moves.
    if (after.pinned !== before.pinned || after.archived !== before.archived || bucketOf(after) !== 'main') {
      this.index.place(tx, userId, id, bucketOf(after), before.last_activity);
    }
  }

  /**
   * Names the session with a title made for it, unless its name was chosen meanwhile (only a
   * session still named by default gets one). The new state, or null when nothing changed.
   */
  async setAutoTitle(userId: string, id: string, title: string): Promise<StoredSession | null> {
    const hash = this.keys.session(userId, id);
    const tx = this.redis.multi().hsetIfField(hash, 'title_source', 'default', 'display_name', title, 'title_source', 'auto');
    const results = await this.readBack(tx, userId, id);
    if (results[0] !== 1) return null;
    await this.redis.hset(this.keys.sessionNames(userId), title, id);
    return this.stateAfter(results, userId, id);
  }

  /** Removes the session, its messages and its index entries; false when there was no session. */
  async delete(userId: string, id: string): Promise<boolean> {
    const hash = this.keys.session(userId, id);
    const tx = this.redis.multi().hmget(hash, ...INDEXED_FIELDS).del(hash).del(this.keys.messages(userId, id));
    const [values, deleted] = await this.run(this.index.forget(tx, userId, id));
    const session = decodeSession(userId, id, { display_name: '', ...indexedHash(values as Array<string | null>) }, 0);
    // The filter sets it was in, known from the hash read in the same MULTI.
    if (session) await this.run(this.index.forget(this.redis.multi(), userId, id, session));
    return deleted === 1;
  }

  /** Empties the history and keeps the session. */
  async clearMessages(userId: string, id: string, now = Date.now()): Promise<StoredSession | null> {
    const tx = this.redis.multi()
      .ltrim(this.keys.messages(userId, id), 0, 0)
      .hset(this.keys.session(userId, id), encodeSessionFields({ message_count: 0, last_activity: now }));
    this.index.touch(tx, userId, id, now);
    this.renew(tx, userId, id, now);
    return this.stateAfter(await this.readBack(tx, userId, id), userId, id);
  }

  /**
   * A page of the identity's sessions `filter` selects, pinned first, then newest activity first.
   * Without tag or persona the cost depends on the page only; with them, on the size of the
   * smallest set intersected (see SessionIndex).
   */
  list(userId: string, limit: number, after?: SessionListPosition, filter: SessionFilter = MAIN_LIST): Promise<SessionPage> {
    return this.index.page(userId, limit, after, filter);
  }

  /** The newest session named `name` (v0 API lookups by display name), or null. */
  findIdByName(userId: string, name: string): Promise<string | null> {
    return this.index.findIdByName(userId, name);
  }

  // ---- messages -----------------------------------------------------------------------------

  /** A page of history, newest page first, oldest first within the page; null when no session. */
  async listMessages(userId: string, id: string, limit: number, before?: number): Promise<MessagePage | null> {
    const list = this.keys.messages(userId, id);
    // Index 0 is the head marker, so messages live at 1..llen-1 and `before` ≥ 1.
    const from = before === undefined ? -limit : Math.max(1, before - limit);
    const to = before === undefined ? -1 : before - 1;
    const tx = this.redis.multi().llen(list).lrange(list, from, to);
    this.renewOnRead(tx, userId, id);
    const results = await this.readBack(tx, userId, id);
    if (!(await this.stateAfter(results, userId, id))) return null;
    const [length, raw] = results as [number, string[]];
    // The head marker (empty) can only be the list's first entry.
    const withoutHead = raw.length > 0 && raw[0] === HISTORY_HEAD ? raw.length - 1 : raw.length;
    const start = before === undefined ? length - withoutHead : from;
    const messages = raw.map(messageJson).filter((json): json is string => json !== null);
    return { messages, total: Math.max(0, length - 1), nextBefore: withoutHead > 0 && start > 1 ? start : null };
  }

  async appendMessages(userId: string, sessionId: string, messages: StoredMessage[]): Promise<StoredSession> {
    return (await this.append(userId, sessionId, messages, 0)).session;
  }

  /** appendMessages, then the newest `limit` list entries (so including what was appended), in one MULTI. */
  async appendAndReadRecent(
    userId: string,
    sessionId: string,
    messages: StoredMessage[],
    limit: number,
  ): Promise<{ session: StoredSession; recent: StoredMessage[] }> {
    return this.append(userId, sessionId, messages, limit);
  }

  private async append(userId: string, sessionId: string, messages: StoredMessage[], readLimit: number) {
    const now = Date.now();
    const hash = this.keys.session(userId, sessionId);
    const list = this.keys.messages(userId, sessionId);
    const encoded = messages.map(encodeMessage);
    const tx = this.redis.multi().rpushx(list, ...encoded).hincrby(hash, 'message_count', messages.length);
    this.index.touch(tx, userId, sessionId, now);
    this.renew(tx, userId, sessionId, now, { last_activity: String(now) });
    if (readLimit > 0) tx.lrange(list, -readLimit, -1);
    const results = await this.readBack(tx, userId, sessionId);
    const session = await this.stateAfter(results, userId, sessionId);
    if (!session) throw new NotFoundException(SESSION_NOT_FOUND);
    if (results[0] === 0) {
      // The list was gone, so what was just read back of it is missing these messages too.
      await this.restoreList(list, encoded, session);
      return { session, recent: messages.slice(-readLimit) };
    }
    return { session, recent: readLimit > 0 ? decodeMessages(results[results.length - 2] as string[]) : [] };
  }

  async recentMessages(userId: string, sessionId: string, limit: number): Promise<StoredMessage[]> {
    if (limit <= 0) return [];
    const tx = this.redis.multi().lrange(this.keys.messages(userId, sessionId), -limit, -1);
    this.renewOnRead(tx, userId, sessionId);
    const results = await this.readBack(tx, userId, sessionId);
    if (!(await this.stateAfter(results, userId, sessionId))) return [];
    return decodeMessages(results[0] as string[]);
  }

  async removeLastAssistantMessage(userId: string, sessionId: string): Promise<StoredMessage | null> {
    const list = this.keys.messages(userId, sessionId);
    const last = await this.redis.lindex(list, -1);
    if (last === null || last === HISTORY_HEAD) return null;
    const [message] = decodeMessages([last]);
    if (message?.role !== 'assistant') return null;
    const tx = this.redis.multi().rpop(list).hincrby(this.keys.session(userId, sessionId), 'message_count', -1);
    this.renew(tx, userId, sessionId);
    const results = await this.readBack(tx, userId, sessionId);
    const session = await this.stateAfter(results, userId, sessionId);
    if (results[0] === last) return session ? message : null;
    // Another write got in between: give back what was taken instead of the expected message.
    if (session && typeof results[0] === 'string') await this.giveBack(userId, sessionId, results[0] as string, session);
    return null;
  }

  // ---- helpers ------------------------------------------------------------------------------

  /**
   * Sliding TTL: renew the hash and list only where a TTL is set (`XX`: a pinned, PERSISTed session
   * keeps none), and note when, so listings can show expires_at without asking for each TTL.
   */
  private renew(tx: StoreTransaction, userId: string, id: string, now = Date.now(), alsoSet?: Record<string, string>): void {
    const hash = this.keys.session(userId, id);
    // Fields the caller writes anyway go in the same HSET (one command fewer per write).
    if (this.ttl <= 0) {
      if (alsoSet) tx.hset(hash, alsoSet);
      return;
    }
    this.renewedAt.set(hash, now);
    tx.hset(hash, { ...alsoSet, touched_at: String(now) })
      .expire(hash, this.ttl, 'XX')
      .expire(this.keys.messages(userId, id), this.ttl, 'XX');
  }

  /**
   * renew for a read, skipped when this process renewed the session less than readRenewIntervalMs
   * ago: the expiry moves at most that interval less far out and stays consistent with the stored
   * touched_at, and a busy session's reads stop writing to Redis on every request.
   */
  private renewOnRead(tx: StoreTransaction, userId: string, id: string): void {
    const now = Date.now();
    const last = this.renewedAt.get(this.keys.session(userId, id));
    if (last !== undefined && now - last >= 0 && now - last < this.readRenewIntervalMs) return;
    this.renew(tx, userId, id, now);
  }

  /** Runs a MULTI: every command's reply in order; the first failure is thrown. */
  private async run(tx: StoreTransaction): Promise<unknown[]> {
    return repliesOf(await tx.exec());
  }

  /** Ends the MULTI by reading the session's hash back (the last reply), and runs it. */
  private readBack(tx: StoreTransaction, userId: string, id: string): Promise<unknown[]> {
    return this.run(tx.hgetall(this.keys.session(userId, id)));
  }

  /**
   * The session the last reply (HGETALL) describes. A write into a session that had gone (expired,
   * deleted, or never there) recreates a few fields; they are removed again here.
   */
  private async stateAfter(results: unknown[], userId: string, id: string): Promise<StoredSession | null> {
    const hash = results[results.length - 1] as Record<string, string>;
    const session = decodeSession(userId, id, hash, this.ttl * 1000);
    if (!session && Object.keys(hash ?? {}).length > 0) {
      await this.run(this.index.forget(this.redis.multi().del(this.keys.session(userId, id)), userId, id));
    }
    return session;
  }

  /** The list vanished while the hash stayed (e.g. evicted under memory pressure): start it again. */
  private async restoreList(list: string, encoded: string[], session: StoredSession): Promise<void> {
    const tx = this.redis.multi().rpush(list, HISTORY_HEAD, ...encoded);
    if (session.expires_at !== null) tx.pexpire(list, Math.max(1, session.expires_at - Date.now()));
    await this.run(tx);
  }

  private async giveBack(userId: string, sessionId: string, popped: string, session: StoredSession): Promise<void> {
    const list = this.keys.messages(userId, sessionId);
    if (popped === HISTORY_HEAD) await this.restoreList(list, [], session);
    else await this.redis.rpushx(list, popped);
    await this.redis.hincrby(this.keys.session(userId, sessionId), 'message_count', 1);
  }
}

/** HMGET's values of INDEXED_FIELDS as a hash (absent fields left out). */
function indexedHash(values: Array<string | null>): Record<string, string> {
  const hash: Record<string, string> = {};
  INDEXED_FIELDS.forEach((field, i) => {
    if (values[i] !== null && values[i] !== undefined) hash[field] = values[i] as string;
  });
  return hash;
}
