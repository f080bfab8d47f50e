import { BadRequestException, Injectable, Logger } from '@nestjs/common';
import { decodeSessionCursor, encodeSessionCursor } from '../sessions/cursor';
import { SessionsRepository } from '../sessions/sessions.repository';
import { SEARCH_LIMIT_DEFAULT, SearchPageDto, SearchQueryDto, SearchResultDto } from './dto/search.dto';
import { SearchCandidate, SearchIndexRepository } from './search-index.repository';
import { mayMatch, ParsedQuery, parseQuery, queryWordsFound, snippetOf, wordsOf } from './text-analysis';

/** Words of a query used at most (the rest are ignored). */
export const MAX_QUERY_WORDS = 8;
/** Messages read per page while looking for a session's matching message. */
const SCAN_PAGE = 50;
/** Newest messages of a session looked through for the matching one, at most. */
const SCAN_LIMIT = 200;
/** Messages read per page while taking a session's new messages into the index. */
const CATCH_UP_PAGE = 200;
/** Rounds of "read candidates, drop sessions that have gone, top up" per page. */
const MAX_ROUNDS = 3;

interface MessageHit {
  id: string;
  content: string;
  found: number;
}

/**
 * Full-text search of the caller's sessions. Ranking: sessions holding more of the query's words
 * (in their title or any message; the last word as a prefix counts as one word) come first, then
 * those active most recently. For each session the result points at its newest message holding the
 * most query words (looked for among its SCAN_LIMIT newest messages), or at its title.
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
    await Promise.all([
      this.catchUp(userId),
      this.index.sweepExpired(userId).catch((error: unknown) => this.logger.warn(`Search index sweep failed: ${String(error)}`)),
    ]);
    const expansions = query.prefix === null ? [] : await this.index.expandPrefix(userId, query.prefix);
    const wanted = limit + 1; // one extra tells whether another page exists
    const found: Array<{ result: SearchResultDto; candidate: SearchCandidate }> = [];
    let position = after;
    for (let round = 0; round < MAX_ROUNDS && found.length < wanted; round++) {
      const count = wanted - found.length + 4;
      const candidates = await this.index.candidates(userId, query, expansions, count, position);
      if (candidates.length === 0) break;
      const titles = await this.index.titles(userId, candidates.map((c) => c.id));
      // Sessions whose hash has gone (expired) leave the index now.
      await Promise.all(candidates.filter((_c, i) => titles[i] === null).map((c) => this.index.removeSession(userId, c.id)));
      const alive = candidates.flatMap((c, i) => (titles[i] === null ? [] : [{ candidate: c, title: titles[i]! }]));
      const taken = alive.slice(0, wanted - found.length);
      const results = await Promise.all(taken.map(({ candidate, title }) => this.resultFor(userId, candidate, title, query)));
      results.forEach((result, i) => {
        if (result) found.push({ result, candidate: taken[i].candidate });
      });
      const consumed = taken.length < alive.length ? taken[taken.length - 1].candidate : candidates[candidates.length - 1];
      position = { score: consumed.score, id: consumed.id };
      if (candidates.length < count) break;
    }
    const page = found.slice(0, limit);
    const last = page[page.length - 1]?.candidate;
    return {
      results: page.map((f) => f.result),
      next_cursor: found.length > limit && last ? encodeSessionCursor({ score: last.score, id: last.id }) : null,
    };
  }

  /**
   * Takes the messages stored since the last search into the index: for each pending session, its
   * messages newer than the newest one indexed. When that one is no longer in the history (cleared,
   * or an answer regenerated), the session is indexed again from its title and whole history.
   */
  async catchUp(userId: string): Promise<void> {
    const pending = await this.index.pendingSessions(userId);
    await Promise.all(pending.map((id) => this.catchUpSession(userId, id)));
  }

  private async catchUpSession(userId: string, sessionId: string): Promise<void> {
    const last = await this.index.claimPending(userId, sessionId);
    const fresh: Array<{ id: string; content: string }> = [];
    let before: number | undefined;
    let reachedLast = false;
    do {
      const page = await this.sessions.listMessages(userId, sessionId, CATCH_UP_PAGE, before);
      if (!page) return this.index.removeSession(userId, sessionId); // the session has gone
      const messages = page.messages.map((json) => JSON.parse(json) as { id: string; content?: string });
      for (let i = messages.length - 1; i >= 0 && !reachedLast; i--) {
        if (messages[i].id === last) reachedLast = true;
        else fresh.push({ id: messages[i].id, content: messages[i].content ?? '' });
      }
      before = page.nextBefore ?? undefined;
    } while (!reachedLast && before !== undefined);
    if (last !== null && !reachedLast) {
      const [title] = await this.index.titles(userId, [sessionId]);
      if (title === null) return this.index.removeSession(userId, sessionId);
      await this.index.clearSession(userId, sessionId, title);
    }
    if (fresh.length > 0) await this.index.storeIndexEntries(userId, sessionId, fresh, fresh[0].id);
  }

  /** The result for one matching session, or null when it has gone meanwhile. */
  private async resultFor(userId: string, candidate: SearchCandidate, title: string, query: ParsedQuery): Promise<SearchResultDto | null> {
    const hit = await this.matchingMessage(userId, candidate.id, query);
    if (hit === undefined) return null;
    return {
      session_id: candidate.id,
      title,
      message_id: hit?.id ?? null,
      snippet: hit ? snippetOf(hit.content, query) : snippetOf(title, query, 200),
    };
  }

  /**
   * The newest message holding the most query words among the session's newest messages; null
   * when none holds any; undefined when the session has gone.
   */
  private async matchingMessage(userId: string, sessionId: string, query: ParsedQuery): Promise<MessageHit | null | undefined> {
    const all = query.words.length + (query.prefix === null ? 0 : 1);
    let best: MessageHit | null = null;
    let before: number | undefined;
    for (let scanned = 0; scanned < SCAN_LIMIT; scanned += SCAN_PAGE) {
      const page = await this.sessions.listMessages(userId, sessionId, SCAN_PAGE, before);
      if (!page) return undefined;
      for (let i = page.messages.length - 1; i >= 0; i--) {
        const { id, content } = JSON.parse(page.messages[i]) as { id: string; content?: string };
        const found = content && mayMatch(content, query) ? queryWordsFound(wordsOf(content), query) : 0;
        if (found > (best?.found ?? 0)) best = { id, content: content ?? '', found };
        if (found === all) return best;
      }
      if (page.nextBefore === null) break;
      before = page.nextBefore;
    }
    return best;
  }
}
