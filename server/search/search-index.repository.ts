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
/** Members read per set at most by one multi-word search (pages very deep into very common words stop there). */
const MAX_THRESHOLD_READ = 50_000;
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

/** A message taken into the index. */
export type IndexedMessage = Pick<StoredMessage, 'id' | 'content'> & { created_at?: number };

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
 * session's time set. Only the terms new to the session go on its list (no repeats: the list does
 * not grow with the session's length; lists written by earlier versions may hold repeats, read as
 * sets) and only those are looked up in the vocabulary (one ZMSCORE), which takes the ones new to
 * the identity.
 *
 * Write cost (bench/search/README.md has the figures and the reasoning): the per-term ZADD is the
 * bulk of it, 1–2 µs of Redis CPU each (a command run from Lua: arguments converted, key looked
 * up, set changed), and a message brings some 20 terms its batch did not hold. Every batch writes
 * each of its terms again (the score is the term's last use in the session, what ranking and the
 * result's message rest on). That is one to two times the append's own Redis time; a layout with a
 * key per term written per (session, term) cannot get below a third of it, whatever it skips (see
 * the README for what was measured and what would).
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
      const terms = termsOf(message.content ?? '');
      if (terms.length === 0) continue;
      times.push(at, message.id);
      for (const term of terms) if ((newest.get(term) ?? -1) <= at) newest.set(term, at);
    }
    tx.set(this.keys.searchIndexedUpTo(userId, sessionId), newestId);
    const wordsKey = this.keys.searchSessionWords(userId, sessionId);
    if (words !== null) {
      // Its terms once each; indexTerms pushes only the terms new to the session after them.
      tx.del(wordsKey);
      if (words.length > 0) tx.rpush(wordsKey, ...words);
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
    tx.indexTerms(this.keys.searchTerms(userId), wordsKey, this.keys.searchSessions(userId), this.keys.searchTitleTerms(userId, sessionId), this.keys.searchTerm(userId, ''), sessionId, now, ...groups);
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
   * best first: most words, then most recent use of them (the sum over the query's words of
   * WORD_SCORE + last use; a prefix counts once, its most recently used expansion). Sessions that
   * have gone may be among them (the caller checks).
   * - One word or only a prefix: the top of each term's set, merged (O(terms × (log n + count))).
   * - Several: the threshold algorithm (Fagin): the words' sets are read best first in growing
   *   batches, each session seen gets its exact sum (ZMSCORE on every set), and reading stops once
   *   the `count`-th best sum is at least what a session not seen yet could still reach. Sessions use
   *   their words around the same time, so a batch or two usually settles it: no set is combined
   *   or stored whole, however common the words.
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
    const beyond = (c: SearchCandidate) => !after || c.score < after.score || (c.score === after.score && c.id < after.id);
    const max = after ? after.score : '+inf';
    if (words.length === 0 || (words.length === 1 && prefix.length === 0)) {
      return this.topOfEach(words.length > 0 ? words : prefix, max, read, count, beyond);
    }
    return this.threshold(words, prefix, count, beyond, max);
  }

  /**
   * The best `count` sessions `beyond` the cursor of several sets (a session's best score of
   * them), merged here from the top `read` of each below `max`. Below a cursor, a session may also
   * hold a better score in another set (it was on an earlier page): its best is read (ZMSCORE) and
   * the reads go deeper while such sessions leave the page short.
   */
  private async topOfEach(
    sets: string[],
    max: number | string,
    read: number,
    count: number,
    beyond: (c: SearchCandidate) => boolean,
  ): Promise<SearchCandidate[]> {
    for (;;) {
      const pipe = this.redis.pipeline();
      for (const key of sets) pipe.zrevrangebyscore(key, max, '-inf', 'WITHSCORES', 'LIMIT', 0, read);
      const replies = repliesOf(await pipe.exec()) as string[][];
      const best = new Map<string, number>();
      for (const flat of replies) {
        for (let i = 0; i < flat.length; i += 2) {
          const score = Number(flat[i + 1]);
          if ((best.get(flat[i]) ?? -Infinity) < score) best.set(flat[i], score);
        }
      }
      if (sets.length > 1 && max !== '+inf' && best.size > 0) {
        const ids = [...best.keys()];
        const check = this.redis.pipeline();
        for (const key of sets) check.zmscore(key, ...ids);
        const columns = repliesOf(await check.exec()) as Array<Array<string | null>>;
        ids.forEach((id, j) => best.set(id, Math.max(...columns.map((column) => Number(column[j] ?? -Infinity)))));
      }
      const found = [...best].map(([id, score]) => ({ id, score })).filter(beyond).sort(byRank);
      const exhausted = replies.every((flat) => flat.length < 2 * read);
      if (found.length >= count || exhausted || read >= MAX_THRESHOLD_READ) return found.slice(0, count);
      read *= 4;
    }
  }

  /**
   * Sessions ranked by the sum of their scores in `words`' sets plus their best score in
   * `prefix`' sets (missing = 0), the best `count` of those `beyond` the cursor, by the threshold
   * algorithm (see candidates). Only the words' sets are read in order; a prefix bounds what a
   * session not seen yet could reach by its expansions' best scores, and once the words' sets are
   * read to their end, the sessions holding only the prefix are read from the top of its sets.
   */
  private async threshold(
    words: string[],
    prefix: string[],
    count: number,
    beyond: (c: SearchCandidate) => boolean,
    max: number | string,
  ): Promise<SearchCandidate[]> {
    const sets = [...words, ...prefix];
    // Per word set: the lowest score read so far (an unseen member scores at most that), how many
    // members at that score were read, and whether the set is read to its end.
    const frontier = words.map(() => ({ score: Infinity, atScore: 0, done: false }));
    const seen = new Map<string, number>();
    const ranked = () => [...seen].map(([id, score]) => ({ id, score })).filter(beyond).sort(byRank);
    let prefixTop = 0;
    let batch = Math.max(2 * count, 50);
    for (let read = 0; read < MAX_THRESHOLD_READ; read += batch, batch *= 2) {
      const pipe = this.redis.pipeline();
      words.forEach((key, i) => {
        const f = frontier[i];
        if (!f.done) pipe.zrevrangebyscore(key, f.score === Infinity ? '+inf' : f.score, '-inf', 'WITHSCORES', 'LIMIT', f.atScore, batch);
      });
      if (read === 0) for (const key of prefix) pipe.zrevrangebyscore(key, '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, 1);
      const replies = repliesOf(await pipe.exec()) as string[][];
      const fresh = new Set<string>();
      let next = 0;
      for (const f of frontier) {
        if (f.done) continue;
        const flat = replies[next++];
        if (flat.length < 2 * batch) f.done = true;
        for (let j = 0; j < flat.length; j += 2) {
          const score = Number(flat[j + 1]);
          f.atScore = score === f.score ? f.atScore + 1 : 1;
          f.score = score;
          if (!seen.has(flat[j])) fresh.add(flat[j]);
        }
      }
      if (read === 0) for (const flat of replies.slice(next)) prefixTop = Math.max(prefixTop, Number(flat[1] ?? 0));
      await this.scoreAll(sets, words.length, [...fresh], seen);
      const best = ranked();
      if (frontier.every((f) => f.done)) {
        if (prefix.length === 0 || (best.length >= count && best[count - 1].score >= prefixTop)) return best.slice(0, count);
        // Every session holding a word is seen: the others hold only the prefix, scored by it alone.
        const notSeen = (c: SearchCandidate) => !seen.has(c.id) && beyond(c);
        for (const c of await this.topOfEach(prefix, max, count + TIE_SLACK, count, notSeen)) seen.set(c.id, c.score);
        return ranked().slice(0, count);
      }
      // What a session not seen yet could reach: in no word set above that set's frontier, and the prefix at its best.
      const bound = frontier.reduce((sum, f) => sum + (f.done ? 0 : f.score), 0) + prefixTop;
      if (best.length >= count && best[count - 1].score >= bound) return best.slice(0, count);
    }
    // Very deep pages of very common words: the best of what was read.
    return ranked().slice(0, count);
  }

  /** Records each session's exact rank score (ZMSCORE on every set). */
  private async scoreAll(sets: string[], words: number, ids: string[], into: Map<string, number>): Promise<void> {
    if (ids.length === 0) return;
    const pipe = this.redis.pipeline();
    for (const key of sets) pipe.zmscore(key, ...ids);
    const columns = repliesOf(await pipe.exec()) as Array<Array<string | null>>;
    ids.forEach((id, j) => into.set(id, sumOf(columns.map((column) => column[j]), words)));
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
   * holding a query word (the newest per word; for the prefix, the newest holding any expansion). The time a term's score holds (the candidate's
   * own score when the query has a single term, else read with ZMSCORE) finds the message in the
   * session's time set. Two round trips, however many terms and candidates.
   */
  async details(userId: string, candidates: SearchCandidate[], words: string[], expansions: string[]): Promise<CandidateDetails[]> {
    if (candidates.length === 0) return [];
    const ids = candidates.map((c) => c.id);
    const terms = [...words, ...expansions];
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hmget(this.keys.session(userId, id), 'display_name', 'created_at');
    if (terms.length > 1) for (const term of terms) pipe.zmscore(this.keys.searchTerm(userId, term), ...ids);
    const replies = repliesOf(await pipe.exec()) as Array<Array<string | null>>;
    const titles = replies.slice(0, ids.length).map(([name, created]) => (created === null ? null : name));
    // Per candidate, the distinct times at which it last used a word of the query (the prefix: its most recent expansion).
    const times = ids.map((_id, i) => {
      const scores = terms.length > 1 ? replies.slice(ids.length).map((column) => column[i]) : [String(candidates[i].score)];
      const found = scores.slice(0, terms.length > 1 ? words.length : scores.length).filter((s): s is string => s !== null).map(Number);
      const prefix = scores.slice(words.length).filter((s): s is string => s !== null).map(Number);
      if (terms.length > 1 && prefix.length > 0) found.push(Math.max(...prefix));
      return [...new Set(found.map((score) => score - WORD_SCORE))];
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

/** Highest score first, then as ZREVRANGEBYSCORE orders equal scores (members in reverse byte order). */
function byRank(a: SearchCandidate, b: SearchCandidate): number {
  return b.score - a.score || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** A session's rank score from its scores in the words' sets, then in the prefix's (null: not there). */
function sumOf(scores: Array<string | null>, words: number): number {
  let sum = 0;
  let best = 0;
  scores.forEach((s, i) => {
    if (s === null) return;
    if (i < words) sum += Number(s);
    else best = Math.max(best, Number(s));
  });
  return sum + best;
}
