import { Inject, Injectable } from '@nestjs/common';
import { sessionsConfig, SessionsConfig } from '../config/config';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { RedisKeys } from '../redis/redis-keys';
import { repliesOf, Store, StoreTransaction } from '../redis/store';
import type { StoredMessage } from '../sessions/session.model';
import { encodePosting, encodeSessionNumber, postingTime, readPostings, readSessionNumbers, TermHit, TITLE_SEQ, writePostings } from './search-postings';
import { termsOf } from './text-analysis';

/** Index terms a query's last word (a prefix) expands to at most. */
export const MAX_PREFIX_TERMS = 32;
/** Expired sessions checked (and purged from the index) per search at most. */
const SWEEP_BATCH = 20;
/** Sessions with messages not yet indexed taken in per catch-up round at most (the most recently written first). */
export const PENDING_BATCH = 50;
/** Identities whose vocabulary and gone sessions a server keeps in memory (least recently searched dropped first). */
const CACHED_IDENTITIES = 256;
/** A log is compacted when it holds more than this many postings beyond twice its live sessions' entries. */
const COMPACT_SLACK = 256;
/** Legacy keys deleted per command when an index of the earlier layout is upgraded. */
const LEGACY_DELETE_CHUNK = 500;

/** A message taken into the index. */
export type IndexedMessage = Pick<StoredMessage, 'id' | 'content'> & { created_at?: number };

/** What the index holds of a session: its number, how many of its messages are indexed, the newest of them. */
export interface IndexState {
  number: number;
  count: number;
  lastId: string | null;
}

/** A pending session taken off the pending set by this catch-up. */
export interface Claim {
  sessionId: string;
  /** Null when the session has never been indexed (or was cleared or removed since). */
  state: IndexState | null;
  /** The session's title, null when the session has gone. */
  title: string | null;
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
  messages: IndexedMessage[];
}

/** Per term of a search, what its log holds of each live session. */
export type TermHits = Map<number, TermHit>;

/** An identity's vocabulary (sorted) and the numbers of its gone sessions, as far as read. */
interface IdentityCache {
  vocabularyBytes: number;
  terms: string[];
  goneBytes: number;
  gone: Set<number>;
}

/**
 * The full-text index of each identity's sessions, in the identity's hash slot and without any
 * Redis module. Written per batch, not per term and session:
 * - per term, a string of fixed-width postings (search-postings.ts): each indexing batch APPENDs,
 *   per term it holds, one posting per session using it (the session's number in the index, the
 *   position of the newest message holding it, when that was written). One APPEND per distinct term
 *   of the batch, all in one script call that receives only the terms and postings;
 * - per session, its state (number, messages indexed, newest indexed) and the list of its indexed
 *   message ids (a posting names a message by its position there);
 * - the identity's vocabulary (a string of terms, appended when a term's log is made) and its gone
 *   sessions (numbers appended on delete, clear and expiry: their postings are skipped when read and
 *   dropped when a log is compacted), both kept in memory per identity and read on from where the
 *   last search stopped; the session numbers' ids (HASH); the indexed sessions by when they were
 *   written (for the expiry sweep).
 * A search reads the logs of its terms whole (a log holds one posting per session and batch,
 * compacted to one per session when it has grown past twice that) and ranks in the server.
 *
 * Storing a message marks its session in the identity's "pending" set, in the same MULTI (one
 * small ZADD: the append stays cheap); the next search of that identity takes the pending sessions'
 * new messages into the index in one batch before it looks anything up.
 */
