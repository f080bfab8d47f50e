import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { sessionsConfig, SessionsConfig } from '../config/config';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { RedisKeys } from '../redis/redis-keys';
import { repliesOf, Store, StoreTransaction } from '../redis/store';
import type { SessionListPosition } from './cursor';
import { newSessionId, SESSION_NOT_FOUND } from './session-id';
import type { AppendPoint, MessageFeedback, MessageStore, StoredMessage, StoredSession } from './session.model';
import {
  childrenField,
  decodeChildren,
  decodeMessage,
  decodeMessages,
  decodeNode,
  decodeSession,
  encodeMessage,
  encodeNode,
  encodeSessionFields,
  entryId,
  HISTORY_HEAD,
  LEAF_FIELD,
  nodeField,
  nodeJson,
  nodeMessage,
  NodeRecord,
  pathEntry,
  SessionFields,
  usageIncrements,
} from './session-record';
import { bucketOf, MAIN_LIST, SessionFilter, SessionIndex } from './session-index';
import { MAX_TAGS } from './session-validation';
import { SessionTags, TagCount } from './session-tags';
import { SearchIndexRepository } from '../search/search-index.repository';

/** Sessions whose last renewal is remembered; the least recently renewed are forgotten first (and renew once more). */
const MAX_RENEWALS_REMEMBERED = 10_000;

/** title_source absent: the name was chosen ('user'). */
export type NewSession = Pick<SessionFields, 'display_name' | 'persona' | 'metadata'> & Partial<Pick<SessionFields, 'settings' | 'title_source'>>;
/** A new session made with its tags and pin already set (import). */
export type ImportedSession = NewSession & Partial<Pick<SessionFields, 'tags' | 'pinned'>>;
export type SessionChanges = Partial<Pick<SessionFields, 'display_name' | 'persona' | 'metadata' | 'pinned' | 'settings' | 'archived' | 'tags'>> & {
  /** Tags added to (or removed from) those the session has, as one change. */
  addTag?: string;
  removeTag?: string;
};

/** Thrown by update when the change would give a session more than MAX_TAGS tags. */
export class TooManyTagsError extends Error {}

/** The hash fields an update reads before it writes: what the filter indexes are keyed by. */
const INDEXED_FIELDS = ['created_at', 'persona', 'tags', 'pinned', 'archived', 'last_activity'] as const;

/** 404 text for a message id that is not in the session. */
export function messageNotFound(messageId: string): string {
  return `No message ${messageId} in this session: use the id of one of its messages (GET /api/sessions/{id}/messages lists them).`;
}

/** A message about to be put on the active path, with its place among its siblings. */
interface PathNode {
  id: string;
  /** Node record JSON (API JSON without sibling fields). */
  json: string;
  depth: number;
  index: number;
  count: number;
}

export interface SessionPage {
  sessions: StoredSession[];
  /** Where the next page starts; null when this was the last one. */
  next: SessionListPosition | null;
}

export interface MessagePage<Entry extends string | Buffer = string> {
  /** Each message as the API's JSON text (MessageDto), oldest first. */
  messages: Entry[];
  total: number;
  /** List index of the oldest message returned, when older ones exist. */
  nextBefore: number | null;
}

/**
 * Sessions and their messages in Redis (or the embedded store), per DESIGN.md "Redis data model":
 * an activity-ordered ZSET per identity, a HASH per session, a LIST of JSON messages. Every read
 * or write of a session is one MULTI that also renews its sliding TTL and ends by reading the hash
 * back (a page of history: one script, after the renewal when one is due); if the session had gone
 * meanwhile, the few fields the write recreated are removed again and the caller gets "not found".
 *
 * Conversation tree. Every message has a parent (null for a first message); a session's messages
 * form a tree and one root-to-leaf path through it is active:
 * - `tree` HASH: `n:<id>` → "<depth>|<API JSON with parent_id>" for every message, and
 *   `c:<parent id>` → JSON array of the parent's children, oldest first (`c:` = first messages).
 *   A message's depth is its index in every path containing it (1 = first message).
 * - `msgs` LIST: the head marker, then the active path, each entry the message's API JSON *with*
 *   sibling_index/sibling_count. Entry i is the message at depth i, so a page is LRANGE + join as
 *   before, whatever the number of branches, and "is X on the active path" is one LINDEX at X's depth.
 * - session hash `leaf`: the active path's last message ('' when empty); message_count = its length.
 * Invariant: the active path ends at a leaf of the tree, so appending below it (send, answer) is a
 * blind write in the usual one MULTI: RPUSHX the entry, HSET the record and `c:<leaf>` = [new id].
 * A version beside an existing message (edit, regenerate) puts its parent on the path (climbing
 * from it to the first ancestor already on the path, one round trip a level), LTRIMs the path after
 * the parent and appends with the parent's existing children. Switching to a version climbs the
 * same way, descends through newest children to a leaf, then LTRIMs after the fork point and
 * RPUSHes the new part: O(length of the part that changes). Only a path entry's sibling count can
 * go stale, when a sibling is deleted or rated; those entries are LSET in place.
 * Tree operations run under the session's generation lock (the chat module takes it), so no
 * other write moves the path between their reads and their write.
 * Sessions stored before the tree (no `leaf` field) are migrated on first access: parents follow
 * list order (one round trip to read, one to write, once per session).
 */
