import { Inject, Injectable } from '@nestjs/common';
import { sessionsConfig, SessionsConfig } from '../config/config';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { RedisKeys } from '../redis/redis-keys';
import { repliesOf, Store, StoreTransaction } from '../redis/store';
import type { SessionListPosition } from '../sessions/cursor';
import type { StoredMessage } from '../sessions/session.model';
import { ParsedQuery, termsOf } from './text-analysis';

/**
 * Score of a session in a term's set: WORD_SCORE plus when the session last used the term (ms,
 * < 10^13 until the year 2286). A search adds up, per session, the scores of the query words it
 * holds, so one number sorts by "words matched, then how recently they were used" and stays an
 * exact integer (< 2^53 for up to 8 words: 8 × (10^14 + 10^13) < 9 × 10^15).
 */
export const WORD_SCORE = 1e14;
/** Index terms a query's last word (a prefix) expands to at most. */
export const MAX_PREFIX_TERMS = 32;
/** Fields written per HSET of a session's term pointers. */
const HSET_CHUNK = 64;
/** Candidates read after a cursor beyond those wanted, to step over equal scores. */
const TIE_SLACK = 16;
/** Expired sessions checked (and purged from the index) per search at most. */
const SWEEP_BATCH = 20;
/** Sessions with messages not yet indexed taken in per search at most (the most recently written first). */
export const PENDING_BATCH = 50;

/** A session matching a search: its id and rank score (sum over matched words of WORD_SCORE + last use). */
export interface SearchCandidate {
  id: string;
  score: number;
}

/** What a search reads of a candidate session: its title (null when it has gone) and, per term asked, its newest message holding it. */
export interface CandidateDetails {
  title: string | null;
  messageIds: Array<string | null>;
}

/** A message taken into the index. */
export type IndexedMessage = Pick<StoredMessage, 'id' | 'content'> & { created_at?: number };

/**
 * The full-text index of each identity's sessions, in the identity's hash slot and without any
 * Redis module:
 * - per term, a ZSET of the sessions using it, scored WORD_SCORE + when the session last used it
 *   (so a one-word search is one ZREVRANGEBYSCORE … LIMIT, whatever the number of sessions);
 * - per session, a HASH term → id of its newest message holding the term: it points a result at
 *   its message (read by id from the conversation tree) without reading the session's history,
 *   and lists what to remove with the session;
 * - the identity's vocabulary (ZSET in byte order, for prefixes) and its indexed sessions (for the
 *   expiry sweep).
 *
 * Storing a message marks its session in the identity's "pending" set, in the same MULTI (one
 * small ZADD: the append stays cheap); the next search of that identity takes the session's new
 * messages into the index before it looks anything up (one write per distinct term of the batch),
 * so results always reflect every stored message.
 */
@Injectable()
export class SearchIndexRepository {
  private readonly ttlMs: number;

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

  /**
   * Queues the index entries of messages of a session, the newest being `newestId`: per distinct
   * term, the session in the term's set (scored by the newest message using it) and that message
   * in the session's term hash.
   */
  indexMessages(tx: StoreTransaction, userId: string, sessionId: string, messages: IndexedMessage[], newestId: string, now = Date.now()): void {
    const newest = new Map<string, { at: number; id: string }>();
    for (const message of messages) {
      const at = Number.isFinite(message.created_at) ? Math.min(message.created_at!, now) : now;
      for (const term of termsOf(message.content ?? '')) {
        const seen = newest.get(term);
        if (!seen || at >= seen.at) newest.set(term, { at, id: message.id });
      }
    }
    tx.set(this.keys.searchIndexedUpTo(userId, sessionId), newestId);
    if (newest.size === 0) return;
    let pointers: Record<string, string> = {};
    let fields = 0;
    for (const [term, { at, id }] of newest) {
      tx.zadd(this.keys.searchTerm(userId, term), WORD_SCORE + at, sessionId);
      pointers[term] = id;
      // In chunks: one HSET of many fields into a small (listpack) hash costs quadratic time.
      if (++fields % HSET_CHUNK === 0) {
        tx.hset(this.keys.searchSessionTerms(userId, sessionId), pointers);
        pointers = {};
      }
    }
    if (fields % HSET_CHUNK !== 0) tx.hset(this.keys.searchSessionTerms(userId, sessionId), pointers);
    tx.zadd(this.keys.searchTerms(userId), ...[...newest.keys()].flatMap((t) => [0, t]));
    tx.zadd(this.keys.searchSessions(userId), now, sessionId);
  }

