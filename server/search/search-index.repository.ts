import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { sessionsConfig, SessionsConfig } from '../config/config';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { RedisKeys } from '../redis/redis-keys';
import { repliesOf, Store, StoreTransaction } from '../redis/store';
import type { StoredMessage } from '../sessions/session.model';
import { blockOf, blocksRange, buildSegment, BuiltSegment, decodeFixed, decodePostings, encodeFixed, encodePostings, linesOf, mergeSegments, Postings, SegmentIndex, TITLE_SEQ } from './search-segments';
import { termsOf } from './text-analysis';

/** Index terms a query's last word (a prefix) expands to at most. */
export const MAX_PREFIX_TERMS = 32;
/** Expired sessions checked (and purged from the index) per search at most. */
const SWEEP_BATCH = 20;
/** Sessions with messages not yet indexed taken in per catch-up round at most (the most recently written first). */
export const PENDING_BATCH = 50;
/** Segments of a level merged into one of the next level once there are this many. */
export const MERGE_FANOUT = 8;
/** Segments of this level are not merged further (bounds a segment's size, and a merge's: 8^2 batches). */
export const MAX_MERGE_LEVEL = 2;
/** A merged segment's sources are deleted this long after the merge (a search that read the old list may still read them). */
const RETIRED_GRACE_MS = 60_000;
/** How long a server may hold an identity's catch-up lock. */
const CATCH_UP_LOCK_MS = 30_000;
/** How long a server may hold an identity's merge lock. */
const MERGE_LOCK_MS = 60_000;
/** Blocks read at once where a prefix's terms begin. */
const PREFIX_BLOCKS = 2;
/** Sparse indexes of segments a server keeps in memory (entries; least recently used dropped first). */
const CACHED_INDEX_ENTRIES = 500_000;
/** Identities whose gone sessions a server keeps in memory. */
const CACHED_IDENTITIES = 256;
/** Letters of a time in the times string (seconds since SEARCH_EPOCH). */
const TIME_LETTERS = 5;
/** 2024-01-01T00:00:00Z, in seconds. */
export const SEARCH_EPOCH = 1_704_067_200;
const MAX_TIME = 64 ** TIME_LETTERS - 1;
/** Legacy keys deleted per command when an index of the earlier layout is upgraded. */
const LEGACY_DELETE_CHUNK = 500;

/** A message taken into the index. */
export type IndexedMessage = Pick<StoredMessage, 'id' | 'content'> & { created_at?: number };

/** What the index holds of a session: its number, how many of its messages are indexed, its change stamp then, the newest indexed. */
export interface IndexState {
  number: number;
  count: number;
  stamp: string;
  lastId: string | null;
}

/** A pending session taken off the pending set by this catch-up. */
export interface Claim {
  sessionId: string;
  /** Null when the session has never been indexed (or was cleared or removed since). */
  state: IndexState | null;
  /** The session's title, null when the session has gone. */
  title: string | null;
  /** The session's change stamp (last activity and message count). */
  stamp: string;
  /** The session's message count. */
  messageCount: number;
}

/** One session's part of an indexing batch. */
export interface BatchItem {
  sessionId: string;
  number: number;
  /** True when `number` is new to the session: its title is indexed and its number recorded. */
  fresh: boolean;
  /** The number the session had before (indexed again from scratch), whose postings are now dead. */
  replaces?: number;
  /** Messages indexed before these (their positions start here). */
  firstSeq: number;
  /** The title, indexed when `fresh`. */
  title: string;
  /** The session's change stamp when read (changeStamp), recorded in its state. */
  stamp: string;
  messages: IndexedMessage[];
}

/** Per session number, the newest message's position + 1 holding a term (TITLE_SEQ: its title). */
export type TermHits = Postings;

/** What a search reads of the index: the prefix's expansions, and the hits of each word, then of each expansion. */
export interface Lookup {
  expansions: string[];
  hits: TermHits[];
}

interface SegmentMeta {
  id: number;
  level: number;
  messages: number;
}

/** Seconds since SEARCH_EPOCH of a time in ms, within what the times string holds. */
export function indexTime(ms: number): number {
  return Math.min(Math.max(Math.floor(ms / 1000) - SEARCH_EPOCH, 0), MAX_TIME);
}