@Injectable()
export class SessionsRepository implements MessageStore {
  private readonly ttl: number;
  private readonly index: SessionIndex;
  private readonly tags: SessionTags;
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
    this.tags = new SessionTags(redis, keys, this.ttl * 1000);
  }

  // ---- sessions -----------------------------------------------------------------------------

  async create(userId: string, input: NewSession, now = Date.now()): Promise<StoredSession> {
    return this.createWith(userId, input, now, { [childrenField(null)]: '[]' }, [], null);
  }

  /** A new session already holding a tree and its active path, in one MULTI. */
  private async createWith(
    userId: string,
    input: NewSession,
    now: number,
    treeFields: Record<string, string>,
    path: string[],
    leaf: string | null,
  ): Promise<StoredSession> {
    const tx = this.redis.multi();
    const session = this.queueCreate(tx, userId, input, now, treeFields, path, leaf);
    await this.run(tx);
    return session;
  }

  /** Queues creating a session (with its tree, path, tags and pin) in `tx`; the session as it will be stored. */
  private queueCreate(
    tx: StoreTransaction,
    userId: string,
    input: ImportedSession,
    now: number,
    treeFields: Record<string, string>,
    path: string[],
    leaf: string | null,
  ): StoredSession {
    const id = newSessionId();
    const { tags = [], pinned = false, ...chosen } = input;
    const fields: SessionFields = {
      title_source: 'user',
      settings: {},
      ...chosen,
      created_at: now,
      last_activity: now,
      message_count: path.length,
      pinned,
      archived: false,
      tags,
      touched_at: now,
    };
    const [hash, list, names, tree] = [
      this.keys.session(userId, id),
      this.keys.messages(userId, id),
      this.keys.sessionNames(userId),
      this.keys.messageTree(userId, id),
    ];
    const encoded = { ...encodeSessionFields(fields), [LEAF_FIELD]: leaf ?? '' };
    tx.hset(hash, encoded).rpush(list, HISTORY_HEAD, ...path).hset(tree, treeFields);
    if (pinned) this.index.place(tx, userId, id, 'pinned', now);
    else tx.zadd(this.keys.sessionIndex(userId), now, id);
    tx.zadd(this.keys.sessionPersona(userId, fields.persona), 0, id).hset(names, fields.display_name, id);
    this.tags.retag(tx, userId, id, [], tags, now);
    // Its title, and the messages of a session made with them (import, fork), are indexed with the next search.
    this.search.markPending(tx, userId, id, now);
    if (this.ttl > 0) {
      // A pinned session keeps no TTL (as update() PERSISTs it).
      if (!pinned) tx.expire(hash, this.ttl).expire(list, this.ttl).expire(tree, this.ttl);
      tx.expire(names, this.ttl);
    }
    return decodeSession(userId, id, encoded, this.ttl * 1000)!;
  }

  /**
   * A new session holding a whole tree (import, fork): `messages` parents first, each with
   * parent_id (null or absent: a first message); the active path ends at `activeLeafId` (null: the
   * newest leaf, following the newest child from the top). One round trip.
   */
  async importTree(userId: string, input: ImportedSession, messages: StoredMessage[], activeLeafId: string | null, now = Date.now()): Promise<StoredSession> {
    const tx = this.redis.multi();
    const session = this.queueImportTree(tx, userId, input, messages, activeLeafId, now);
    await this.run(tx);
    return session;
  }

  /**
   * importTree queued in the caller's MULTI, which runs it (with anything else that must happen
   * with it or not at all, e.g. an import's record); the session as it will be stored.
   */
  queueImportTree(tx: StoreTransaction, userId: string, input: ImportedSession, messages: StoredMessage[], activeLeafId: string | null, now = Date.now()): StoredSession {
    const byId = new Map<string, { parent: string | null; depth: number; json: string }>();
    const children = new Map<string | null, string[]>([[null, []]]);
    const treeFields: Record<string, string> = {};
    for (const message of messages) {
      if (byId.has(message.id)) throw new Error(`importTree: message ${message.id} appears twice`);
      const parent = message.parent_id ?? null;
      const parentDepth = parent === null ? 0 : byId.get(parent)?.depth;
      if (parentDepth === undefined) throw new Error(`importTree: the parent of ${message.id} must come before it`);
      const json = nodeJson(message.parent_id === parent ? message : { ...message, parent_id: parent });
      treeFields[nodeField(message.id)] = `${parentDepth + 1}|${json}`; // encodeNode, with the JSON kept for the path
      byId.set(message.id, { parent, depth: parentDepth + 1, json });
      const siblings = children.get(parent);
      if (siblings) siblings.push(message.id);
      else children.set(parent, [message.id]);
    }
    for (const [parent, ids] of children) treeFields[childrenField(parent)] = JSON.stringify(ids);
    let leaf = activeLeafId !== null && byId.has(activeLeafId) ? activeLeafId : null;
    if (leaf === null) {
      for (let kids = children.get(null)!; kids.length > 0; kids = children.get(leaf) ?? []) leaf = kids[kids.length - 1];
    }
    const path: string[] = [];
    for (let id = leaf; id !== null; ) {
      const node = byId.get(id)!;
      const kids = children.get(node.parent)!;
      path.push(pathEntry(node.json, kids.indexOf(id), kids.length));
      id = node.parent;
    }
    path.reverse();
    return this.queueCreate(tx, userId, input, now, treeFields, path, leaf);
  }

  /** For each id, whether the session is still stored (no TTL renewal: nothing is read). One round trip. */
  async existing(userId: string, ids: string[]): Promise<boolean[]> {
    if (ids.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.exists(this.keys.session(userId, id));
    return (repliesOf(await pipe.exec()) as number[]).map((n) => n === 1);
  }

  /**
   * The session, renewing its TTL (a read is activity), or null. One round trip: a MULTI when the
   * renewal is due, else the one HGETALL alone (it shares a write with the commands of the same tick).
   */
  async find(userId: string, id: string): Promise<StoredSession | null> {
    const hash = this.keys.session(userId, id);
    let results: unknown[];
    if (this.readRenewalDue(hash)) {
      const tx = this.redis.multi();
      this.renew(tx, userId, id);
      results = await this.readBack(tx, userId, id);
    } else results = [await this.redis.hgetall(hash)];
    const session = await this.stateAfter(results, userId, id);
    if (session?.active_leaf_id !== undefined) return session;
    return session && this.migrate(userId, id);
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
    const tree = this.keys.messageTree(userId, id);
    this.reindex(tx, userId, id, before, after);
    if (changes.pinned === true) tx.persist(hash).persist(list).persist(tree);
    else if (changes.pinned === false && this.ttl > 0) {
      tx.expire(hash, this.ttl).expire(list, this.ttl).expire(tree, this.ttl).hset(hash, 'touched_at', String(Date.now()));
    } else this.renew(tx, userId, id);
    const session = await this.stateAfter(await this.readBack(tx, userId, id), userId, id);
    if (session && changes.display_name !== undefined) await this.search.renameSession(userId, id, session.display_name);
    return session;
  }

  /** Queues moving the session's filter-set and bucket entries from `before` to `after`. */
  private reindex(tx: StoreTransaction, userId: string, id: string, before: StoredSession, after: StoredSession): void {
    if (after.persona !== before.persona) {
      tx.zrem(this.keys.sessionPersona(userId, before.persona), id).zadd(this.keys.sessionPersona(userId, after.persona), 0, id);
    }
    this.tags.retag(tx, userId, id, before.tags, after.tags);
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
    const session = await this.stateAfter(results, userId, id);
    // The name index and the search index are independent: their writes go out together.
    await Promise.all([this.redis.hset(this.keys.sessionNames(userId), title, id), session && this.search.renameSession(userId, id, session.display_name)]);
    return session;
  }

  /** Removes the session, its messages and its index entries; false when there was no session. */
  async delete(userId: string, id: string): Promise<boolean> {
    const hash = this.keys.session(userId, id);
    const tx = this.redis.multi().hmget(hash, ...INDEXED_FIELDS).del(hash).del(this.keys.messages(userId, id)).del(this.keys.messageTree(userId, id));
    const [values, deleted] = await this.run(this.index.forget(tx, userId, id));
    const session = decodeSession(userId, id, { display_name: '', ...indexedHash(values as Array<string | null>) }, 0);
    // The filter sets it was in, known from the hash read in the same MULTI.
    if (session) {
      const forget = this.index.forget(this.redis.multi(), userId, id, session);
      this.tags.forget(forget, userId, id);
      await this.run(forget);
      await this.tags.dropIfUnused(userId, session.tags);
    }
    await this.search.removeSession(userId, id);
    return deleted === 1;
  }

  /** Empties the history and keeps the session. */
  async clearMessages(userId: string, id: string, now = Date.now()): Promise<StoredSession | null> {
    const before = await this.find(userId, id);
    if (!before) return null;
    const tree = this.keys.messageTree(userId, id);
    const tx = this.redis.multi()
      .ltrim(this.keys.messages(userId, id), 0, 0)
      .del(tree)
      .hset(tree, childrenField(null), '[]')
      .hset(this.keys.session(userId, id), { ...encodeSessionFields({ message_count: 0, last_activity: now }), [LEAF_FIELD]: '' });
    this.index.touch(tx, userId, id, now);
    if (before.expires_at !== null) tx.pexpire(tree, Math.max(1, before.expires_at - now));
    this.renew(tx, userId, id, now);
    const session = await this.stateAfter(await this.readBack(tx, userId, id), userId, id);
    if (session) await this.search.clearSession(userId, id, session.display_name);
    return session;
  }

  /**
   * A page of the identity's sessions `filter` selects, pinned first, then newest activity first.
   * Without tag or persona the cost depends on the page only; with them, on the size of the
   * smallest set intersected (see SessionIndex).
   */
  list(userId: string, limit: number, after?: SessionListPosition, filter: SessionFilter = MAIN_LIST): Promise<SessionPage> {
    return this.index.page(userId, limit, after, filter);
  }

  /** The tags of the identity's sessions (archived ones included) with how many carry each; see SessionTags. */
  tagCounts(userId: string): Promise<TagCount[]> {
    return this.tags.counts(userId);
  }

  /** The newest session named `name` (v0 API lookups by display name), or null. */
  findIdByName(userId: string, name: string): Promise<string | null> {
    return this.index.findIdByName(userId, name);
  }

  // ---- messages -----------------------------------------------------------------------------

  /** A page of history, newest page first, oldest first within the page; null when no session. */
  async listMessages(userId: string, id: string, limit: number, before?: number): Promise<MessagePage | null> {
    const page = await this.listMessageBuffers(userId, id, limit, before);
    return page && { ...page, messages: page.messages.map((message) => message.toString()) };
  }

  /**
   * listMessages with each message's JSON as UTF-8 bytes, never decoded: for a response sent as it
   * is. One command (historyPageBuffer) reads the list's length, the page and the session fields
   * at one instant; when the read renews the session's TTL, that MULTI runs just before it.
   */
  async listMessageBuffers(userId: string, id: string, limit: number, before?: number): Promise<MessagePage<Buffer> | null> {
    const list = this.keys.messages(userId, id);
    const hash = this.keys.session(userId, id);
    // Index 0 is the head marker, so messages live at 1..llen-1 and `before` ≥ 1.
    const from = before === undefined ? -limit : Math.max(1, before - limit);
    const to = before === undefined ? -1 : before - 1;
    if (this.readRenewalDue(hash)) {
      // Awaited first (a round trip more, once per renewal interval): the read below then sees a
      // renewal of a session that had gone (it recreates touched_at) and undoes it. Queued in the
      // same tick instead, the MULTI (auto-pipelined, sent on the next tick) would reach Redis
      // after the script (sent at once, outside the auto-pipeline).
      const tx = this.redis.multi();
      this.renew(tx, userId, id);
      await this.run(tx);
    }
    const [length, raw, fields] = await this.redis.historyPageBuffer(list, hash, from, to, ...PAGE_SESSION_FIELDS);
    // Only what says the session is there and which shape its history has, not the whole hash.
    const [created, persona, name, leaf, touched] = fields;
    if (created === null || persona === null || name === null) {
      // A read renewing a session that had gone recreated its touched_at: removed again (see stateAfter).
      if (touched !== null || leaf !== null) await this.stateAfter([await this.redis.hgetall(hash)], userId, id);
      return null;
    }
    if (leaf === null) {
      await this.migrate(userId, id);
      return this.listMessageBuffers(userId, id, limit, before);
    }
    // The head marker (empty) can only be the list's first entry. Every other entry of a session
    // in the tree shape (`leaf` set) was written as API JSON (by append, a version change or the
    // migration above), so the page is the entries as they are.
    const messages = raw.length > 0 && raw[0].length === 0 ? raw.slice(1) : raw;
    const start = before === undefined ? length - messages.length : from;
    return { messages, total: Math.max(0, length - 1), nextBefore: messages.length > 0 && start > 1 ? start : null };
  }

  /**
   * Appends below the first message's parent_id/depth (see AppendPoint); messages without them go
   * below the active leaf (read first: one round trip more).
   */
  async appendMessages(userId: string, sessionId: string, messages: StoredMessage[], siblings: string[] = []): Promise<StoredSession> {
    return (await this.append(userId, sessionId, messages, 0, siblings)).session;
  }

  /** appendMessages, then the newest `limit` list entries (so including what was appended), in one MULTI. */
  async appendAndReadRecent(
    userId: string,
    sessionId: string,
    messages: StoredMessage[],
    limit: number,
    siblings: string[] = [],
  ): Promise<{ session: StoredSession; recent: StoredMessage[] }> {
    return this.append(userId, sessionId, messages, limit, siblings);
  }

  private async append(userId: string, sessionId: string, messages: StoredMessage[], readLimit: number, siblings: string[]) {
    if (messages.length === 0) throw new Error('append: no messages');
    let first = messages[0];
    if (first.parent_id === undefined || first.depth === undefined) {
      const session = await this.find(userId, sessionId);
      if (!session) throw new NotFoundException(SESSION_NOT_FOUND);
      first = { ...first, parent_id: session.active_leaf_id ?? null, depth: session.message_count + 1 };
    }
    const now = Date.now();
    const hash = this.keys.session(userId, sessionId);
    const list = this.keys.messages(userId, sessionId);
    const treeFields: Record<string, string> = {};
    const encoded: string[] = [];
    messages.forEach((message, i) => {
      const parent = i === 0 ? (first.parent_id ?? null) : messages[i - 1].id;
      const kids = i === 0 ? [...siblings.filter((id) => id !== message.id), message.id] : [message.id];
      const placed = { ...message, parent_id: parent, sibling_index: kids.length - 1, sibling_count: kids.length };
      const record = encodeNode(placed, first.depth! + i);
      treeFields[nodeField(message.id)] = record;
      treeFields[childrenField(parent)] = JSON.stringify(kids);
      encoded.push(pathEntry(record.slice(record.indexOf('|') + 1), kids.length - 1, kids.length));
    });
    const tx = this.redis
      .multi()
      .rpushx(list, ...encoded)
      .hset(this.keys.messageTree(userId, sessionId), treeFields)
      .hincrby(hash, 'message_count', messages.length);
    this.index.touch(tx, userId, sessionId, now);
    // The usage totals go in the same MULTI as the answer: no extra round trip.
    for (const [field, increment] of usageIncrements(messages)) tx.hincrby(hash, field, increment);
    this.renew(tx, userId, sessionId, now, { last_activity: String(now), [LEAF_FIELD]: messages[messages.length - 1].id });
    // Nothing for the search index: the session list's score, moved above, is what its next catch-up looks for.
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

  // ---- conversation tree ---------------------------------------------------------------------

  /** A message of the session (any branch) with its depth, or null. The session must exist (find first). */
  async findMessage(userId: string, sessionId: string, messageId: string): Promise<StoredMessage | null> {
    const node = decodeNode(await this.redis.hget(this.keys.messageTree(userId, sessionId), nodeField(messageId)));
    return node && nodeMessage(node);
  }

  /**
   * The ids of a message's versions (the messages with the same parent, itself included), oldest
   * first; null when there is no session, 404 when there is no such message.
   */
  async versionIds(userId: string, sessionId: string, messageId: string): Promise<string[] | null> {
    if (!(await this.find(userId, sessionId))) return null;
    const message = nodeMessage(await this.requireNode(userId, sessionId, messageId))!;
    const kids = decodeChildren(await this.redis.hget(this.keys.messageTree(userId, sessionId), childrenField(message.parent_id ?? null)));
    return kids.includes(messageId) ? kids : [messageId];
  }

  /** Messages by session and id (any branch), in one round trip; null for each one not found. */
  async findMessages(userId: string, refs: Array<{ sessionId: string; messageId: string }>): Promise<Array<StoredMessage | null>> {
    if (refs.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const { sessionId, messageId } of refs) pipe.hget(this.keys.messageTree(userId, sessionId), nodeField(messageId));
    return (repliesOf(await pipe.exec()) as Array<string | null>).map((text) => {
      const node = decodeNode(text);
      return node && nodeMessage(node);
    });
  }

  /** The last message of the active path (null when the session is empty or gone). */
  async activeLeafId(userId: string, sessionId: string): Promise<string | null> {
    return (await this.find(userId, sessionId))?.active_leaf_id ?? null;
  }

  /**
   * Every message of the session, every branch, parents before children (by depth, then age),
   * each with parent_id and its sibling_index/sibling_count; null when there is no session.
   */
  async allMessages(userId: string, sessionId: string): Promise<StoredMessage[] | null> {
    if (!(await this.find(userId, sessionId))) return null;
    const fields = await this.redis.hgetall(this.keys.messageTree(userId, sessionId));
    const { nodes, children } = readTree(fields);
    const out: StoredMessage[] = [];
    for (const [id, node] of nodes) {
      const message = nodeMessage(node);
      if (!message) continue;
      const kids = children.get(message.parent_id ?? null) ?? [id];
      out.push({ ...message, sibling_index: Math.max(0, kids.indexOf(id)), sibling_count: kids.length });
    }
    return out.sort((a, b) => a.depth! - b.depth! || a.created_at - b.created_at);
  }

  /**
   * Makes the branch through `messageId` active, down to its newest leaf. Costs a round trip per
   * message that changes on the path, not per message in the session. Null when there is no session.
   */
  async switchPath(userId: string, sessionId: string, messageId: string): Promise<StoredSession | null> {
    if (!(await this.find(userId, sessionId))) return null;
    const target = await this.requireNode(userId, sessionId, messageId);
    const { fork, nodes } = await this.climb(userId, sessionId, messageId, target);
    const below = await this.descend(userId, sessionId, messageId);
    // Target already on the path: only what lies below it is rewritten.
    const start = nodes.length === 0 ? target.depth : fork;
    const leaf = below.length > 0 ? below[below.length - 1].id : messageId;
    return this.writePath(userId, sessionId, start, [...nodes, ...below], leaf);
  }

  /**
   * Puts `parentId` at the end of the active path (null: empties it), so that a new version can be
   * appended below it; returns where it goes. The parent's existing children are kept and returned.
   */
  async branchAt(userId: string, sessionId: string, parentId: string | null): Promise<AppendPointResult> {
    const tree = this.keys.messageTree(userId, sessionId);
    if (parentId === null) {
      const session = await this.writePath(userId, sessionId, 0, [], null);
      if (!session) throw new NotFoundException(SESSION_NOT_FOUND);
      return { parent_id: null, depth: 0, siblings: decodeChildren(await this.redis.hget(tree, childrenField(null))) };
    }
    const parent = await this.requireNode(userId, sessionId, parentId);
    const { fork, nodes } = await this.climb(userId, sessionId, parentId, parent);
    const tx = this.redis.multi().hget(tree, childrenField(parentId));
    const [kids] = await this.run(tx);
    const session = await this.writePath(userId, sessionId, nodes.length === 0 ? parent.depth : fork, nodes, parentId);
    if (!session) throw new NotFoundException(SESSION_NOT_FOUND);
    return { parent_id: parentId, depth: parent.depth, siblings: decodeChildren(kids as string | null) };
  }

  /** The messages from the first one down to `messageId` (the path through it), or null when there is no session. */
  async pathTo(userId: string, sessionId: string, messageId: string): Promise<StoredMessage[] | null> {
    if (!(await this.find(userId, sessionId))) return null;
    const target = await this.requireNode(userId, sessionId, messageId);
    const { fork, nodes } = await this.climb(userId, sessionId, messageId, target);
    const top = nodes.length === 0 ? target.depth : fork;
    const prefix = top > 0 ? decodeMessages(await this.redis.lrange(this.keys.messages(userId, sessionId), 1, top)) : [];
    return [...prefix, ...nodes.map((n) => decodeMessage(pathEntry(n.json, n.index, n.count))!)];
  }

  /**
   * The message `messageId`, then the messages before it on its path, newest first (what an answer
   * was written from); nothing when the message is not there. The caller has checked that the
   * session is theirs.
   */
  async *messageAndEarlier(userId: string, sessionId: string, messageId: string): AsyncGenerator<StoredMessage> {
    let path: StoredMessage[] | null;
    try {
      path = await this.pathTo(userId, sessionId, messageId);
    } catch (error) {
      if (error instanceof NotFoundException) return;
      throw error;
    }
    for (let i = (path?.length ?? 0) - 1; i >= 0; i--) yield path![i];
  }

  /**
   * Sets (or with null removes) a message's feedback; returns the message as the API shows it
   * (with its siblings' count), or null when there is no session.
   */
  async setFeedback(userId: string, sessionId: string, messageId: string, feedback: MessageFeedback | null): Promise<StoredMessage | null> {
    if (!(await this.find(userId, sessionId))) return null;
    const tree = this.keys.messageTree(userId, sessionId);
    const list = this.keys.messages(userId, sessionId);
    const node = await this.requireNode(userId, sessionId, messageId);
    const message = nodeMessage(node)!;
    const [entry, kidsText] = await this.run(this.redis.multi().lindex(list, node.depth).hget(tree, childrenField(message.parent_id ?? null)));
    const kids = decodeChildren(kidsText as string | null);
    const updated: StoredMessage = { ...message, feedback, sibling_index: Math.max(0, kids.indexOf(messageId)), sibling_count: Math.max(1, kids.length) };
    const record = encodeNode(updated, node.depth);
    const tx = this.redis.multi().hset(tree, nodeField(messageId), record);
    if (entryId(entry as string | null) === messageId) {
      tx.lset(list, node.depth, pathEntry(record.slice(record.indexOf('|') + 1), updated.sibling_index!, updated.sibling_count!));
    }
    this.renew(tx, userId, sessionId);
    const session = await this.stateAfter(await this.readBack(tx, userId, sessionId), userId, sessionId);
    return session && updated;
  }

  /**
   * Removes a message and every message below it. When it was on the active path, the path falls
   * back to its parent and from there follows the newest remaining version down to a leaf. Reads
   * the whole tree (one round trip), writes in one MULTI. Null when there is no session.
   */
  async deleteMessage(userId: string, sessionId: string, messageId: string): Promise<StoredSession | null> {
    const session = await this.find(userId, sessionId);
    if (!session) return null;
    const tree = this.keys.messageTree(userId, sessionId);
    const list = this.keys.messages(userId, sessionId);
    const { nodes, children } = readTree(await this.redis.hgetall(tree));
    const target = nodes.get(messageId);
    if (!target) throw new NotFoundException(messageNotFound(messageId));
    const parentOf = (id: string) => decodeMessage(nodes.get(id)!.json)?.parent_id ?? null;
    const parent = parentOf(messageId);
    const removed: string[] = [];
    for (const queue = [messageId]; queue.length > 0; ) {
      const id = queue.pop()!;
      removed.push(id);
      queue.push(...(children.get(id) ?? []));
    }
    const kids = (children.get(parent) ?? []).filter((id) => id !== messageId);
    children.set(parent, kids);
    // The active path, from its leaf up.
    const path: string[] = [];
    for (let id = session.active_leaf_id ?? null; id !== null && nodes.has(id); id = parentOf(id)) path[nodes.get(id)!.depth] = id;
    const tx = this.redis.multi().hdel(tree, ...removed.flatMap((id) => [nodeField(id), childrenField(id)]));
    tx.hset(tree, childrenField(parent), JSON.stringify(kids));
    const entryOf = (id: string) => {
      const siblings = children.get(parentOf(id)) ?? [id];
      return pathEntry(nodes.get(id)!.json, siblings.indexOf(id), siblings.length);
    };
    let alsoSet: Record<string, string> | undefined;
    if (path[target.depth] === messageId) {
      const tail: string[] = [];
      let leaf = parent;
      for (let next = children.get(parent) ?? []; next.length > 0; next = children.get(leaf) ?? []) {
        leaf = next[next.length - 1];
        tail.push(entryOf(leaf));
      }
      tx.ltrim(list, 0, target.depth - 1);
      if (tail.length > 0) tx.rpushx(list, ...tail);
      alsoSet = { [LEAF_FIELD]: leaf ?? '', message_count: String(target.depth - 1 + tail.length) };
    } else if (path[target.depth] !== undefined && (parent === null || path[target.depth - 1] === parent)) {
      // The version on the path now has one sibling fewer.
      tx.lset(list, target.depth, entryOf(path[target.depth]));
    }
    this.renew(tx, userId, sessionId, Date.now(), alsoSet);
    return this.stateAfter(await this.readBack(tx, userId, sessionId), userId, sessionId);
  }

  private async requireNode(userId: string, sessionId: string, messageId: string): Promise<NodeRecord> {
    const node = decodeNode(await this.redis.hget(this.keys.messageTree(userId, sessionId), nodeField(messageId)));
    if (!node) throw new NotFoundException(messageNotFound(messageId));
    return node;
  }

  /**
   * From `id` up to the first message that is on the active path: the messages to put on the path
   * (top first) and the depth of that ancestor (0: none, the path starts again from the top). When
   * `id` itself is on the path, nodes is empty. One round trip per level climbed.
   */
  private async climb(userId: string, sessionId: string, id: string, node: NodeRecord): Promise<{ fork: number; nodes: PathNode[] }> {
    const tree = this.keys.messageTree(userId, sessionId);
    const list = this.keys.messages(userId, sessionId);
    const nodes: PathNode[] = [];
    for (let current = { id, node }; ; ) {
      const parentId = decodeMessage(current.node.json)?.parent_id ?? null;
      const tx = this.redis.multi().lindex(list, current.node.depth).hget(tree, childrenField(parentId));
      if (parentId !== null) tx.hget(tree, nodeField(parentId));
      const [entry, kidsText, parentText] = (await this.run(tx)) as Array<string | null>;
      if (entryId(entry) === current.id) return { fork: current.node.depth, nodes: nodes.reverse() };
      const kids = decodeChildren(kidsText);
      nodes.push({ id: current.id, json: current.node.json, depth: current.node.depth, index: Math.max(0, kids.indexOf(current.id)), count: Math.max(1, kids.length) });
      if (parentId === null) return { fork: 0, nodes: nodes.reverse() };
      const parent = decodeNode(parentText);
      if (!parent) throw new NotFoundException(messageNotFound(parentId));
      current = { id: parentId, node: parent };
    }
  }

  /** Below `id`, the newest child at each level down to a leaf. One round trip per level. */
  private async descend(userId: string, sessionId: string, id: string): Promise<PathNode[]> {
    const tree = this.keys.messageTree(userId, sessionId);
    const nodes: PathNode[] = [];
    let kids = decodeChildren(await this.redis.hget(tree, childrenField(id)));
    while (kids.length > 0) {
      const child = kids[kids.length - 1];
      const [text, below] = (await this.run(this.redis.multi().hget(tree, nodeField(child)).hget(tree, childrenField(child)))) as Array<string | null>;
      const node = decodeNode(text);
      if (!node) break;
      nodes.push({ id: child, json: node.json, depth: node.depth, index: kids.length - 1, count: kids.length });
      kids = decodeChildren(below);
    }
    return nodes;
  }

  /** Keeps the path up to depth `fork`, appends `nodes` below it, and makes `leaf` the active leaf: one MULTI. */
  private async writePath(userId: string, sessionId: string, fork: number, nodes: PathNode[], leaf: string | null): Promise<StoredSession | null> {
    const list = this.keys.messages(userId, sessionId);
    const tx = this.redis.multi().ltrim(list, 0, fork);
    if (nodes.length > 0) tx.rpushx(list, ...nodes.map((n) => pathEntry(n.json, n.index, n.count)));
    this.renew(tx, userId, sessionId, Date.now(), { [LEAF_FIELD]: leaf ?? '', message_count: String(fork + nodes.length) });
    return this.stateAfter(await this.readBack(tx, userId, sessionId), userId, sessionId);
  }

  /**
   * A session stored before the tree: each message's parent is the one before it in the list. The
   * list is rewritten with parent ids and sibling fields. Idempotent (two racing migrations write
   * the same). Returns the session as it is afterwards.
   */
  private async migrate(userId: string, sessionId: string): Promise<StoredSession | null> {
    const hash = this.keys.session(userId, sessionId);
    const list = this.keys.messages(userId, sessionId);
    const tree = this.keys.messageTree(userId, sessionId);
    const [raw, pttl] = (await this.run(this.redis.multi().lrange(list, 0, -1).pttl(list))) as [string[], number];
    const treeFields: Record<string, string> = { [childrenField(null)]: '[]' };
    const entries: string[] = [];
    let parent: string | null = null;
    decodeMessages(raw).forEach((message, i) => {
      const placed: StoredMessage = { ...message, parent_id: parent, sibling_index: 0, sibling_count: 1 };
      treeFields[nodeField(message.id)] = encodeNode(placed, i + 1);
      treeFields[childrenField(parent)] = JSON.stringify([message.id]);
      entries.push(encodeMessage(placed));
      parent = message.id;
    });
    const tx = this.redis.multi().del(tree).hset(tree, treeFields).del(list).rpush(list, HISTORY_HEAD, ...entries);
    if (pttl > 0) tx.pexpire(list, pttl).pexpire(tree, pttl);
    tx.hset(hash, { [LEAF_FIELD]: parent ?? '', message_count: String(entries.length) });
    return this.stateAfter(await this.readBack(tx, userId, sessionId), userId, sessionId);
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
      .expire(this.keys.messages(userId, id), this.ttl, 'XX')
      .expire(this.keys.messageTree(userId, id), this.ttl, 'XX');
  }

  /**
   * renew for a read, skipped when this process renewed the session less than readRenewIntervalMs
   * ago: the expiry moves at most that interval less far out and stays consistent with the stored
   * touched_at, and a busy session's reads stop writing to Redis on every request.
   */
  private renewOnRead(tx: StoreTransaction, userId: string, id: string): void {
    if (this.readRenewalDue(this.keys.session(userId, id))) this.renew(tx, userId, id);
  }

  /** Whether a read of the session with hash key `hash` renews its TTL (see renewOnRead). */
  private readRenewalDue(hash: string): boolean {
    const now = Date.now();
    const last = this.renewedAt.get(hash);
    return last === undefined || now - last < 0 || now - last >= this.readRenewIntervalMs;
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

}

export type AppendPointResult = AppendPoint;

/**
 * The session hash fields a page of history needs: those decodeSession requires to see a session,
 * then the active leaf (absent before the conversation tree: migrated first) and touched_at.
 */
const PAGE_SESSION_FIELDS = ['created_at', 'persona', 'display_name', LEAF_FIELD, 'touched_at'] as const;

/** A tree hash read whole: each message's record and each parent's children. */
function readTree(fields: Record<string, string>): { nodes: Map<string, NodeRecord>; children: Map<string | null, string[]> } {
  const nodes = new Map<string, NodeRecord>();
  const children = new Map<string | null, string[]>();
  for (const [field, value] of Object.entries(fields)) {
    if (field.startsWith('n:')) {
      const node = decodeNode(value);
      if (node) nodes.set(field.slice(2), node);
    } else if (field.startsWith('c:')) children.set(field.length === 2 ? null : field.slice(2), decodeChildren(value));
  }
  return { nodes, children };
}

/** HMGET's values of INDEXED_FIELDS as a hash (absent fields left out). */
function indexedHash(values: Array<string | null>): Record<string, string> {
  const hash: Record<string, string> = {};
  INDEXED_FIELDS.forEach((field, i) => {
    if (values[i] !== null && values[i] !== undefined) hash[field] = values[i] as string;
  });
  return hash;
}