  /** Runs indexMessages. */
  async storeIndexEntries(userId: string, sessionId: string, messages: IndexedMessage[], newestId: string): Promise<void> {
    const tx = this.redis.multi();
    this.indexMessages(tx, userId, sessionId, messages, newestId);
    repliesOf(await tx.exec());
  }

  /** Sessions with messages not indexed yet (at most PENDING_BATCH, most recently written first). */
  async pendingSessions(userId: string): Promise<string[]> {
    const flat = await this.redis.zrevrangebyscore(this.keys.searchPending(userId), '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, PENDING_BATCH);
    return flat.filter((_v, i) => i % 2 === 0);
  }

  /**
   * Takes a session off the pending set before its messages are read (a message stored meanwhile
   * marks it again); returns the id of the newest message already indexed, or null.
   */
  async claimPending(userId: string, sessionId: string): Promise<string | null> {
    const [, last] = repliesOf(
      await this.redis.multi().zrem(this.keys.searchPending(userId), sessionId).get(this.keys.searchIndexedUpTo(userId, sessionId)).exec(),
    ) as [number, string | null];
    return last;
  }

  /** Queues the index entries of a new session's title. */
  addTitle(tx: StoreTransaction, userId: string, sessionId: string, title: string, now = Date.now()): void {
    const terms = termsOf(title);
    tx.set(this.keys.searchTitleTerms(userId, sessionId), terms.join(' '));
    if (terms.length > 0) this.addTerms(tx, userId, sessionId, terms, now);
  }

  /** A session was renamed: index the new title, and drop words only the old title had. */
  async renameSession(userId: string, sessionId: string, title: string): Promise<void> {
    const titleKey = this.keys.searchTitleTerms(userId, sessionId);
    const old = ((await this.redis.get(titleKey)) ?? '').split(' ').filter(Boolean);
    const terms = termsOf(title);
    const dropped = old.filter((t) => !terms.includes(t));
    const inMessages = await this.inSessionTerms(userId, sessionId, dropped);
    const tx = this.redis.multi();
    this.addTitle(tx, userId, sessionId, title);
    dropped.forEach((t, i) => {
      if (!inMessages[i]) tx.zrem(this.keys.searchTerm(userId, t), sessionId);
    });
    repliesOf(await tx.exec());
  }

  /** Removes everything the session added to the index (deleted or expired session). */
  async removeSession(userId: string, sessionId: string): Promise<void> {
    const terms = await this.indexedTerms(userId, sessionId);
    const tx = this.redis.multi();
    for (const term of terms) tx.zrem(this.keys.searchTerm(userId, term), sessionId);
    tx.del(this.keys.searchSessionTerms(userId, sessionId), this.keys.searchTitleTerms(userId, sessionId), this.keys.searchIndexedUpTo(userId, sessionId));
    tx.zrem(this.keys.searchSessions(userId), sessionId).zrem(this.keys.searchPending(userId), sessionId);
    repliesOf(await tx.exec());
    await this.forgetUnusedTerms(userId, terms);
  }

  /** The session's history was cleared: only its title stays indexed. */
  async clearSession(userId: string, sessionId: string, title: string): Promise<void> {
    await this.removeSession(userId, sessionId);
    const tx = this.redis.multi();
    this.addTitle(tx, userId, sessionId, title);
    repliesOf(await tx.exec());
  }

  private addTerms(tx: StoreTransaction, userId: string, sessionId: string, terms: string[], now: number): void {
    for (const term of terms) tx.zadd(this.keys.searchTerm(userId, term), WORD_SCORE + now, sessionId);
    tx.zadd(this.keys.searchTerms(userId), ...terms.flatMap((t) => [0, t]));
    tx.zadd(this.keys.searchSessions(userId), now, sessionId);
  }

  /** Terms the session's messages and title put in the index. */
  private async indexedTerms(userId: string, sessionId: string): Promise<string[]> {
    const [messageTerms, titleTerms] = repliesOf(
      await this.redis
        .multi()
        .hgetall(this.keys.searchSessionTerms(userId, sessionId))
        .get(this.keys.searchTitleTerms(userId, sessionId))
        .exec(),
    ) as [Record<string, string>, string | null];
    return [...new Set([...Object.keys(messageTerms), ...(titleTerms ?? '').split(' ').filter(Boolean)])];
  }

  /** For each term, whether the session's messages hold it. */
  private async inSessionTerms(userId: string, sessionId: string, terms: string[]): Promise<boolean[]> {
    if (terms.length === 0) return [];
    const found = await this.redis.hmget(this.keys.searchSessionTerms(userId, sessionId), ...terms);
    return found.map((id) => id !== null);
  }

  /** Drops terms no session holds any more from the vocabulary (prefix lookups). */
  private async forgetUnusedTerms(userId: string, terms: string[]): Promise<void> {
    if (terms.length === 0) return;
    const pipe = this.redis.pipeline();
    for (const t of terms) pipe.zcard(this.keys.searchTerm(userId, t));
    const counts = repliesOf(await pipe.exec()) as number[];
    const unused = terms.filter((_t, i) => counts[i] === 0);
    if (unused.length > 0) await this.redis.zrem(this.keys.searchTerms(userId), ...unused);
  }

  // ---- reads --------------------------------------------------------------------------------

  /** Index terms starting with `prefix`, in byte order (at most MAX_PREFIX_TERMS). */
  expandPrefix(userId: string, prefix: string): Promise<string[]> {
    return this.redis.zrangebylex(this.keys.searchTerms(userId), `[${prefix}`, `[${prefix}\u{10ffff}`, 'LIMIT', 0, MAX_PREFIX_TERMS);
  }

  /**
   * Up to `count` sessions holding any of the query's words (the prefix through `expansions`),
   * best first: most words, then most recent use of them. A single word (or a prefix expanding to
   * one term) is read straight from its set (O(log n + count)); otherwise one MULTI: union of the
   * words' sets (a prefix's expansions count as one word, its most recent use), read, and the
   * scratch keys deleted. Sessions that have gone may be among them (the caller checks).
   */
  async candidates(
    userId: string,
    query: ParsedQuery,
    expansions: string[],
    count: number,
    after?: SessionListPosition,
  ): Promise<SearchCandidate[]> {
    const scratch = (name: string) => this.keys.searchScratch(userId, name);
    const groups = query.words.map((w) => this.keys.searchTerm(userId, w));
    const read = count + (after ? TIE_SLACK : 0);
    const max = after ? after.score : '+inf';
    let flat: string[];
    if (groups.length + expansions.length === 0) return [];
    if (groups.length + expansions.length === 1) {
      const key = groups[0] ?? this.keys.searchTerm(userId, expansions[0]);
      flat = await this.redis.zrevrangebyscore(key, max, '-inf', 'WITHSCORES', 'LIMIT', 0, read);
    } else {
      const tx = this.redis.multi();
      if (expansions.length === 1) groups.push(this.keys.searchTerm(userId, expansions[0]));
      else if (expansions.length > 1) {
        tx.zunionstore(scratch('prefix'), expansions.length, ...expansions.map((t) => this.keys.searchTerm(userId, t)), 'AGGREGATE', 'MAX');
        groups.push(scratch('prefix'));
      }
      const ranked = groups.length === 1 ? groups[0] : scratch('words');
      if (groups.length > 1) tx.zunionstore(ranked, groups.length, ...groups);
      tx.zrevrangebyscore(ranked, max, '-inf', 'WITHSCORES', 'LIMIT', 0, read).del(scratch('prefix'), scratch('words'));
      const replies = repliesOf(await tx.exec());
      flat = replies[replies.length - 2] as string[];
    }
    const found: SearchCandidate[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const candidate = { id: flat[i], score: Number(flat[i + 1]) };
      if (!after || candidate.score < after.score || candidate.id < after.id) found.push(candidate);
    }
    return found.slice(0, count);
  }

  /** Each session's title, or null when its hash has gone (expired or deleted). */
  async titles(userId: string, sessionIds: string[]): Promise<Array<string | null>> {
    return (await this.details(userId, sessionIds, [])).map((d) => d.title);
  }

  /**
   * For each session, in one round trip: its title (null when its hash has gone) and, for each of
   * `terms`, the id of its newest message holding it (null when none does).
   */
  async details(userId: string, sessionIds: string[], terms: string[]): Promise<CandidateDetails[]> {
    if (sessionIds.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of sessionIds) {
      pipe.hmget(this.keys.session(userId, id), 'display_name', 'created_at');
      if (terms.length > 0) pipe.hmget(this.keys.searchSessionTerms(userId, id), ...terms);
    }
    const replies = repliesOf(await pipe.exec()) as Array<Array<string | null>>;
    const step = terms.length > 0 ? 2 : 1;
    return sessionIds.map((_id, i) => {
      const [name, created] = replies[i * step];
      return { title: created === null ? null : name, messageIds: terms.length > 0 ? replies[i * step + 1] : [] };
    });
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
