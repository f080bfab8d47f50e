import { BadRequestException, Injectable, Logger } from '@nestjs/common';
import { decodeSessionCursor, encodeSessionCursor } from '../sessions/cursor';
import { decodeMessage } from '../sessions/session-record';
import type { StoredMessage } from '../sessions/session.model';
import { SessionsRepository } from '../sessions/sessions.repository';
import { SEARCH_LIMIT_DEFAULT, SearchPageDto, SearchQueryDto, SearchResultDto } from './dto/search.dto';
import { BatchItem, Claim, IndexedMessage, PENDING_BATCH, SearchIndexRepository, TermHits } from './search-index.repository';
import { TITLE_SEQ } from './search-segments';
import { mayMatch, ParsedQuery, parseQuery, queryWordsFound, snippetOf, termsOf, Word, wordsOf } from './text-analysis';

/** Words of a query used at most (the rest are ignored). */
export const MAX_QUERY_WORDS = 8;
/**
 * Rank score per query word a session holds, plus when the session was last written (seconds
 * since the index's epoch, < 2^30): "words matched, then recency" in one exact number.
 */
export const WORD_SCORE = 2 ** 31;
/** Messages read per page while taking a session's new messages into the index. */
const CATCH_UP_PAGE = 200;
/** A catch-up takes further rounds of pending sessions (e.g. an index being upgraded) for this long at most. */
const CATCH_UP_BUDGET_MS = 2000;
/** Rounds of "resolve the best candidates' ids and titles, score again" per page at most. */
const MAX_ROUNDS = 8;

interface MessageHit {
  id: string;
  content: string;
  words: Word[];
  found: number;
  at: number;
}

/**
 * A session matching a search: its number, per query term (words, then the prefix's expansions)
 * the position + 1 of its newest message holding it (TITLE_SEQ: its title; undefined: neither),
 * when it was last written, its rank score and, once resolved, its id and title.
 */
interface Candidate {
  number: number;
  hits: Array<number | undefined>;
  time: number;
  score: number;
  resolved: boolean;
  sessionId?: string;
  title?: string;
}

/**
 * Full-text search of the caller's sessions. Ranking: sessions holding more of the query's words
 * (in their title or any message; the last word as a prefix counts as one word) come first, then
 * the sessions written most recently (to the second; equal: the session indexed later). For each
 * session the result points at the message holding the most query words among the newest message
 * holding each of them (the postings name them), or at its title.
 */
@Injectable()
export class SearchService {
  private readonly logger = new Logger(SearchService.name);

  constructor(
    private readonly index: SearchIndexRepository,
    private readonly sessions: SessionsRepository,
  ) {}

  async search(userId: string, dto: SearchQueryDto): Promise<SearchPageDto> {
    const query = parseQuery(dto.q, MAX_QUERY_WORDS);
    if (query.words.length === 0 && query.prefix === null) {
      throw new BadRequestException('q has no words to search for: give letters or digits, not only punctuation');
    }
    const after = dto.cursor === undefined ? undefined : decodeSessionCursor(dto.cursor);
    const limit = dto.limit ?? SEARCH_LIMIT_DEFAULT;
    const [, afterNumber] = await Promise.all([
      this.catchUp(userId),
      after ? this.index.numberOf(userId, after.id) : null,
      this.index.sweepExpired(userId).catch((error: unknown) => this.logger.warn(`Search index sweep failed: ${String(error)}`)),
    ]);
    const [{ expansions, hits }, timeOf] = await Promise.all([this.index.lookup(userId, query.words, query.prefix), this.index.times(userId)]);
    const terms = [...query.words, ...expansions];
    const words = query.words.length;
    const beyond = (c: Candidate) => !after || c.score < after.score || (c.score === after.score && c.number < (afterNumber ?? Infinity));
    // A candidate found through its title may score less once the title is read (renamed since): below the cursor then.
    const pool = candidatesOf(hits, words, timeOf).filter((c) => beyond(c) || leansOnTitle(c));
    const page = await this.best(userId, pool, terms, words, limit + 1, beyond); // one extra tells whether another page exists
    const shown = page.slice(0, limit);
    const last = shown[shown.length - 1];
    return {
      results: await this.resultsFor(userId, shown, query),
      next_cursor: page.length > limit && last ? encodeSessionCursor({ score: last.score, id: last.sessionId! }) : null,
    };
  }