/**
 * The full-text index of each identity's sessions, in the identity's hash slot and without any
 * Redis module, written per batch rather than per term:
 * - each batch of new messages (a search's catch-up) is one immutable segment: a string of sorted
 *   lines `term \t postings` and its sparse index (search-segments.ts), written with two SETs; a
 *   level's segments are merged into one of the next level once there are MERGE_FANOUT of them
 *   (read, merged and written by a server holding the identity's merge lock), so a search reads a
 *   bounded number of segments, each one block per term (one GETRANGE, the sparse index cached);
 * - per session, its state (number, messages indexed, change stamp, newest indexed) and the list
 *   of its indexed message ids (a posting names a message by its position there); per session number, its id
 *   (HASH) and when the session was last written (the times string, for ranking);
 * - the numbers of gone sessions (deleted, cleared, expired) appended to a string: their postings
 *   are skipped when read and dropped when merged;
 * - sessions made, imported, cleared or renamed before being indexed (pending), and the indexed
 *   sessions by when they were first indexed (for the expiry sweep).
 * Storing a message writes nothing for the index: a catch-up finds the sessions written since the
 * last one by their scores in the session lists (which every stored message moves) and tells
 * new messages by each session's change stamp (last activity and message count).
 * Redis runs one command per batch for the postings, whatever the number of terms: a command per
 * term costs 1.5–2.5 µs of Redis time, some 6 of them per message (bench/search/README.md).
 */
