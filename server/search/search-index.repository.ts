import { Inject, Injectable } from '@nestjs/common';
import { sessionsConfig, SessionsConfig } from '../config/config';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { RedisKeys } from '../redis/redis-keys';
import { repliesOf, Store, StoreTransaction } from '../redis/store';
import type { SessionListPosition } from '../sessions/cursor';
import type { StoredMessage } from '../sessions/session.model';
import { ParsedQuery, termsOf } from './text-analysis';

type Value = string | number;

/**
 * Score of a session in a term's set: WORD_SCORE plus when the session last used the term (ms,
 * < 10^13 until the year 2286). A search adds up, per session, the scores of the query words it
 * holds, so one number sorts by "words matched, then how recently they were used" and stays an
 * exact integer (< 2^53 for up to 8 words: 8 × (10^14 + 10^13) < 9 × 10^15).
 */
export const WORD_SCORE = 1e14;
/** Index terms a query's last word (a prefix) expands to at most. */
export const MAX_PREFIX_TERMS = 32;
/** Candidates read after a cursor beyond those wanted, to step over equal scores. */
const TIE_SLACK = 16;
/** Expired sessions checked (and purged from the index) per search at most. */
const SWEEP_BATCH = 20;
/** Sessions with messages not yet indexed taken in per search at most (the most recently written first). */
export const PENDING_BATCH = 50;
/** Length of a session's term list past which its repeats are folded away when it is next indexed. */
export const WORDS_COMPACT_AT = 4096;
/** Messages written in the same millisecond looked at per term of a result at most. */
const SAME_TIME_MESSAGES = 4;

/** A session matching a search: its id and rank score (sum over matched words of WORD_SCORE + last use). */
export interface SearchCandidate {
  id: string;
  score: number;
}

/** What a search reads of a candidate session: its title (null when it has gone) and its newest messages holding the terms asked. */
export interface CandidateDetails {
  title: string | null;
  messageIds: string[];
}

/** A message taken into the index; `terms`, when given, are termsOf(content) worked out already. */
export type IndexedMessage = Pick<StoredMessage, 'id' | 'content'> & { created_at?: number; terms?: string[] };

/** What indexing a session's new messages needs to know of what the index holds of it already. */
export interface PendingClaim {
  /** Id of the newest message already indexed, or null. */
  last: string | null;
  /** The session's term list when it is due to be folded (repeats removed), else null. */
  words: string[] | null;
}

