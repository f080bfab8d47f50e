import { Inject, Injectable } from '@nestjs/common';
import { sessionsConfig, SessionsConfig } from '../config/config';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { RedisKeys } from '../redis/redis-keys';
import { repliesOf, Store, StoreTransaction } from '../redis/store';
import type { SessionListPosition } from '../sessions/cursor';
import type { StoredMessage } from '../sessions/session.model';
import { ParsedQuery, termsOf } from './text-analysis';

/**
 * Score of a session in a term's set. A search adds up, per session, WORD_SCORE for each query
 * word it holds and then its last activity (ms, < 10^13 until the year 2286), so one number sorts
 * by "words matched, then most recent" and stays an exact integer (< 2^53 for up to 900 words).
 */
export const WORD_SCORE = 1e13;
/** Index terms a query's last word (a prefix) expands to at most. */
export const MAX_PREFIX_TERMS = 64;
/** Candidates read after a cursor beyond those wanted, to step over equal scores. */
const TIE_SLACK = 16;
/** Expired sessions checked (and purged from the index) per search at most. */
const SWEEP_BATCH = 20;
/** Sessions with messages not yet indexed taken in per search at most (the most recently written first). */
export const PENDING_BATCH = 50;

/** A session matching a search: its id and rank score (words matched × WORD_SCORE + last activity). */
export interface SearchCandidate {
  id: string;
  score: number;
}

/**
 * The full-text index of each identity's sessions, in the identity's hash slot and without any
 * Redis module: an inverted index term → ZSET of session ids, the identity's vocabulary (ZSET in
 * byte order, for prefixes), and per session the terms it added (to remove them with it). Which
 * message of a session matches is found at query time by reading that session's newest messages
 * (search.service.ts), so the index holds one entry per distinct word per session, not per message.
 *
 * Storing a message marks its session in the identity's "pending" set, in the same MULTI (one
 * small ZADD: the append stays cheap); the next search of that identity takes the session's new
 * messages into the index before it looks anything up, so results always reflect every stored
 * message.
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

  /** Queues the index entries of messages of a session, the newest being `newestId`. */
  indexMessages(tx: StoreTransaction, userId: string, sessionId: string, messages: Array<Pick<StoredMessage, 'content'>>, newestId: string, now = Date.now()): void {
    const terms = [...new Set(messages.flatMap((m) => termsOf(m.content ?? '')))];
    tx.set(this.keys.searchIndexedUpTo(userId, sessionId), newestId);
    if (terms.length === 0) return;
    this.addTerms(tx, userId, sessionId, terms, now);
    tx.zadd(this.keys.searchSessionTerms(userId, sessionId), ...terms.flatMap((t) => [0, t]));
  }

  /** Runs indexMessages. */
  async storeIndexEntries(userId: string, sessionId: string, messages: Array<Pick<StoredMessage, 'content'>>, newestId: string): Promise<void> {
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
    for (const term of terms) tx.zadd(this.keys.searchTerm(userId, term), WORD_SCORE, sessionId);
    tx.zadd(this.keys.searchTerms(userId), ...terms.flatMap((t) => [0, t]));
    tx.zadd(this.keys.searchSessions(userId), now, sessionId);
  }

  /** Terms the session's messages and title put in the index. */
  private async indexedTerms(userId: string, sessionId: string): Promise<string[]> {
    const [messageTerms, titleTerms] = repliesOf(
      await this.redis
        .multi()
        .zrange(this.keys.searchSessionTerms(userId, sessionId), 0, -1)
        .get(this.keys.searchTitleTerms(userId, sessionId))
        .exec(),
    ) as [string[], string | null];
    return [...new Set([...messageTerms, ...(titleTerms ?? '').split(' ').filter(Boolean)])];
  }

  /** For each term, whether the session's messages hold it. */
  private async inSessionTerms(userId: string, sessionId: string, terms: string[]): Promise<boolean[]> {
    if (terms.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const t of terms) pipe.zrangebylex(this.keys.searchSessionTerms(userId, sessionId), `[${t}`, `[${t}`, 'LIMIT', 0, 1);
    return (repliesOf(await pipe.exec()) as string[][]).map((found) => found.length > 0);
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
   * best first: most words, then most recent activity; only sessions still in the identity's
   * session list. One MULTI: union of the words' sets (a prefix's expansions count as one word),
   * intersected with the session list for recency, read, and the scratch keys deleted.
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
    const tx = this.redis.multi();
    if (expansions.length === 1) groups.push(this.keys.searchTerm(userId, expansions[0]));
    else if (expansions.length > 1) {
      tx.zunionstore(scratch('prefix'), expansions.length, ...expansions.map((t) => this.keys.searchTerm(userId, t)), 'AGGREGATE', 'MAX');
      groups.push(scratch('prefix'));
    }
    if (groups.length === 0) return [];
    // A session is in exactly one of the three activity indexes (main, pinned, archived): each is
    // intersected with the matches (cost ~ the smaller set), and the three results joined.
    const buckets = [this.keys.sessionIndex(userId), this.keys.pinnedSessionIndex(userId), this.keys.archivedSessionIndex(userId)];
    const parts = buckets.map((_, i) => scratch(`ranked${i}`));
    tx.zunionstore(scratch('words'), groups.length, ...groups);
    buckets.forEach((bucket, i) => tx.zinterstore(parts[i], 2, scratch('words'), bucket));
    tx.zunionstore(scratch('ranked'), parts.length, ...parts)
      .zrevrangebyscore(scratch('ranked'), after ? after.score : '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, count + (after ? TIE_SLACK : 0))
      .del(scratch('prefix'), scratch('words'), scratch('ranked'), ...parts);
    const replies = repliesOf(await tx.exec());
    const flat = replies[replies.length - 2] as string[];
    const found: SearchCandidate[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const candidate = { id: flat[i], score: Number(flat[i + 1]) };
      if (!after || candidate.score < after.score || candidate.id < after.id) found.push(candidate);
    }
    return found.slice(0, count);
  }

  /** Each session's title, or null when its hash has gone (expired or deleted). */
  async titles(userId: string, sessionIds: string[]): Promise<Array<string | null>> {
    if (sessionIds.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of sessionIds) pipe.hmget(this.keys.session(userId, id), 'display_name', 'created_at');
    return (repliesOf(await pipe.exec()) as Array<Array<string | null>>).map(([name, created]) => (created === null ? null : name));
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