@Injectable()
export class SearchIndexRepository implements BeforeApplicationShutdown {
  private readonly logger = new Logger(SearchIndexRepository.name);
  private readonly ttlMs: number;
  /** Sparse indexes by segment key (segments are immutable: never stale). */
  private readonly indexes = new Map<string, SegmentIndex>();
  private indexEntries = 0;
  /** Gone session numbers per identity, and how much of the string was read. */
  private readonly gone = new Map<string, { bytes: number; numbers: Set<number> }>();
  /** This server's background merges, by identity; identities written again while theirs ran. */
  private readonly merging = new Map<string, Promise<void>>();
  private readonly mergeAgain = new Set<string>();
  /** Per identity, the scan point of its catch-ups as this server last read or wrote it (a stale one only widens a scan). */
  private readonly throughs = new Map<string, number>();

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Store,
    private readonly keys: RedisKeys,
    @Inject(sessionsConfig.KEY) config: Pick<SessionsConfig, 'ttlSeconds'>,
  ) {
    this.ttlMs = config.ttlSeconds * 1000;
  }

  // ---- writes -------------------------------------------------------------------------------

  /**
   * Queues, into the transaction that makes a session (with its title, and messages for an import
   * or fork), the mark that it is to be indexed at the next catch-up.
   */
  markPending(tx: StoreTransaction, userId: string, sessionId: string, now = Date.now()): void {
    tx.zadd(this.keys.searchPending(userId), now, sessionId);
  }

  /** Gives out `count` new session numbers (the first) and a segment id, in one round trip. */
  async allocate(userId: string, numbers: number): Promise<{ firstNumber: number; segmentId: number }> {
    const tx = this.redis.multi();
    if (numbers > 0) tx.incrby(this.keys.searchNumberCounter(userId), numbers);
    tx.incr(this.keys.searchSegmentCounter(userId));
    const replies = repliesOf(await tx.exec()) as number[];
    return { firstNumber: numbers > 0 ? replies[0] - numbers + 1 : 0, segmentId: replies[replies.length - 1] };
  }

  /**
   * Queues a batch: its postings as the segment `segmentId` (level 0), the sessions' message ids,
   * states, numbers and times; a replaced number is recorded as gone.
   */
  writeBatch(tx: StoreTransaction, userId: string, items: BatchItem[], segmentId: number, now = Date.now()): void {
    this.writeSessions(tx, userId, items, now);
    const segment = batchSegment(items);
    if (segment) this.writeSegment(tx, userId, segmentId, segment, 0, items.reduce((n, item) => n + item.messages.length, 0));
  }

  /** Sessions written since this (ms) are yet to be checked for new messages (as this server last read or wrote it). */
  async through(userId: string): Promise<number> {
    let at = this.throughs.get(userId);
    if (at === undefined) {
      at = Number(await this.redis.get(this.keys.searchThrough(userId))) || 0;
      this.remember(userId, at);
    }
    return at;
  }

  private remember(userId: string, at: number): void {
    this.throughs.delete(userId);
    this.throughs.set(userId, at);
    if (this.throughs.size > CACHED_IDENTITIES) this.throughs.delete(this.throughs.keys().next().value!);
  }

  /** Queues: sessions written before `at` (ms) have been checked. */
  setThrough(tx: StoreTransaction, userId: string, at: number): void {
    tx.set(this.keys.searchThrough(userId), String(at));
  }

  /** Records that sessions written before `at` (ms) have been checked. */
  async setThroughNow(userId: string, at: number): Promise<void> {
    await this.redis.set(this.keys.searchThrough(userId), String(at));
    this.remember(userId, at);
  }

  /** The identity's catch-up lock (its token), or null when another catch-up holds it. */
  lockCatchUp(userId: string): Promise<string | null> {
    return this.tryLock(this.keys.searchCatchUpLock(userId), CATCH_UP_LOCK_MS);
  }

  /** Takes `key` as a lock for `ms` (its token), or null when another holder has it. */
  private async tryLock(key: string, ms: number): Promise<string | null> {
    const token = randomUUID();
    return (await this.redis.set(key, token, 'PX', ms, 'NX')) === 'OK' ? token : null;
  }

  /** Releases the catch-up lock and, for a catch-up that looked at every written session, records when it started: one round trip. */
  async finishCatchUp(userId: string, lock: string, startedAt: number | null): Promise<void> {
    const tx = this.redis.multi();
    if (startedAt !== null) this.setThrough(tx, userId, startedAt);
    tx.releaseLock(this.keys.searchCatchUpLock(userId), lock);
    repliesOf(await tx.exec());
    if (startedAt !== null) this.remember(userId, startedAt);
  }

  /**
   * Sessions written at or after `since` (ms), by their activity time, from the identity's session
   * lists (main, pinned, archived: a stored message moves its session's score there, no other
   * write needed), `count` per list from `offset` on; `more` when a list may hold more.
   */
  async activeSince(userId: string, since: number, offset: number, count: number): Promise<{ sessions: Set<string>; more: boolean }> {
    const pipe = this.redis.pipeline();
    const lists = [this.keys.sessionIndex(userId), this.keys.pinnedSessionIndex(userId), this.keys.archivedSessionIndex(userId)];
    for (const key of lists) pipe.zrevrangebyscore(key, '+inf', since, 'WITHSCORES', 'LIMIT', offset, count);
    const replies = repliesOf(await pipe.exec()) as string[][];
    const sessions = new Set<string>();
    for (const flat of replies) for (let i = 0; i < flat.length; i += 2) sessions.add(flat[i]);
    return { sessions, more: replies.some((flat) => flat.length === 2 * count) };
  }

  /** Queues the batch's sessions' message ids, states, numbers and times (writeBatch without the segment). */
  writeSessions(tx: StoreTransaction, userId: string, items: BatchItem[], now = Date.now()): void {
    const gone: string[] = [];
    for (const item of items) {
      if (item.replaces !== undefined) {
        gone.push(encodeFixed(item.replaces, 4));
        tx.hdel(this.keys.searchNumbers(userId), String(item.replaces));
      }
      const idsKey = this.keys.searchMessageIds(userId, item.sessionId);
      if (item.fresh) {
        tx.del(idsKey);
        tx.hset(this.keys.searchNumbers(userId), String(item.number), item.sessionId);
      }
      let newest = item.fresh ? now : -1;
      for (const message of item.messages) newest = Math.max(newest, Number.isFinite(message.created_at) ? Math.min(message.created_at!, now) : now);
      if (item.messages.length > 0) tx.rpush(idsKey, ...item.messages.map((m) => m.id));
      const count = item.firstSeq + item.messages.length;
      const lastId = item.messages.length > 0 ? item.messages[item.messages.length - 1].id : '';
      tx.set(this.keys.searchState(userId, item.sessionId), `${item.number} ${count} ${item.stamp} ${lastId}`.trimEnd());
      // Listed for the expiry sweep when first indexed (the sweep marks sessions still there as checked).
      if (item.fresh) tx.zadd(this.keys.searchSessions(userId), now, item.sessionId);
      if (newest >= 0) tx.setrange(this.keys.searchTimes(userId), TIME_LETTERS * item.number, encodeFixed(indexTime(newest), TIME_LETTERS));
    }
    if (gone.length > 0) tx.append(this.keys.searchDead(userId), gone.join(''));
  }

  /** Queues a segment and its entry in the identity's list. */
  writeSegment(tx: StoreTransaction, userId: string, segmentId: number, built: BuiltSegment, level: number, messages: number): void {
    if (built.lines === 0) return;
    tx.set(this.keys.searchSegment(userId, segmentId), built.data);
    tx.set(this.keys.searchSegmentIndex(userId, segmentId), JSON.stringify(built.index));
    tx.hset(this.keys.searchSegments(userId), String(segmentId), `${level} ${messages}`);
  }

  /** Writes a batch (its numbers and segment id given out already), then merges segments where a level is full. */
  async storeBatch(userId: string, items: BatchItem[], segmentId: number): Promise<void> {
    if (items.length === 0) return;
    const tx = this.redis.multi();
    this.writeBatch(tx, userId, items, segmentId);
    repliesOf(await tx.exec());
    if (segmentId > 0) this.scheduleMerge(userId); // 0: no segment (states alone)
  }

  /**
   * Merges the identity's segments in the background (merge), once at a time per identity in this
   * server; asked again while one runs, it runs once more after.
   */
  scheduleMerge(userId: string): void {
    if (this.merging.has(userId)) {
      this.mergeAgain.add(userId);
      return;
    }
    const run = this.merge(userId)
      .catch((error: unknown) => this.warn('merge', error))
      .finally(() => {
        this.merging.delete(userId);
        if (this.mergeAgain.delete(userId)) this.scheduleMerge(userId);
      });
    this.merging.set(userId, run);
  }

  /** Resolves once this server runs no background merge (benchmarks and tests wait for it; so does shutdown). */
  async settled(): Promise<void> {
    while (this.merging.size > 0) await Promise.all([...this.merging.values()]);
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.settled();
  }

  /**
   * Sessions with messages (or a title) not indexed yet, at most PENDING_BATCH, most recently
   * written first; an index of the earlier layout is upgraded first (all its sessions pending).
   */
  async pendingSessions(userId: string): Promise<string[]> {
    const [flat, legacy] = repliesOf(
      await this.redis
        .multi()
        .zrevrangebyscore(this.keys.searchPending(userId), '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, PENDING_BATCH)
        .exists(this.keys.searchLegacyVocabulary(userId))
        .exec(),
    ) as [string[], number];
    if (legacy > 0) {
      await this.upgradeLegacy(userId);
      return this.pendingSessions(userId);
    }
    return flat.filter((_v, i) => i % 2 === 0);
  }

  /**
   * Takes sessions off the pending set before their messages are read (a message stored meanwhile
   * is found by the next catch-up): for each session pending, or `active` with a change stamp other
   * than its state records, its state in the index, title and change stamp. Others are left out.
   */
  async claim(userId: string, sessionIds: string[], active: ReadonlySet<string>): Promise<Claim[]> {
    const tx = this.redis.multi();
    for (const id of sessionIds) {
      tx.zrem(this.keys.searchPending(userId), id).get(this.keys.searchState(userId, id)).hmget(this.keys.session(userId, id), 'display_name', 'created_at', 'last_activity', 'message_count');
    }
    const replies = repliesOf(await tx.exec());
    return sessionIds.flatMap((sessionId, i) => {
      const [taken, text, [title, created, activity, count]] = replies.slice(3 * i, 3 * i + 3) as [number, string | null, Array<string | null>];
      const state = parseState(text);
      const stamp = changeStamp(activity, count);
      if (taken === 0 && (!active.has(sessionId) || state?.stamp === stamp)) return [];
      return [{ sessionId, state, title: created === null ? null : (title ?? ''), stamp, messageCount: Number(count) || 0 }];
    });
  }

  /** A session was renamed: its new title's terms are indexed (a segment of their own); the old title's are checked against the title when found. */
  async renameSession(userId: string, sessionId: string, title: string): Promise<void> {
    const state = parseState(await this.redis.get(this.keys.searchState(userId, sessionId)));
    if (!state) {
      await this.redis.zadd(this.keys.searchPending(userId), Date.now(), sessionId);
      return;
    }
    const terms = termsOf(title);
    if (terms.length === 0) return;
    const { segmentId } = await this.allocate(userId, 0);
    const tx = this.redis.multi();
    const line = encodePostings(new Map([[state.number, TITLE_SEQ]]));
    this.writeSegment(tx, userId, segmentId, buildSegment(new Map(terms.map((t) => [t, line]))), 0, 0);
    repliesOf(await tx.exec());
    this.scheduleMerge(userId);
  }

  /** Removes the session from the index (deleted or expired session): its number is gone, its state and ids deleted. */
  async removeSession(userId: string, sessionId: string): Promise<void> {
    const state = parseState(await this.redis.get(this.keys.searchState(userId, sessionId)));
    const tx = this.redis.multi();
    if (state) tx.append(this.keys.searchDead(userId), encodeFixed(state.number, 4)).hdel(this.keys.searchNumbers(userId), String(state.number));
    tx.del(this.keys.searchState(userId, sessionId), this.keys.searchMessageIds(userId, sessionId), ...this.keys.searchLegacySessionKeys(userId, sessionId));
    tx.zrem(this.keys.searchSessions(userId), sessionId).zrem(this.keys.searchPending(userId), sessionId);
    repliesOf(await tx.exec());
  }

  /** The session's history was cleared: it is indexed again from its title alone, under a new number. */
  async clearSession(userId: string, sessionId: string, _title: string): Promise<void> {
    await this.removeSession(userId, sessionId);
    await this.redis.zadd(this.keys.searchPending(userId), Date.now(), sessionId);
  }

  /**
   * Merges the oldest MERGE_FANOUT segments of a level below MAX_MERGE_LEVEL into one of the next
   * level while a level has that many, under the identity's merge lock (another server merging:
   * left to it); then deletes segments merged more than RETIRED_GRACE_MS ago.
   */
  async merge(userId: string): Promise<void> {
    const lock = this.keys.searchMergeLock(userId);
    let token: string | null = null;
    try {
      for (;;) {
        const metas = await this.segments(userId);
        const due = dueMerge(metas);
        if (!due) break;
        if (token === null) {
          token = await this.tryLock(lock, MERGE_LOCK_MS);
          if (token === null) return;
          continue; // read the list again under the lock
        }
        const pipe = this.redis.pipeline();
        for (const m of due) pipe.get(this.keys.searchSegment(userId, m.id));
        const texts = repliesOf(await pipe.exec()) as Array<string | null>;
        const { numbers: gone } = await this.goneOf(userId);
        const built = await mergeSegments(texts.map((t) => t ?? ''), gone);
        const { segmentId } = await this.allocate(userId, 0);
        const level = due[0].level + 1;
        const tx = this.redis.multi();
        this.writeSegment(tx, userId, segmentId, built, level, due.reduce((n, m) => n + m.messages, 0));
        tx.hdel(this.keys.searchSegments(userId), ...due.map((m) => String(m.id)));
        tx.zadd(this.keys.searchRetired(userId), ...due.flatMap((m) => [Date.now(), String(m.id)]));
        repliesOf(await tx.exec());
      }
    } finally {
      if (token !== null) await this.redis.releaseLock(lock, token);
    }
    await this.deleteRetired(userId);
  }

  private async deleteRetired(userId: string): Promise<void> {
    const key = this.keys.searchRetired(userId);
    const old = await this.redis.zrevrangebyscore(key, Date.now() - RETIRED_GRACE_MS, '-inf', 'WITHSCORES', 'LIMIT', 0, 1000);
    const ids = old.filter((_v, i) => i % 2 === 0);
    if (ids.length === 0) return;
    const tx = this.redis.multi();
    tx.del(...ids.flatMap((id) => [this.keys.searchSegment(userId, Number(id)), this.keys.searchSegmentIndex(userId, Number(id))]));
    tx.zrem(key, ...ids);
    repliesOf(await tx.exec());
  }

  /**
   * Deletes an index of the earlier layout (a ZSET per term) and marks every session it held as
   * pending, so that the following catch-ups index them in this layout.
   */
  private async upgradeLegacy(userId: string): Promise<void> {
    const vocabulary = this.keys.searchLegacyVocabulary(userId);
    const [terms, sessions] = await Promise.all([this.redis.zrange(vocabulary, 0, -1), this.redis.zrange(this.keys.searchSessions(userId), 0, -1)]);
    for (let i = 0; i < terms.length; i += LEGACY_DELETE_CHUNK) {
      await this.redis.del(...terms.slice(i, i + LEGACY_DELETE_CHUNK).map((t) => this.keys.searchLegacyTerm(userId, t)));
    }
    const now = Date.now();
    for (let i = 0; i < sessions.length; i += LEGACY_DELETE_CHUNK) {
      const chunk = sessions.slice(i, i + LEGACY_DELETE_CHUNK);
      const tx = this.redis.multi();
      tx.del(...chunk.flatMap((id) => this.keys.searchLegacySessionKeys(userId, id)));
      tx.zadd(this.keys.searchPending(userId), ...chunk.flatMap((id) => [now, id]));
      repliesOf(await tx.exec());
    }
    await this.redis.del(vocabulary);
  }

  // ---- reads --------------------------------------------------------------------------------

  /** The identity's live segments, oldest first. */
  private async segments(userId: string): Promise<SegmentMeta[]> {
    const all = await this.redis.hgetall(this.keys.searchSegments(userId));
    return Object.entries(all)
      .map(([id, meta]) => {
        const [level, messages] = meta.split(' ').map(Number);
        return { id: Number(id), level, messages };
      })
      .sort((a, b) => a.id - b.id);
  }

  /** The identity's gone session numbers, read on from where the last read stopped (all again when the string got shorter). */
  private async goneOf(userId: string): Promise<{ numbers: Set<number> }> {
    let cache = this.gone.get(userId);
    if (cache) this.gone.delete(userId);
    else cache = { bytes: 0, numbers: new Set() };
    this.gone.set(userId, cache);
    if (this.gone.size > CACHED_IDENTITIES) this.gone.delete(this.gone.keys().next().value!);
    const key = this.keys.searchDead(userId);
    const [length, added] = repliesOf(await this.redis.multi().strlen(key).getrange(key, cache.bytes, -1).exec()) as [number, string];
    if (length < cache.bytes) {
      this.gone.delete(userId);
      return this.goneOf(userId);
    }
    cache.bytes += added.length;
    for (let at = 0; at + 4 <= added.length; at += 4) {
      const n = decodeFixed(added, at, 4);
      if (n > 0) cache.numbers.add(n);
    }
    return cache;
  }

  /** The sparse indexes of these segments (cached; read when missing; null for a segment deleted meanwhile). */
  private async indexesOf(userId: string, metas: SegmentMeta[]): Promise<Array<SegmentIndex | null>> {
    const keys = metas.map((m) => this.keys.searchSegmentIndex(userId, m.id));
    const missing = keys.filter((k) => !this.indexes.has(k));
    if (missing.length > 0) {
      const pipe = this.redis.pipeline();
      for (const key of missing) pipe.get(key);
      const replies = repliesOf(await pipe.exec()) as Array<string | null>;
      missing.forEach((key, i) => {
        if (replies[i] === null) return;
        const index = JSON.parse(replies[i]!) as SegmentIndex;
        this.indexes.set(key, index);
        this.indexEntries += index.length;
      });
      while (this.indexEntries > CACHED_INDEX_ENTRIES && this.indexes.size > 0) {
        const [oldest, index] = this.indexes.entries().next().value!;
        this.indexes.delete(oldest);
        this.indexEntries -= index.length;
      }
    }
    return keys.map((key) => {
      const index = this.indexes.get(key);
      if (index) {
        this.indexes.delete(key); // most recently used last
        this.indexes.set(key, index);
      }
      return index ?? null;
    });
  }

  /**
   * What the index holds of `words` and of the terms starting with `prefix` (the first
   * MAX_PREFIX_TERMS of them): per term, each live session's newest message holding it. Per
   * segment one block per word (and a few where the prefix's terms begin), all read in one round
   * trip once the segments' sparse indexes are known.
   */
  async lookup(userId: string, words: string[], prefix: string | null): Promise<Lookup> {
    const [metas, { numbers: gone }] = await Promise.all([this.segments(userId), this.goneOf(userId)]);
    const indexes = await this.indexesOf(userId, metas);
    // Per segment: the lines read so far of the blocks holding the words and the prefix.
    const wordLines = words.map(() => [] as Array<{ text: string; start: number; end: number }>);
    const prefixLines = new Map<string, Array<{ text: string; start: number; end: number }>>();
    type Read = { segment: number; from: number; count: number; prefixOnly: boolean };
    let reads: Read[] = [];
    metas.forEach((_m, s) => {
      const index = indexes[s];
      if (!index) return;
      const blocks = new Set(words.map((w) => blockOf(index, w)));
      for (const from of blocks) reads.push({ segment: s, from, count: 1, prefixOnly: false });
      if (prefix !== null) reads.push({ segment: s, from: blockOf(index, prefix), count: PREFIX_BLOCKS, prefixOnly: true });
    });
    while (reads.length > 0) {
      const pipe = this.redis.pipeline();
      const ranges = reads.map((r) => blocksRange(indexes[r.segment]!, r.from, r.count));
      reads.forEach((r, i) => {
        const range = ranges[i];
        if (range) pipe.getrange(this.keys.searchSegment(userId, metas[r.segment].id), range[0], range[1]);
      });
      const texts = repliesOf(await pipe.exec()) as string[];
      const more: Read[] = [];
      let next = 0;
      reads.forEach((r, i) => {
        if (!ranges[i]) return;
        const text = texts[next++];
        let last: string | null = null;
        let found = 0;
        for (const line of linesOf(text)) {
          last = line.term;
          if (!r.prefixOnly) {
            words.forEach((w, j) => {
              if (line.term === w) wordLines[j].push({ text, start: line.start, end: line.end });
            });
          }
          if (prefix !== null && r.prefixOnly && line.term.startsWith(prefix)) {
            found++;
            const list = prefixLines.get(line.term);
            if (list) list.push({ text, start: line.start, end: line.end });
            else prefixLines.set(line.term, [{ text, start: line.start, end: line.end }]);
          }
        }
        // The prefix's terms may go on past these blocks.
        if (r.prefixOnly && last !== null && (last < prefix! || last.startsWith(prefix!)) && found < MAX_PREFIX_TERMS) {
          more.push({ ...r, from: r.from + r.count, count: r.count * 2 });
        }
      });
      reads = more;
    }
    const expansions = [...prefixLines.keys()].sort().slice(0, MAX_PREFIX_TERMS);
    const hitsOf = (lines: Array<{ text: string; start: number; end: number }>) => {
      const hits: TermHits = new Map();
      for (const { text, start, end } of lines) decodePostings(text, hits, gone, start, end);
      return hits;
    };
    return { expansions, hits: [...wordLines.map(hitsOf), ...expansions.map((t) => hitsOf(prefixLines.get(t)!))] };
  }

  /** When each session was last written (seconds since SEARCH_EPOCH; -1 unknown), by number. */
  async times(userId: string): Promise<(number: number) => number> {
    const text = (await this.redis.get(this.keys.searchTimes(userId))) ?? '';
    return (number) => (TIME_LETTERS * (number + 1) <= text.length ? decodeFixed(text, TIME_LETTERS * number, TIME_LETTERS) : -1);
  }

  /** The number the session has in the index, or null. */
  async numberOf(userId: string, sessionId: string): Promise<number | null> {
    return parseState(await this.redis.get(this.keys.searchState(userId, sessionId)))?.number ?? null;
  }

  /** The session ids of these numbers (null where the number is no longer any session's). */
  async sessionIds(userId: string, numbers: number[]): Promise<Array<string | null>> {
    if (numbers.length === 0) return [];
    return this.redis.hmget(this.keys.searchNumbers(userId), ...numbers.map(String));
  }

  /** Each session's title, or null when its hash has gone (expired or deleted). */
  async titles(userId: string, sessionIds: string[]): Promise<Array<string | null>> {
    if (sessionIds.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of sessionIds) pipe.hmget(this.keys.session(userId, id), 'display_name', 'created_at');
    const replies = repliesOf(await pipe.exec()) as Array<Array<string | null>>;
    return replies.map(([name, created]) => (created === null ? null : (name ?? '')));
  }

  /** The ids of indexed messages, by session and position + 1 (null where there is none). */
  async messageIds(userId: string, refs: Array<{ sessionId: string; seq: number }>): Promise<Array<string | null>> {
    if (refs.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const { sessionId, seq } of refs) pipe.lindex(this.keys.searchMessageIds(userId, sessionId), seq - 1);
    return repliesOf(await pipe.exec()) as Array<string | null>;
  }

  /**
   * Purges from the index a few sessions not written for longer than the session TTL whose hash
   * has gone (they expired); those still there (pinned, or read since) are marked as checked now.
   */
  async sweepExpired(userId: string, now = Date.now()): Promise<void> {
    if (this.ttlMs <= 0) return;
    const key = this.keys.searchSessions(userId);
    const flat = await this.redis.zrevrangebyscore(key, now - this.ttlMs, '-inf', 'WITHSCORES', 'LIMIT', 0, SWEEP_BATCH);
    const ids = flat.filter((_v, i) => i % 2 === 0);
    const titles = await this.titles(userId, ids);
    const alive = this.redis.multi();
    for (const [i, id] of ids.entries()) {
      if (titles[i] === null) await this.removeSession(userId, id);
      else alive.zadd(key, now, id);
    }
    repliesOf(await alive.exec());
  }

  /** Logs a failed background step of the index. */
  warn(what: string, error: unknown): void {
    this.logger.warn(`Search index ${what} failed: ${String(error)}`);
  }
}