/**
 * The full-text index of each identity's sessions, in the identity's hash slot and without any
 * Redis module:
 * - per term, a ZSET of the sessions using it, scored WORD_SCORE + when the session last used it
 *   (so a one-word search is one ZREVRANGEBYSCORE … LIMIT, whatever the number of sessions);
 * - per session, a ZSET of its indexed messages scored by when they were written: the time in a
 *   term's score finds the newest message holding it, for the page's results only; and the LIST of
 *   its terms, what to remove with the session;
 * - the identity's vocabulary (ZSET in byte order, for prefixes) and its indexed sessions (for the
 *   expiry sweep).
 * Indexing a batch of messages of a session costs one ZADD per distinct term, inside one script
 * call that receives only the terms (not a key name per term), and one member per message in the
 * session's time set.
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

  /**
   * Queues the index entries of messages of a session, the newest being `newestId`: per distinct
   * term, the session in the term's set (scored by the newest message using it); each message in
   * the session's time set; the terms on the session's list (replacing it by `words`, the list
   * with its repeats removed, when given).
   */
  indexMessages(
    tx: StoreTransaction,
    userId: string,
    sessionId: string,
    messages: IndexedMessage[],
    newestId: string,
    now = Date.now(),
    words: string[] | null = null,
  ): void {
    const newest = new Map<string, number>();
    const times: Value[] = [];
    for (const message of messages) {
      const at = messageTime(message, now);
      const terms = message.terms ?? termsOf(message.content ?? '');
      if (terms.length === 0) continue;
      times.push(at, message.id);
      for (const term of terms) if ((newest.get(term) ?? -1) <= at) newest.set(term, at);
    }
    tx.set(this.keys.searchIndexedUpTo(userId, sessionId), newestId);
    const wordsKey = this.keys.searchSessionWords(userId, sessionId);
    if (words !== null) {
      tx.del(wordsKey);
      const kept = words.filter((w) => !newest.has(w));
      if (kept.length > 0) tx.rpush(wordsKey, ...kept);
    }
    if (newest.size === 0) return;
    // The terms grouped by the time of their newest message, so that each score is sent once.
    const byTime = new Map<number, string[]>();
    for (const [term, at] of newest) {
      const group = byTime.get(at);
      if (group) group.push(term);
      else byTime.set(at, [term]);
    }
    const groups = [...byTime].flatMap(([at, terms]) => [WORD_SCORE + at, terms.length, ...terms]);
    tx.zadd(this.keys.searchSessionTimes(userId, sessionId), ...times);
    tx.indexTerms(this.keys.searchTerms(userId), wordsKey, this.keys.searchSessions(userId), this.keys.searchTerm(userId, ''), sessionId, now, ...groups);
  }

  /** Runs indexMessages. */
  async storeIndexEntries(userId: string, sessionId: string, messages: IndexedMessage[], newestId: string, words: string[] | null = null): Promise<void> {
    const tx = this.redis.multi();
    this.indexMessages(tx, userId, sessionId, messages, newestId, Date.now(), words);
    repliesOf(await tx.exec());
  }

  /** Sessions with messages not indexed yet (at most PENDING_BATCH, most recently written first). */
  async pendingSessions(userId: string): Promise<string[]> {
    const flat = await this.redis.zrevrangebyscore(this.keys.searchPending(userId), '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, PENDING_BATCH);
    return flat.filter((_v, i) => i % 2 === 0);
  }

  /**
   * Takes a session off the pending set before its messages are read (a message stored meanwhile
   * marks it again): the newest message already indexed, and the session's terms when their list
   * has grown long enough to fold its repeats.
   */
  async claimPending(userId: string, sessionId: string): Promise<PendingClaim> {
    const wordsKey = this.keys.searchSessionWords(userId, sessionId);
    const [, last, length] = repliesOf(
      await this.redis.multi().zrem(this.keys.searchPending(userId), sessionId).get(this.keys.searchIndexedUpTo(userId, sessionId)).llen(wordsKey).exec(),
    ) as [number, string | null, number];
    const words = length > WORDS_COMPACT_AT ? [...new Set(await this.redis.lrange(wordsKey, 0, -1))] : null;
    return { last, words };
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
    tx.del(
      this.keys.searchSessionWords(userId, sessionId),
      this.keys.searchSessionTimes(userId, sessionId),
      this.keys.searchTitleTerms(userId, sessionId),
      this.keys.searchIndexedUpTo(userId, sessionId),
      this.keys.searchLegacyPointers(userId, sessionId),
    );
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
    const [messageTerms, titleTerms, legacy] = repliesOf(
      await this.redis
        .multi()
        .lrange(this.keys.searchSessionWords(userId, sessionId), 0, -1)
        .get(this.keys.searchTitleTerms(userId, sessionId))
        .hgetall(this.keys.searchLegacyPointers(userId, sessionId))
        .exec(),
    ) as [string[], string | null, Record<string, string>];
    return [...new Set([...messageTerms, ...Object.keys(legacy), ...(titleTerms ?? '').split(' ').filter(Boolean)])];
  }

  /** For each term, whether the session's messages hold it. */
  private async inSessionTerms(userId: string, sessionId: string, terms: string[]): Promise<boolean[]> {
    if (terms.length === 0) return [];
    const held = new Set(await this.redis.lrange(this.keys.searchSessionWords(userId, sessionId), 0, -1));
    return terms.map((t) => held.has(t));
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
   * best first: most words, then most recent use of them. Sessions that have gone may be among
   * them (the caller checks).
   * - One word or only a prefix: the top of each term's set, merged (O(terms × (log n + count))).
   * - Several: first the sessions holding all of them (ZINTERSTORE: the smallest set's size times
   *   the number of words; a prefix is intersected expansion by expansion, so only the sessions
   *   holding the other words are looked at), and only when those are too few to fill the page,
   *   the union of the words' sets. Either way one MULTI that deletes its scratch keys.
   */
  async candidates(
    userId: string,
    query: ParsedQuery,
    expansions: string[],
    count: number,
    after?: SessionListPosition,
  ): Promise<SearchCandidate[]> {
    const words = query.words.map((w) => this.keys.searchTerm(userId, w));
    const prefix = expansions.map((t) => this.keys.searchTerm(userId, t));
    if (words.length + prefix.length === 0) return [];
    const read = count + (after ? TIE_SLACK : 0);
    const max = after ? after.score : '+inf';
    const keep = (flat: string[]) => {
      const found: SearchCandidate[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        const candidate = { id: flat[i], score: Number(flat[i + 1]) };
        if (!after || candidate.score < after.score || candidate.id < after.id) found.push(candidate);
      }
      return found;
    };
    if (words.length === 0 || (words.length === 1 && prefix.length === 0)) {
      return this.topOfEach(words.length > 0 ? words : prefix, max, read, keep, count);
    }
    const all = keep(await this.combined(userId, 'inter', words, prefix, max, read));
    if (all.length >= count || query.words.length === 0) return all.slice(0, count);
    return keep(await this.combined(userId, 'union', words, prefix, max, read)).slice(0, count);
  }

  /** The best `read` sessions of several sets (a session's best score of them), merged here. */
  private async topOfEach(
    sets: string[],
    max: number | string,
    read: number,
    keep: (flat: string[]) => SearchCandidate[],
    count: number,
  ): Promise<SearchCandidate[]> {
    const pipe = this.redis.pipeline();
    for (const key of sets) pipe.zrevrangebyscore(key, max, '-inf', 'WITHSCORES', 'LIMIT', 0, read);
    const best = new Map<string, number>();
    for (const flat of repliesOf(await pipe.exec()) as string[][]) {
      for (const { id, score } of keep(flat)) if ((best.get(id) ?? -Infinity) < score) best.set(id, score);
    }
    // Highest score first, then as ZREVRANGEBYSCORE orders equal scores (members in reverse byte order).
    return [...best]
      .map(([id, score]) => ({ id, score }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, count);
  }

  /**
   * The top `read` sessions (flat: member, score, …) holding all (inter) or any (union) of the
   * words, a prefix's expansions counting as one word (its most recent use), scores summed.
   */
  private async combined(
    userId: string,
    how: 'inter' | 'union',
    words: string[],
    prefix: string[],
    max: number | string,
    read: number,
  ): Promise<string[]> {
    const scratch = (name: string) => this.keys.searchScratch(userId, name);
    const ranked = scratch(how);
    const used = [ranked];
    const tx = this.redis.multi();
    if (prefix.length <= 1) {
      const sets = [...words, ...prefix];
      if (how === 'inter') tx.zinterstore(ranked, sets.length, ...sets);
      else tx.zunionstore(ranked, sets.length, ...sets);
    } else if (how === 'inter') {
      // All the words and one expansion, per expansion; then the best of those per session.
      const parts = prefix.map((key, i) => {
        const part = scratch(`p${i}`);
        tx.zinterstore(part, words.length + 1, ...words, key);
        return part;
      });
      tx.zunionstore(ranked, parts.length, ...parts, 'AGGREGATE', 'MAX');
      used.push(...parts);
    } else {
      const either = scratch('prefix');
      tx.zunionstore(either, prefix.length, ...prefix, 'AGGREGATE', 'MAX');
      tx.zunionstore(ranked, words.length + 1, ...words, either);
      used.push(either);
    }
    tx.zrevrangebyscore(ranked, max, '-inf', 'WITHSCORES', 'LIMIT', 0, read).del(...used);
    const replies = repliesOf(await tx.exec());
    return replies[replies.length - 2] as string[];
  }

  /** Each session's title, or null when its hash has gone (expired or deleted). */
  async titles(userId: string, sessionIds: string[]): Promise<Array<string | null>> {
    if (sessionIds.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of sessionIds) pipe.hmget(this.keys.session(userId, id), 'display_name', 'created_at');
    const replies = repliesOf(await pipe.exec()) as Array<Array<string | null>>;
    return replies.map(([name, created]) => (created === null ? null : name));
  }

  /**
   * For each candidate: its title (null when its hash has gone) and the ids of its newest messages
   * holding any of `terms` (the newest per term). The time a term's score holds (the candidate's
   * own score when the query has a single term, else read with ZMSCORE) finds the message in the
   * session's time set. Two round trips, however many terms and candidates.
   */
  async details(userId: string, candidates: SearchCandidate[], terms: string[]): Promise<CandidateDetails[]> {
    if (candidates.length === 0) return [];
    const ids = candidates.map((c) => c.id);
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hmget(this.keys.session(userId, id), 'display_name', 'created_at');
    if (terms.length > 1) for (const term of terms) pipe.zmscore(this.keys.searchTerm(userId, term), ...ids);
    const replies = repliesOf(await pipe.exec()) as Array<Array<string | null>>;
    const titles = replies.slice(0, ids.length).map(([name, created]) => (created === null ? null : name));
    // Per candidate, the distinct times at which it last used a term of the query.
    const times = ids.map((_id, i) => {
      const scores = terms.length > 1 ? replies.slice(ids.length).map((column) => column[i]) : [String(candidates[i].score)];
      const found = scores.filter((s): s is string => s !== null).map((s) => Number(s) - WORD_SCORE);
      return [...new Set(found)];
    });
    const lookup = this.redis.pipeline();
    ids.forEach((id, i) => {
      if (titles[i] === null) return;
      const key = this.keys.searchSessionTimes(userId, id);
      for (const at of times[i]) lookup.zrevrangebyscore(key, at, at, 'WITHSCORES', 'LIMIT', 0, SAME_TIME_MESSAGES);
    });
    const found = repliesOf(await lookup.exec()) as string[][];
    let next = 0;
    return ids.map((_id, i) => {
      if (titles[i] === null) return { title: null, messageIds: [] };
      const messageIds = new Set<string>();
      for (let t = 0; t < times[i].length; t++) found[next++].forEach((v, j) => j % 2 === 0 && messageIds.add(v));
      return { title: titles[i], messageIds: [...messageIds] };
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

/** When a message was written, as the index records it (never in the future). */
function messageTime(message: IndexedMessage, now: number): number {
  return Number.isFinite(message.created_at) ? Math.min(message.created_at!, now) : now;
}
