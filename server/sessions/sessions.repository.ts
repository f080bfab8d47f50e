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
import { SessionIndex } from './session-index';
import { SearchIndexRepository } from '../search/search-index.repository';

/** Sessions whose last renewal is remembered; the least recently renewed are forgotten first (and renew once more). */
const MAX_RENEWALS_REMEMBERED = 10_000;

export type NewSession = Pick<SessionFields, 'display_name' | 'persona' | 'metadata'>;
export type SessionChanges = Partial<Pick<SessionFields, 'display_name' | 'persona' | 'metadata' | 'pinned'>>;

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
    private readonly search: SearchIndexRepository = new SearchIndexRepository(redis, keys, config),
  ) {
    this.ttl = config.ttlSeconds;
    this.readRenewIntervalMs = config.readRenewIntervalMs;
    this.index = new SessionIndex(redis, keys, this.ttl * 1000);
  }

  // ---- sessions -----------------------------------------------------------------------------

  async create(userId: string, input: NewSession, now = Date.now()): Promise<StoredSession> {
    const id = newSessionId();
    const fields: SessionFields = { ...input, created_at: now, last_activity: now, message_count: 0, pinned: false, touched_at: now };
    const [hash, list, names] = [this.keys.session(userId, id), this.keys.messages(userId, id), this.keys.sessionNames(userId)];
    const tx = this.redis.multi()
      .hset(hash, encodeSessionFields(fields))
      .rpush(list, HISTORY_HEAD)
      .zadd(this.keys.sessionIndex(userId), now, id)
      .hset(names, input.display_name, id);
    this.search.addTitle(tx, userId, id, input.display_name, now);
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

  async update(userId: string, id: string, changes: SessionChanges): Promise<StoredSession | null> {
    const hash = this.keys.session(userId, id);
    const list = this.keys.messages(userId, id);
    // Checked first so that a missing id leaves no name-lookup entry behind.
    if ((await this.redis.exists(hash)) === 0) return null;
    const tx = this.redis.multi();
    const fields = encodeSessionFields(changes);
    if (Object.keys(fields).length > 0) tx.hset(hash, fields);
    if (changes.display_name !== undefined) {
      tx.hset(this.keys.sessionNames(userId), changes.display_name, id);
      if (this.ttl > 0) tx.expire(this.keys.sessionNames(userId), this.ttl);
    }
    if (changes.pinned === true) tx.persist(hash).persist(list);
    else if (changes.pinned === false && this.ttl > 0) {
      tx.expire(hash, this.ttl).expire(list, this.ttl).hset(hash, 'touched_at', String(Date.now()));
    } else this.renew(tx, userId, id);
    const session = await this.stateAfter(await this.readBack(tx, userId, id), userId, id);
    if (session && changes.display_name !== undefined) await this.search.renameSession(userId, id, session.display_name);
    return session;
  }

  /** Removes the session, its messages and its index entry; false when there was no session. */
  async delete(userId: string, id: string): Promise<boolean> {
    const tx = this.redis.multi()
      .del(this.keys.session(userId, id))
      .del(this.keys.messages(userId, id))
      .zrem(this.keys.sessionIndex(userId), id);
    const [deleted] = await this.run(tx);
    await this.search.removeSession(userId, id);
    return deleted === 1;
  }

  /** Empties the history and keeps the session. */
  async clearMessages(userId: string, id: string, now = Date.now()): Promise<StoredSession | null> {
    const tx = this.redis.multi()
      .ltrim(this.keys.messages(userId, id), 0, 0)
      .hset(this.keys.session(userId, id), encodeSessionFields({ message_count: 0, last_activity: now }))
      .zadd(this.keys.sessionIndex(userId), now, id);
    this.renew(tx, userId, id, now);
    const session = await this.stateAfter(await this.readBack(tx, userId, id), userId, id);
    if (session) await this.search.clearSession(userId, id, session.display_name);
    return session;
  }

  /** A page of the identity's sessions, newest activity first. Cost depends on the page only. */
  list(userId: string, limit: number, after?: SessionListPosition): Promise<SessionPage> {
    return this.index.page(userId, limit, after);
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
    const tx = this.redis
      .multi()
      .rpushx(list, ...encoded)
      .hincrby(hash, 'message_count', messages.length)
      .zadd(this.keys.sessionIndex(userId), now, sessionId);
    for (const message of messages) this.search.addMessage(tx, userId, sessionId, message, now);
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
      await this.run(this.redis.multi().del(this.keys.session(userId, id)).zrem(this.keys.sessionIndex(userId), id));
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