/** The segment of a batch's postings: per term, each session's newest message holding it, the title's terms for sessions with a fresh number. Null when it holds no term. */
export function batchSegment(items: BatchItem[]): BuiltSegment | null {
  const postings = new Map<string, Postings>();
  const add = (term: string, number: number, seq: number) => {
    let p = postings.get(term);
    if (!p) postings.set(term, (p = new Map()));
    if ((p.get(number) ?? -1) < seq) p.set(number, seq);
  };
  for (const item of items) {
    if (item.fresh) for (const term of termsOf(item.title)) add(term, item.number, TITLE_SEQ);
    item.messages.forEach((message, i) => {
      for (const term of termsOf(message.content ?? '')) add(term, item.number, item.firstSeq + i + 1);
    });
  }
  if (postings.size === 0) return null;
  const lines = new Map<string, string>();
  for (const [term, p] of postings) lines.set(term, encodePostings(p));
  return buildSegment(lines);
}

/** The oldest MERGE_FANOUT segments of the lowest level that has that many, or null. */
export function dueMerge<M extends { level: number }>(metas: M[]): M[] | null {
  for (let level = 0; level < MAX_MERGE_LEVEL; level++) {
    const at = metas.filter((m) => m.level === level);
    if (at.length >= MERGE_FANOUT) return at.slice(0, MERGE_FANOUT);
  }
  return null;
}

function parseState(text: string | null): IndexState | null {
  if (!text) return null;
  const [number, count, stamp, lastId] = text.split(' ');
  const n = Number(number);
  if (!Number.isInteger(n) || n <= 0) return null;
  return { number: n, count: Number(count) || 0, stamp: stamp ?? '', lastId: lastId || null };
}

/** What changes in a session with every stored message: its last activity and message count (two messages may share a millisecond). */
export function changeStamp(lastActivity: string | number | null, messageCount: string | number | null): string {
  return `${lastActivity ?? 0}.${messageCount ?? 0}`;
}