  /**
   * The best `wanted` candidates: the top of the pool is resolved (session id, title) until all its
   * first `wanted` are. A resolved candidate found through its title by a word the title no longer
   * holds (renamed since) is scored without that hit; one whose session has gone is dropped (and
   * removed from the index).
   */
  private async best(userId: string, pool: Candidate[], terms: string[], words: number, wanted: number, beyond: (c: Candidate) => boolean): Promise<Candidate[]> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      pool.sort(byRank);
      const open = pool.slice(0, wanted).filter((c) => !c.resolved);
      if (open.length === 0) break;
      const ids = await this.index.sessionIds(userId, open.map((c) => c.number));
      const known = ids.filter((id): id is string => id !== null);
      const titles = await this.index.titles(userId, known);
      const titleOf = new Map(known.map((id, i) => [id, titles[i]]));
      const dropped = new Set<Candidate>();
      open.forEach((c, i) => {
        const id = ids[i];
        const title = id === null ? null : titleOf.get(id)!;
        if (id === null || title === null) {
          dropped.add(c);
          if (id !== null) this.index.removeSession(userId, id).catch((error: unknown) => this.logger.warn(`Search index removal failed: ${String(error)}`));
          return;
        }
        Object.assign(c, { resolved: true, sessionId: id, title });
        const titleTerms = new Set(termsOf(title));
        c.hits.forEach((seq, j) => {
          if (seq === TITLE_SEQ && !titleTerms.has(terms[j])) c.hits[j] = undefined;
        });
        c.score = scoreOf(c.hits, words, c.time);
        if (c.score === 0 || !beyond(c)) dropped.add(c);
      });
      if (dropped.size > 0) pool = pool.filter((c) => !dropped.has(c));
    }
    pool.sort(byRank);
    return pool.slice(0, wanted).filter((c) => c.resolved);
  }

  /** The results of a page: per session, its best message of those its hits name, else its title. */
  private async resultsFor(userId: string, page: Candidate[], query: ParsedQuery): Promise<SearchResultDto[]> {
    const refs = page.flatMap((c) => [...new Set(c.hits.filter((seq): seq is number => seq !== undefined && seq !== TITLE_SEQ))].map((seq) => ({ sessionId: c.sessionId!, seq })));
    const messageIds = await this.index.messageIds(userId, refs);
    const found = refs.flatMap((ref, i) => (messageIds[i] === null ? [] : [{ sessionId: ref.sessionId, messageId: messageIds[i]! }]));
    const messages = await this.sessions.findMessages(userId, found);
    return page.map((c) => this.resultFor(c.sessionId!, c.title!, messages.filter((_m, i) => found[i].sessionId === c.sessionId), query));
  }

  /**
   * Takes the messages stored since the last search into the index: the pending sessions (rounds
   * of PENDING_BATCH, more while there are more, for CATCH_UP_BUDGET_MS at most), each round one
   * batch written in one transaction.
   */
  async catchUp(userId: string): Promise<number> {
    const started = Date.now();
    let total = 0;
    for (;;) {
      const pending = await this.index.pendingSessions(userId);
      if (pending.length === 0) break;
      total += pending.length;
      await this.catchUpRound(userId, pending);
      if (pending.length < PENDING_BATCH || Date.now() - started > CATCH_UP_BUDGET_MS) break;
    }
    return total;
  }

  private async catchUpRound(userId: string, pending: string[]): Promise<void> {
    const claims = await this.index.claim(userId, pending);
    const items = (await Promise.all(claims.map((claim) => this.itemFor(userId, claim)))).filter((item): item is BatchItem => item !== null);
    // New numbers in the order the sessions were last written: on a tie of times, the later one ranks first.
    if (items.length === 0) return;
    const fresh = items.filter((item) => item.fresh).sort((a, b) => newestAt(a) - newestAt(b));
    const { firstNumber, segmentId } = await this.index.allocate(userId, fresh.length);
    fresh.forEach((item, i) => (item.number = firstNumber + i));
    await this.index.storeBatch(userId, items, segmentId);
  }

  /**
   * A claimed session's part of the batch: its messages newer than the newest one indexed. When
   * that one is no longer in the history (cleared, or an answer regenerated), or the session was
   * never indexed, the session is indexed from its title and whole history under a new number.
   * Null when there is nothing to write (the session has gone: it is removed from the index).
   */
  private async itemFor(userId: string, claim: Claim): Promise<BatchItem | null> {
    const { sessionId, state, title } = claim;
    if (title === null) {
      await this.index.removeSession(userId, sessionId);
      return null;
    }
    const last = state?.lastId ?? null;
    const newestFirst: IndexedMessage[] = [];
    let before: number | undefined;
    let reachedLast = false;
    do {
      const page = await this.sessions.listMessages(userId, sessionId, CATCH_UP_PAGE, before);
      if (!page) {
        await this.index.removeSession(userId, sessionId);
        return null;
      }
      const messages = page.messages.map((json) => decodeMessage(json)).filter((m): m is StoredMessage => m !== null);
      for (let i = messages.length - 1; i >= 0 && !reachedLast; i--) {
        if (messages[i].id === last) reachedLast = true;
        else newestFirst.push({ id: messages[i].id, content: messages[i].content ?? '', created_at: messages[i].created_at });
      }
      before = page.nextBefore ?? undefined;
    } while (!reachedLast && before !== undefined);
    const messages = newestFirst.reverse();
    const again = state === null || (last !== null && !reachedLast);
    if (!again && messages.length === 0) return null;
    return {
      sessionId,
      number: again ? 0 : state!.number,
      fresh: again,
      replaces: again && state ? state.number : undefined,
      firstSeq: again ? 0 : state!.count,
      title,
      messages,
    };
  }

  /** The result for one matching session: its best message of those the index points at, else its title. */
  private resultFor(sessionId: string, title: string, messages: Array<StoredMessage | null>, query: ParsedQuery): SearchResultDto {
    const hit = this.bestMessage(messages, query);
    return {
      session_id: sessionId,
      title,
      message_id: hit?.id ?? null,
      snippet: hit ? snippetOf(hit.content, query, undefined, hit.words) : snippetOf(title, query, 200),
    };
  }

  /**
   * Of the messages the index points at (the newest holding each query term), the one holding the
   * most query words, the newest on a tie; null when none is left (deleted since).
   */
  private bestMessage(messages: Array<StoredMessage | null>, query: ParsedQuery): MessageHit | null {
    let best: MessageHit | null = null;
    for (const message of messages) {
      // The cheap test first: messages written in the same millisecond as a match may hold none.
      if (!message?.content || (messages.length > 1 && !mayMatch(message.content, query))) continue;
      const words = wordsOf(message.content);
      const found = queryWordsFound(words, query);
      if (found === 0) continue;
      if (!best || found > best.found || (found === best.found && message.created_at > best.at)) {
        best = { id: message.id, content: message.content, words, found, at: message.created_at };
      }
    }
    return best;
  }
}

