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
/** Messages read first from a session indexed before, at least. */
const CATCH_UP_FIRST_PAGE = 2;
/** A catch-up takes further rounds of sessions (e.g. an index being upgraded) for this long at most. */
const CATCH_UP_BUDGET_MS = 2000;
/** A catch-up looks at sessions written this long before the last one started (clocks of servers differ a little). */
export const CATCH_UP_SLACK_MS = 2_000;
/** Chunks of candidates resolved (ids, titles) per page at most. */
const MAX_ROUNDS = 8;
/** Candidates ranked at first (all of them only when a page needs more). */
const RANKED_FIRST = 200;

interface MessageHit {
  id: string;
  content: string;
  words: Word[];
  found: number;
  at: number;
}

/**
 * A session on a page: its number, per query term (words, then the prefix's expansions) the
 * position + 1 of its newest message holding it (TITLE_SEQ: its title; undefined: neither), its
 * rank score, id and title.
 */
interface Candidate {
  number: number;
  hits: Array<number | undefined>;
  score: number;
  sessionId: string;
  title: string;
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
    const beyond = (score: number, number: number) => !after || score < after.score || (score === after.score && number < (afterNumber ?? Infinity));
    // A session found through its title may score less once the title is read (renamed since): below the cursor then.
    const eligible = after ? (score: number, number: number) => beyond(score, number) || hits.some((h) => h.get(number) === TITLE_SEQ) : () => true;
    const wanted = limit + 1; // one extra tells whether another page exists
    const page = await this.best(userId, (count) => rank(hits, query.words.length, timeOf, eligible, count), hits, terms, query.words.length, timeOf, wanted, beyond);
    const shown = page.slice(0, limit);
    const last = shown[shown.length - 1];
    return {
      results: await this.resultsFor(userId, shown, query),
      next_cursor: page.length > limit && last ? encodeSessionCursor({ score: last.score, id: last.sessionId }) : null,
    };
  }

  /**
   * The best `wanted` sessions of the ranking (session numbers, best score first: the best
   * RANKED_FIRST, all of them when more are needed): taken in order, a chunk at a time, each resolved (session id, title; a session gone is dropped and removed from
   * the index) and scored again without a hit through its title that the title no longer holds
   * (renamed since); done once `wanted` of them score at least what the next one in order could.
   */
  private async best(
    userId: string,
    ranking: (count: number) => Ranked,
    hits: TermHits[],
    terms: string[],
    words: number,
    timeOf: (number: number) => number,
    wanted: number,
    beyond: (score: number, number: number) => boolean,
  ): Promise<Candidate[]> {
    const kept: Candidate[] = [];
    let { order, scores, complete } = ranking(RANKED_FIRST);
    let next = 0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (next >= order.length) {
        if (complete) break;
        ({ order, scores, complete } = ranking(Infinity));
        if (next >= order.length) break;
      }
      kept.sort(byRank);
      const bound = scores[next];
      const last = kept[wanted - 1];
      if (last && (last.score > bound || (last.score === bound && last.number > order[next]))) break;
      const chunk = order.slice(next, next + Math.max(wanted - kept.length, 0) + 4);
      next += chunk.length;
      const ids = await this.index.sessionIds(userId, chunk);
      const known = ids.filter((id): id is string => id !== null);
      const titles = await this.index.titles(userId, known);
      const titleOf = new Map(known.map((id, i) => [id, titles[i]]));
      chunk.forEach((number, i) => {
        const id = ids[i];
        const title = id === null ? null : titleOf.get(id)!;
        if (id === null || title === null) {
          if (id !== null) this.index.removeSession(userId, id).catch((error: unknown) => this.logger.warn(`Search index removal failed: ${String(error)}`));
          return;
        }
        const titleTerms = new Set(termsOf(title));
        const own = hits.map((h, j) => {
          const seq = h.get(number);
          return seq === TITLE_SEQ && !titleTerms.has(terms[j]) ? undefined : seq;
        });
        const score = scoreOf(own, words, timeOf(number));
        if (score > 0 && beyond(score, number)) kept.push({ number, hits: own, score, sessionId: id, title });
      });
    }
    return kept.sort(byRank).slice(0, wanted);
  }

  /** The results of a page: per session, its best message of those its hits name, else its title. */
  private async resultsFor(userId: string, page: Candidate[], query: ParsedQuery): Promise<SearchResultDto[]> {
    // Per session the newest message holding each word, and the newest holding any expansion of the prefix.
    const refs = page.flatMap((c) => {
      const words = c.hits.slice(0, query.words.length);
      const prefix = Math.max(-1, ...c.hits.slice(query.words.length).map((seq) => seq ?? -1));
      return [...new Set([...words, prefix].filter((seq): seq is number => seq !== undefined && seq > TITLE_SEQ))].map((seq) => ({ sessionId: c.sessionId, seq }));
    });
    const messageIds = await this.index.messageIds(userId, refs);
    const found = refs.flatMap((ref, i) => (messageIds[i] === null ? [] : [{ sessionId: ref.sessionId, messageId: messageIds[i]! }]));
    const messages = await this.sessions.findMessages(userId, found);
    return page.map((c) => this.resultFor(c.sessionId, c.title, messages.filter((_m, i) => found[i].sessionId === c.sessionId), query));
  }

  /**
   * Takes the messages stored since the last catch-up into the index: the sessions written since
   * a little before it (their list scores move with every stored message: the append writes nothing
   * for the index) and the pending ones (made, imported, cleared), in rounds of PENDING_BATCH per
   * list, for CATCH_UP_BUDGET_MS at most, each round one batch written in one transaction. One
   * catch-up per identity at a time (another search meanwhile goes on without one).
   */
  async catchUp(userId: string): Promise<number> {
    const started = Date.now();
    const since = (await this.index.through(userId)) - CATCH_UP_SLACK_MS;
    let scan = await this.scan(userId, since, 0);
    if (scan.ids.length === 0) return 0; // nothing written since: no lock, no write
    const lock = await this.index.lockCatchUp(userId);
    if (!lock) return 0;
    let complete = true;
    try {
      let total = 0;
      for (let offset = 0; ; ) {
        if (scan.ids.length > 0) total += await this.catchUpRound(userId, scan.ids, scan.active);
        if (!scan.more) break;
        if (Date.now() - started > CATCH_UP_BUDGET_MS) {
          complete = false;
          break;
        }
        offset += PENDING_BATCH;
        scan = await this.scan(userId, since, offset);
      }
      return total;
    } finally {
      await this.index.finishCatchUp(userId, lock, complete ? started : null);
    }
  }

  /** The pending sessions and those written since `since` (a page of each list from `offset`): all their ids, the written ones, whether there are more. */
  private async scan(userId: string, since: number, offset: number): Promise<{ ids: string[]; active: ReadonlySet<string>; more: boolean }> {
    const [pending, active] = await Promise.all([this.index.pendingSessions(userId), this.index.activeSince(userId, since, offset, PENDING_BATCH)]);
    return { ids: [...new Set([...pending, ...active.sessions])], active: active.sessions, more: pending.length === PENDING_BATCH || active.more };
  }

  /** Resolves once the index's background merges in this server are done (benchmarks and tests). */
  settled(): Promise<void> {
    return this.index.settled();
  }

  private async catchUpRound(userId: string, ids: string[], active: ReadonlySet<string>): Promise<number> {
    const claims = await this.index.claim(userId, ids, active);
    const items = (await Promise.all(claims.map((claim) => this.itemFor(userId, claim)))).filter((item): item is BatchItem => item !== null);
    if (items.length === 0) return 0;
    // New numbers in the order the sessions were last written: on a tie of times, the later one ranks first.
    const fresh = items.filter((item) => item.fresh).sort((a, b) => newestAt(a) - newestAt(b));
    // Numbers and a segment id only when there is something to number or to write (else: states alone).
    const { firstNumber, segmentId } =
      fresh.length > 0 || items.some((item) => item.messages.length > 0) ? await this.index.allocate(userId, fresh.length) : { firstNumber: 0, segmentId: 0 };
    fresh.forEach((item, i) => (item.number = firstNumber + i));
    await this.index.storeBatch(userId, items, segmentId);
    return items.length;
  }

  /**
   * A claimed session's part of the batch: its messages newer than the newest one indexed. When
   * that one is no longer in the history (cleared, or an answer regenerated), or the session was
   * never indexed, the session is indexed from its title and whole history under a new number;
   * with no new message, only its change stamp is recorded. Null when the session has gone (it is
   * removed from the index).
   */
  private async itemFor(userId: string, claim: Claim): Promise<BatchItem | null> {
    const { sessionId, state, title, stamp } = claim;
    if (title === null) {
      await this.index.removeSession(userId, sessionId);
      return null;
    }
    const last = state?.lastId ?? null;
    const newestFirst: IndexedMessage[] = [];
    let before: number | undefined;
    let reachedLast = false;
    // As many as the session's count says are new (and the newest indexed), then pages growing.
    let size = state === null ? CATCH_UP_PAGE : Math.min(Math.max(claim.messageCount - state.count + 1, CATCH_UP_FIRST_PAGE), CATCH_UP_PAGE);
    do {
      const page = await this.sessions.listMessages(userId, sessionId, size, before);
      size = Math.min(size * 8, CATCH_UP_PAGE);
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
    return {
      sessionId,
      stamp,
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

/** Session numbers in rank order and their scores: the best `count` asked for, or all (`complete`). */
interface Ranked {
  order: number[];
  scores: number[];
  complete: boolean;
}

/**
 * Every session any term's hits hold, scored as scoreOf would (words held, the prefix once, the
 * session's time), in rank order: best first, then the session indexed later.
 */
function rank(byTerm: TermHits[], words: number, timeOf: (number: number) => number, eligible: (score: number, number: number) => boolean, count: number): Ranked {
  const matched = new Map<number, number>();
  for (let j = 0; j < words; j++) for (const number of byTerm[j].keys()) matched.set(number, (matched.get(number) ?? 0) + 1);
  if (byTerm.length > words) {
    const prefix = new Set<number>();
    for (let j = words; j < byTerm.length; j++) for (const number of byTerm[j].keys()) prefix.add(number);
    for (const number of prefix) matched.set(number, (matched.get(number) ?? 0) + 1);
  }
  // Best first: higher score, then higher number. A heap of the best `count` (its worst on top) unless all are wanted.
  const better = (s1: number, n1: number, s2: number, n2: number) => s1 > s2 || (s1 === s2 && n1 > n2);
  const all: Array<[number, number]> = [];
  const heap: Array<[number, number]> = [];
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < heap.length && better(heap[worst][0], heap[worst][1], heap[l][0], heap[l][1])) worst = l;
      if (r < heap.length && better(heap[worst][0], heap[worst][1], heap[r][0], heap[r][1])) worst = r;
      if (worst === i) return;
      [heap[i], heap[worst]] = [heap[worst], heap[i]];
      i = worst;
    }
  };
  let eligibleCount = 0;
  for (const [number, held] of matched) {
    const score = held * WORD_SCORE + Math.max(timeOf(number), 0);
    if (!eligible(score, number)) continue;
    eligibleCount++;
    if (count === Infinity) all.push([score, number]);
    else if (heap.length < count) {
      heap.push([score, number]);
      for (let i = heap.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!better(heap[parent][0], heap[parent][1], heap[i][0], heap[i][1])) break;
        [heap[i], heap[parent]] = [heap[parent], heap[i]];
        i = parent;
      }
    } else if (better(score, number, heap[0][0], heap[0][1])) {
      heap[0] = [score, number];
      down(0);
    }
  }
  const best = (count === Infinity ? all : heap).sort((a, b) => b[0] - a[0] || b[1] - a[1]);
  return { order: best.map(([, n]) => n), scores: best.map(([s]) => s), complete: best.length === eligibleCount };
}

/** Highest score first, then the session indexed later. */
function byRank(a: Candidate, b: Candidate): number {
  return b.score - a.score || b.number - a.number;
}