@Injectable()
export class SearchIndexRepository {
  private readonly ttlMs: number;
  private readonly caches = new Map<string, IdentityCache>();

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Store,
    private readonly keys: RedisKeys,
    @Inject(sessionsConfig.KEY) config: Pick<SessionsConfig, 'ttlSeconds'>,
  ) {
    this.ttlMs = config.ttlSeconds * 1000;
  }

  // ---- writes -------------------------------------------------------------------------------

  /** Queues, into the transaction that stores a message, the mark that its session has text to index. */
  addMessage(tx: StoreTransaction, userId: string, sessionId: string, _message: Pick<StoredMessage, 'content'>, now = Date.now()): void {
    tx.zadd(this.keys.searchPending(userId), now, sessionId);
  }

  /** Queues, into the transaction that makes a session, the mark that its title is to be indexed. */
  addTitle(tx: StoreTransaction, userId: string, sessionId: string, _title: string, now = Date.now()): void {
    tx.zadd(this.keys.searchPending(userId), now, sessionId);
  }

  /**
   * Queues the postings of a batch of sessions' messages (and the titles of those with a fresh
   * number), their message ids, states and numbers; a replaced number is recorded as gone.
   */
  writeBatch(tx: StoreTransaction, userId: string, items: BatchItem[], now = Date.now()): void {
    const postings = new Map<string, string[]>();
    const add = (term: string, posting: string) => {
      const list = postings.get(term);
      if (list) list.push(posting);
      else postings.set(term, [posting]);
    };
    const gone: string[] = [];
    for (const item of items) {
      if (item.replaces !== undefined) {
        gone.push(encodeSessionNumber(item.replaces));
        tx.hdel(this.keys.searchNumbers(userId), String(item.replaces));
      }
      const idsKey = this.keys.searchMessageIds(userId, item.sessionId);
      if (item.fresh) {
        tx.del(idsKey);
        tx.hset(this.keys.searchNumbers(userId), String(item.number), item.sessionId);
        const at = postingTime(now);
        for (const term of termsOf(item.title)) add(term, encodePosting(item.number, TITLE_SEQ, at));
      }
      // Per term, the newest message of the item holding it.
      const newest = new Map<string, { seq: number; at: number }>();
      item.messages.forEach((message, i) => {
        const at = postingTime(Number.isFinite(message.created_at) ? Math.min(message.created_at!, now) : now);
        for (const term of termsOf(message.content ?? '')) {
          const seen = newest.get(term);
          if (!seen || at >= seen.at) newest.set(term, { seq: item.firstSeq + i, at });
        }
      });
      for (const [term, { seq, at }] of newest) add(term, encodePosting(item.number, seq, at));
      if (item.messages.length > 0) tx.rpush(idsKey, ...item.messages.map((m) => m.id));
      const count = item.firstSeq + item.messages.length;
      const lastId = item.messages.length > 0 ? item.messages[item.messages.length - 1].id : '';
      tx.set(this.keys.searchState(userId, item.sessionId), `${item.number} ${count} ${lastId}`.trimEnd());
      tx.zadd(this.keys.searchSessions(userId), now, item.sessionId);
    }
    if (gone.length > 0) tx.append(this.keys.searchDead(userId), gone.join(''));
    if (postings.size > 0) {
      const args: string[] = [];
      for (const [term, list] of postings) args.push(term, list.join(''));
      tx.appendPostings(this.keys.searchVocabulary(userId), this.keys.searchLog(userId, ''), ...args);
    }
  }

  /** Gives out `count` new session numbers; the first. */
  async newNumbers(userId: string, count: number): Promise<number> {
    return (await this.redis.incrby(this.keys.searchNumberCounter(userId), count)) - count + 1;
  }

  /** Runs writeBatch. */
  async storeBatch(userId: string, items: BatchItem[]): Promise<void> {
    if (items.length === 0) return;
    const tx = this.redis.multi();
    this.writeBatch(tx, userId, items);
    repliesOf(await tx.exec());
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
   * marks them again): for each one this call took, its state in the index and its title. Sessions
   * another catch-up took first are left out.
   */
  async claim(userId: string, sessionIds: string[]): Promise<Claim[]> {
    const tx = this.redis.multi();
    for (const id of sessionIds) {
      tx.zrem(this.keys.searchPending(userId), id).get(this.keys.searchState(userId, id)).hmget(this.keys.session(userId, id), 'display_name', 'created_at');
    }
    const replies = repliesOf(await tx.exec());
    return sessionIds.flatMap((sessionId, i) => {
      const [taken, state, [title, created]] = replies.slice(3 * i, 3 * i + 3) as [number, string | null, Array<string | null>];
      if (taken === 0) return [];
      return [{ sessionId, state: parseState(state), title: created === null ? null : (title ?? '') }];
    });
  }

  /** A session was renamed: its new title's terms are indexed (the old title's are checked against the title when found). */
  async renameSession(userId: string, sessionId: string, title: string): Promise<void> {
    const state = parseState(await this.redis.get(this.keys.searchState(userId, sessionId)));
    if (!state) {
      await this.redis.zadd(this.keys.searchPending(userId), Date.now(), sessionId);
      return;
    }
    const posting = encodePosting(state.number, TITLE_SEQ, postingTime(Date.now()));
    const args = termsOf(title).flatMap((term) => [term, posting]);
    if (args.length > 0) await this.redis.appendPostings(this.keys.searchVocabulary(userId), this.keys.searchLog(userId, ''), ...args);
  }

  /** Removes the session from the index (deleted or expired session): its number is gone, its state and ids deleted. */
  async removeSession(userId: string, sessionId: string): Promise<void> {
    const state = parseState(await this.redis.get(this.keys.searchState(userId, sessionId)));
    const tx = this.redis.multi();
    if (state) tx.append(this.keys.searchDead(userId), encodeSessionNumber(state.number)).hdel(this.keys.searchNumbers(userId), String(state.number));
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

  /**
   * The identity's vocabulary and gone sessions, brought up to date: what was appended since the
   * last read is read (one round trip); all of it again when a string got shorter (restored).
   */
  private async identity(userId: string): Promise<IdentityCache> {
    let cache = this.caches.get(userId);
    if (cache) this.caches.delete(userId);
    else cache = { vocabularyBytes: 0, terms: [], goneBytes: 0, gone: new Set() };
    this.caches.set(userId, cache);
    if (this.caches.size > CACHED_IDENTITIES) this.caches.delete(this.caches.keys().next().value!);
    const vocabulary = this.keys.searchVocabulary(userId);
    const dead = this.keys.searchDead(userId);
    const [vocabularyLength, newTerms, goneLength, newGone] = repliesOf(
      await this.redis.multi().strlen(vocabulary).getrange(vocabulary, cache.vocabularyBytes, -1).strlen(dead).getrange(dead, cache.goneBytes, -1).exec(),
    ) as [number, string, number, string];
    if (vocabularyLength < cache.vocabularyBytes || goneLength < cache.goneBytes) {
      this.caches.delete(userId);
      return this.identity(userId);
    }
    if (newTerms.length > 0) {
      cache.vocabularyBytes += Buffer.byteLength(newTerms);
      cache.terms = mergeSorted(cache.terms, newTerms.split('\n').filter(Boolean).sort());
    }
    if (newGone.length > 0) {
      cache.goneBytes += newGone.length;
      readSessionNumbers(newGone, cache.gone);
    }
    return cache;
  }

  /** Index terms starting with `prefix` (at most MAX_PREFIX_TERMS). */
  async expandPrefix(userId: string, prefix: string): Promise<string[]> {
    const { terms } = await this.identity(userId);
    let lo = 0;
    let hi = terms.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (terms[mid] < prefix) lo = mid + 1;
      else hi = mid;
    }
    const found: string[] = [];
    for (let i = lo; i < terms.length && found.length < MAX_PREFIX_TERMS && terms[i].startsWith(prefix); i++) {
      // A term whose log was emptied and made again is on the vocabulary twice.
      if (terms[i] !== found[found.length - 1]) found.push(terms[i]);
    }
    return found;
  }

  /**
   * Per term, what its log holds of each live session (gone sessions skipped). A log holding many
   * more postings than that is compacted (replaced by one posting per session and kind, unless it
   * was appended to meanwhile).
   */
  async termHits(userId: string, terms: string[]): Promise<TermHits[]> {
    if (terms.length === 0) return [];
    const [{ gone }, logs] = await Promise.all([
      this.identity(userId),
      (async () => {
        const pipe = this.redis.pipeline();
        for (const term of terms) pipe.get(this.keys.searchLog(userId, term));
        return repliesOf(await pipe.exec()) as Array<string | null>;
      })(),
    ]);
    const compact = this.redis.pipeline();
    let compacting = 0;
    const hits = logs.map((log, i) => {
      const map: TermHits = new Map();
      if (!log) return map;
      const postings = readPostings(log, gone, map);
      if (postings > 2 * map.size + COMPACT_SLACK) {
        compact.replaceIfLength(this.keys.searchLog(userId, terms[i]), log.length, writePostings(map));
        compacting++;
      }
      return map;
    });
    if (compacting > 0) repliesOf(await compact.exec());
    return hits;
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

  /** The ids of indexed messages, by session and position (null where there is none). */
  async messageIds(userId: string, refs: Array<{ sessionId: string; seq: number }>): Promise<Array<string | null>> {
    if (refs.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const { sessionId, seq } of refs) pipe.lindex(this.keys.searchMessageIds(userId, sessionId), seq);
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
}

function parseState(text: string | null): IndexState | null {
  if (!text) return null;
  const [number, count, lastId] = text.split(' ');
  const n = Number(number);
  if (!Number.isInteger(n) || n <= 0) return null;
  return { number: n, count: Number(count) || 0, lastId: lastId || null };
}

/** Two sorted arrays as one. */
function mergeSorted(a: string[], b: string[]): string[] {
  if (a.length === 0) return b;
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i] <= b[j])) out.push(a[i++]);
    else out.push(b[j++]);
  }
  return out;
}