/** When the newest message of a batch item was written (ms; 0 when it has none). */
function newestAt(item: BatchItem): number {
  return item.messages.reduce((max, m) => Math.max(max, m.created_at ?? 0), 0);
}

/** Per query word held WORD_SCORE, once more for the prefix (any expansion), plus the session's time (0: nothing matched). */
function scoreOf(hits: Array<number | undefined>, words: number, time: number): number {
  let matched = 0;
  let prefix = false;
  hits.forEach((seq, i) => {
    if (seq === undefined) return;
    if (i < words) matched++;
    else prefix = true;
  });
  if (prefix) matched++;
  return matched === 0 ? 0 : matched * WORD_SCORE + Math.max(time, 0);
}

/** Every session any term's hits hold, scored. */
function candidatesOf(byTerm: TermHits[], words: number, timeOf: (number: number) => number): Candidate[] {
  const candidates = new Map<number, Candidate>();
  byTerm.forEach((hits, j) => {
    for (const [number, seq] of hits) {
      let c = candidates.get(number);
      if (!c) candidates.set(number, (c = { number, hits: new Array<number | undefined>(byTerm.length), time: timeOf(number), score: 0, resolved: false }));
      c.hits[j] = seq;
    }
  });
  const all = [...candidates.values()];
  for (const c of all) c.score = scoreOf(c.hits, words, c.time);
  return all.filter((c) => c.score > 0);
}

/** Whether a hit through the title counts in the candidate's score (a rename may take it away). */
function leansOnTitle(c: Candidate): boolean {
  return c.hits.some((seq) => seq === TITLE_SEQ);
}

/** Highest score first, then the session indexed later. */
function byRank(a: Candidate, b: Candidate): number {
  return b.score - a.score || b.number - a.number;
}
