import { BadRequestException, Injectable, Logger } from '@nestjs/common';
import { decodeSessionCursor, encodeSessionCursor } from '../sessions/cursor';
import { decodeMessage } from '../sessions/session-record';
import type { StoredMessage } from '../sessions/session.model';
import { SessionsRepository } from '../sessions/sessions.repository';
import { SEARCH_LIMIT_DEFAULT, SearchPageDto, SearchQueryDto, SearchResultDto } from './dto/search.dto';
import { SearchCandidate, SearchIndexRepository } from './search-index.repository';
import { mayMatch, ParsedQuery, parseQuery, queryWordsFound, snippetOf, Word, wordsOf } from './text-analysis';

/** Words of a query used at most (the rest are ignored). */
export const MAX_QUERY_WORDS = 8;
/** Messages read per page while taking a session's new messages into the index. */
const CATCH_UP_PAGE = 200;
/** Rounds of "read candidates, drop sessions that have gone, top up" per page. */
const MAX_ROUNDS = 3;

interface MessageHit {
  id: string;
  content: string;
  words: Word[];
  found: number;
  at: number;
}

/**
 * Full-text search of the caller's sessions. Ranking: sessions holding more of the query's words
 * (in their title or any message; the last word as a prefix counts as one word) come first, then
 * those that used them most recently. For each session the result points at the message holding
 * the most query words among the newest message holding each of them (read by id: the index keeps
 * these pointers), or at its title.
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
    const expand = () => (query.prefix === null ? Promise.resolve([]) : this.index.expandPrefix(userId, query.prefix));
    // The prefix is expanded while pending messages are taken in; again if some were (they may add terms).
    const [indexed, expanded] = await Promise.all([
      this.catchUp(userId),
      expand(),
      this.index.sweepExpired(userId).catch((error: unknown) => this.logger.warn(`Search index sweep failed: ${String(error)}`)),
    ]);
    const expansions = indexed > 0 ? await expand() : expanded;
    const wanted = limit + 1; // one extra tells whether another page exists
    const found: Array<{ result: SearchResultDto; candidate: SearchCandidate }> = [];
    let position = after;
    for (let round = 0; round < MAX_ROUNDS && found.length < wanted; round++) {
      const count = wanted - found.length + 4;
      const candidates = await this.index.candidates(userId, query, expansions, count, position);
      if (candidates.length === 0) break;
      const details = await this.index.details(userId, candidates, query.words, expansions);
      // Sessions whose hash has gone (expired) leave the index now.
      await Promise.all(candidates.filter((_c, i) => details[i].title === null).map((c) => this.index.removeSession(userId, c.id)));
      const alive = candidates.flatMap((c, i) => (details[i].title === null ? [] : [{ candidate: c, title: details[i].title!, messageIds: details[i].messageIds }]));
      const taken = alive.slice(0, wanted - found.length);
      // The messages the index points at, all read in one round trip.
      const refs = taken.flatMap(({ candidate, messageIds }) => messageIds.map((messageId) => ({ sessionId: candidate.id, messageId })));
      const messages = await this.sessions.findMessages(userId, refs);
      taken.forEach(({ candidate, title }) => {
        const own = messages.filter((_m, i) => refs[i].sessionId === candidate.id);
        found.push({ result: this.resultFor(candidate, title, own, query), candidate });
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
  async catchUp(userId: string): Promise<number> {
    const pending = await this.index.pendingSessions(userId);
    await Promise.all(pending.map((id) => this.catchUpSession(userId, id)));
    return pending.length;
  }

  private async catchUpSession(userId: string, sessionId: string): Promise<void> {
    const { last, words } = await this.index.claimPending(userId, sessionId);
    const fresh: Array<{ id: string; content: string; created_at?: number }> = [];
    let before: number | undefined;
    let reachedLast = false;
    do {
      const page = await this.sessions.listMessages(userId, sessionId, CATCH_UP_PAGE, before);
      if (!page) return this.index.removeSession(userId, sessionId); // the session has gone
      const messages = page.messages.map((json) => decodeMessage(json)).filter((m): m is StoredMessage => m !== null);
      for (let i = messages.length - 1; i >= 0 && !reachedLast; i--) {
        if (messages[i].id === last) reachedLast = true;
        else fresh.push({ id: messages[i].id, content: messages[i].content ?? '', created_at: messages[i].created_at });
      }
      before = page.nextBefore ?? undefined;
    } while (!reachedLast && before !== undefined);
    const reindexed = last !== null && !reachedLast;
    if (reindexed) {
      const [title] = await this.index.titles(userId, [sessionId]);
      if (title === null) return this.index.removeSession(userId, sessionId);
      await this.index.clearSession(userId, sessionId, title);
    }
    if (fresh.length > 0) await this.index.storeIndexEntries(userId, sessionId, fresh, fresh[0].id, reindexed ? null : words);
  }

  /** The result for one matching session: its best message of those the index points at, else its title. */
  private resultFor(candidate: SearchCandidate, title: string, messages: Array<StoredMessage | null>, query: ParsedQuery): SearchResultDto {
    const hit = this.bestMessage(messages, query);
    return {
      session_id: candidate.id,
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
