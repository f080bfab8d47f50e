import { isStoreUnavailable, STORE_UNAVAILABLE_MESSAGE } from '../common/all-exceptions.filter';
import {
  BadRequestException,
  ConflictException,
  HttpException,
  NotFoundException,
  Inject,
  Injectable,
  InternalServerErrorException,
  ServiceUnavailableException,
  Logger,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { setTimeout as sleep } from 'node:timers/promises';
import { llmConfig, LlmConfig } from '../config/config';
import type { LiveEventDto } from '../events/dto/live-event.dto';
import { LiveEventsService } from '../events/live-events.service';
import { QuotaService } from '../limits/quota.service';
import { LlmService } from '../llm/llm.service';
import type { CompletionOutcome, ModelChoice } from '../llm/llm.types';
import { countTokens, TOKENS_PER_MESSAGE } from '../llm/tokenizer';
import type { Persona } from '../personas/persona-catalogue';
import { allowedSettings } from '../personas/persona-overrides';
import { PersonasService } from '../personas/personas.service';
import { mapMessage } from '../sessions/dto/message.dto';
import { isSessionId } from '../sessions/session-id';
import type { AppendPoint, StoredMessage, StoredSession } from '../sessions/session.model';
import { messageNotFound, SessionsRepository } from '../sessions/sessions.repository';
import { SessionsService } from '../sessions/sessions.service';
import { BuiltContext, buildContext, systemPromptTokens, TokenCountCache } from './context-builder';
import type { GenerationStopDto } from './dto/chat-reply.dto';
import { GenerationLogRepository, isEntryId } from './generation-log.repository';
import { GenerationStreamer } from './generation-streamer';
import { FINAL_WRITE_RETRY_MS, GenerationWriter } from './generation-writer';
import { Generation, GenerationsService } from './generations.service';
import { newMessageId } from './message-id';
import { PromptSnapshotsRepository } from './prompt-snapshots.repository';
import { SessionTitlesService } from './session-titles.service';
import { errorEventData, sendJsonResult, TurnResult } from './reply-channel';

/** Where the outcome of a send or regenerate goes, and who wants to hear about its progress. */
export interface ReplyTarget {
  req: Request;
  res: Response;
  /** SSE (follow the generation's stream) rather than one JSON response at the end. */
  stream: boolean;
  onStarted?(userMessage: StoredMessage): void;
  onFinished?(result: TurnResult): void;
}

/** Never read more history than this for one answer, however large the budget. */
const MAX_HISTORY_FETCH = 2000;
export const FIRST_HISTORY_FETCH = 64;

/** Everything fixed before a turn starts: whose session, which persona, which model. */
interface Turn {
  userId: string;
  sessionId: string;
  session: StoredSession;
  persona: Persona;
  choice: ModelChoice;
}

/** The message being answered and the first page of history read with it. */
interface Opening {
  userMessage: StoredMessage;
  history: StoredMessage[];
  /** How many list entries that page asked for. */
  limit: number;
  /** Messages in the session now. */
  historySize: number;
  /** True when this turn stored the user message (send), false when it was already there. */
  stored: boolean;
  /** Answers already given to userMessage (regenerate): the new answer becomes the newest of them. */
  answerSiblings: string[];
}

/**
 * A turn of conversation: store the person's message, build the context (persona prompt + the
 * newest history within the token budget), run the model's answer as a server-owned generation
 * whose events go to a Redis Stream in batches (GenerationWriter: one write per ≤ 200 ms of deltas),
 * store the answer (complete, interrupted or failed; retried while the store reconnects). The
 * request that started it gets the events in process as they happen (SSE) or waits for the end
 * (JSON); other tabs and resumes follow the stream.
 */
@Injectable()
export class ChatService {
  private readonly logger = new Logger(ChatService.name);
  private readonly tokens = new TokenCountCache();

  constructor(
    private readonly sessions: SessionsService,
    private readonly store: SessionsRepository,
    private readonly personas: PersonasService,
    private readonly llm: LlmService,
    private readonly generations: GenerationsService,
    private readonly log: GenerationLogRepository,
    private readonly streamer: GenerationStreamer,
    private readonly live: LiveEventsService,
    private readonly quotas: QuotaService,
    private readonly prompts: PromptSnapshotsRepository,
    private readonly titles: SessionTitlesService,
    @Inject(llmConfig.KEY) private readonly config: LlmConfig,
  ) {}

  /**
   * Stores the person's message and answers it. `parentId` absent: after the active path's last
   * message (one round trip); an answer's id: a new version beside that answer's current follow-up
   * (edit); null: a new first message. Either way the new message ends the active path.
   */
  sendMessage(
    userId: string,
    sessionId: string,
    content: string,
    reply: ReplyTarget,
    messageId = newMessageId(),
    parentId?: string | null,
  ): Promise<void> {
    return this.converse(userId, sessionId, reply, async (turn) => {
      const ownTokens = this.checkFitsBudget(turn.persona, content);
      const point = await this.appendPoint(turn, parentId);
      const userMessage: StoredMessage = {
        id: messageId,
        role: 'user',
        content,
        created_at: Date.now(),
        persona: turn.persona.key,
        parent_id: point.parent_id,
        depth: point.depth + 1,
        sibling_index: point.siblings.length,
        sibling_count: point.siblings.length + 1,
      };
      this.tokens.remember(userMessage.id, ownTokens);
      const limit = Math.min(point.depth + 2, FIRST_HISTORY_FETCH);
      // One MULTI stores the message and reads the history that ends with it.
      const { session, recent } = await this.store.appendAndReadRecent(userId, sessionId, [userMessage], limit, point.siblings);
      return { userMessage, history: withMessage(recent, userMessage), limit, historySize: session.message_count, stored: true, answerSiblings: [] };
    });
  }

  /** Where a sent message goes (see sendMessage); 404/400 for a parent that cannot take it. */
  private async appendPoint(turn: Turn, parentId: string | null | undefined): Promise<AppendPoint> {
    const leaf = turn.session.active_leaf_id ?? null;
    const atLeaf: AppendPoint = { parent_id: leaf, depth: turn.session.message_count, siblings: [] };
    if (parentId === undefined || (parentId === null && leaf === null)) return atLeaf;
    if (parentId !== null) {
      const parent = await this.store.findMessage(turn.userId, turn.sessionId, parentId);
      if (!parent) throw new NotFoundException(messageNotFound(parentId));
      if (parent.role !== 'assistant') {
        throw new BadRequestException(
          `parent_id must be the id of an answer (assistant message), or null for a new first message; ${parentId} is a user message. ` +
            'To edit a message, send the new text with the parent_id of the message being edited.',
        );
      }
      if (parentId === leaf) return atLeaf;
    }
    return this.store.branchAt(turn.userId, turn.sessionId, parentId);
  }

  /**
   * Answers again: `messageId` is the answer to redo (default: the active path's last answer, or
   * its last message when that one has no answer yet). The new answer is a sibling of the old one,
   * which stays; the path through the new one becomes active.
   */
  regenerateMessage(userId: string, sessionId: string, reply: ReplyTarget, messageId?: string): Promise<void> {
    return this.converse(userId, sessionId, reply, async (turn) => {
      const nothing = () => new ConflictException('Nothing to regenerate: this session has no message to answer yet. Send one first.');
      const targetId = messageId ?? turn.session.active_leaf_id ?? null;
      if (targetId === null) throw nothing();
      const target = await this.store.findMessage(userId, sessionId, targetId);
      if (!target) throw new NotFoundException(messageNotFound(targetId));
      let question: StoredMessage;
      let point: AppendPoint;
      if (target.role === 'user') {
        if (messageId !== undefined) {
          throw new BadRequestException(
            `message_id must be the id of an answer (assistant message); ${messageId} is a user message. To change a question, send a new version with parent_id.`,
          );
        }
        // The last message has no answer yet (it is the leaf): answer it.
        question = target;
        point = { parent_id: target.id, depth: target.depth!, siblings: [] };
      } else {
        if (!target.parent_id) throw nothing();
        const found = await this.store.findMessage(userId, sessionId, target.parent_id);
        if (!found) throw new NotFoundException(messageNotFound(target.parent_id));
        question = found;
        point = await this.store.branchAt(userId, sessionId, target.parent_id);
      }
      const limit = Math.min(point.depth + 1, FIRST_HISTORY_FETCH);
      const history = await this.store.recentMessages(userId, sessionId, limit);
      const last = history[history.length - 1];
      if (last?.id !== question.id) throw new ConflictException('The conversation changed while regenerating; try again.');
      return { userMessage: { ...last, depth: question.depth }, history, limit, historySize: point.depth, stored: false, answerSiblings: point.siblings };
    });
  }

  /**
   * Answers a user message that is already the last one in the history (a retried send whose first
   * attempt stored it, then failed); 409 when it is not the last one any more.
   */
  answerStoredMessage(userId: string, sessionId: string, messageId: string, reply: ReplyTarget): Promise<void> {
    return this.converse(userId, sessionId, reply, async (turn) => {
      const limit = Math.min(turn.session.message_count + 1, FIRST_HISTORY_FETCH);
      const history = await this.store.recentMessages(userId, sessionId, limit);
      const last = history[history.length - 1];
      if (last?.id !== messageId) {
        throw new ConflictException('This message was stored but the conversation has moved on since; send it again without the Idempotency-Key.');
      }
      const userMessage = { ...last, depth: turn.session.message_count };
      return { userMessage, history, limit, historySize: turn.session.message_count, stored: false, answerSiblings: [] };
    });
  }

  /**
   * GET .../generation: replays the session's generation events after `lastEventId` and follows it
   * live until it ends, wherever it runs; 204 when nothing runs and nothing ended just now.
   */
  async followGeneration(userId: string, sessionId: string, lastEventId: string | undefined, res: Response): Promise<void> {
    if (lastEventId !== undefined && !isEntryId(lastEventId)) {
      throw new BadRequestException('Last-Event-ID must be the id of an event of this stream (e.g. 1732890000000-3), or absent to start from the beginning.');
    }
    // The ownership check and the first read go out together; nothing is written before the check passed.
    const owned = this.sessions.getSession(userId, sessionId);
    if (!(await this.streamer.stream(res, userId, sessionId, lastEventId, 200, owned))) res.status(204).end();
  }

  /**
   * The ownership check and the stop go out together (the stop reaches the upstream request one
   * round trip sooner): the lock, the stop and the running answer all live in the caller's own key
   * space, so stopping a session that is not theirs touches nothing; it still answers 404.
   */
  async stopGeneration(userId: string, sessionId: string): Promise<GenerationStopDto> {
    const [session, stopped] = await Promise.allSettled([
      this.sessions.getSession(userId, sessionId),
      isSessionId(sessionId) ? this.generations.stop(userId, sessionId) : Promise.resolve(false),
    ]);
    if (session.status === 'rejected') throw session.reason;
    if (stopped.status === 'rejected') throw stopped.reason;
    return { stopped: stopped.value };
  }

  /** 404 for a session that is not the caller's, 503 when no model is configured: before anything is stored. */
  private async prepare(userId: string, sessionId: string): Promise<Turn> {
    const session = await this.sessions.getSession(userId, sessionId);
    const persona = this.personas.find(session.persona) ?? this.personas.require(this.personas.defaultKey());
    // Only what the persona allows now applies (the persona file may have changed since the PATCH).
    const overrides = allowedSettings(persona.key, persona.allow_overrides, session.settings).kept;
    return { userId, sessionId, session, persona, choice: this.llm.modelFor(persona, overrides) };
  }

  /** Tokens the message takes; 400 when it cannot fit the budget even alone with the persona prompt. */
  private checkFitsBudget(persona: Persona, content: string): number {
    const budget = this.config.contextTokenBudget;
    const own = countTokens(content) + TOKENS_PER_MESSAGE;
    const total = own + systemPromptTokens(persona.system_prompt);
    if (total > budget) {
      throw new BadRequestException(
        `This message is ${own} tokens; with the persona's instructions that is ${total} tokens, more than the ` +
          `context budget of ${budget} (CONTEXT_TOKEN_BUDGET). Shorten it or split it into several messages.`,
      );
    }
    return own;
  }

  /**
   * One generation under the session's lock. Errors found before the answer starts (404, 409, 400,
   * 503 no model) are thrown as they are; after that the generation belongs to the server: it runs
   * to its end (or Stop) whether or not the client stays, and the client follows its stream.
   */
  private async converse(userId: string, sessionId: string, reply: ReplyTarget, open: (turn: Turn) => Promise<Opening>): Promise<void> {
    // The ownership check and the lock go out together. A 404 wins over a 409; the lock key lives in
    // the caller's own key space, so taking it for a session that is not theirs touches nobody else.
    const [prepared, locked] = await Promise.allSettled([this.prepare(userId, sessionId), this.generations.begin(userId, sessionId)]);
    if (prepared.status === 'rejected' || locked.status === 'rejected') {
      if (locked.status === 'fulfilled') await this.generations.end(locked.value);
      throw prepared.status === 'rejected' ? prepared.reason : (locked as PromiseRejectedResult).reason;
    }
    const [turn, generation] = [prepared.value, locked.value];
    const writer = new GenerationWriter(this.log, userId, sessionId);
    let opening: Opening;
    try {
      opening = await open(turn);
      // Mapped once: the stream's first event and the live event carry the same object.
      const question = mapMessage(opening.userMessage);
      const started: LiveEventDto = { type: 'generation.started', session_id: sessionId };
      const storedQuestion: LiveEventDto[] = opening.stored ? [{ type: 'message.stored', session_id: sessionId, message: question }] : [];
      // The stream's start and its announcements in one transaction (one round trip): other tabs
      // hear of the question and the generation once its stream can be followed.
      await writer.start('user_message', question, (tx) => this.live.announceIn(tx, userId, ...storedQuestion, started));
    } catch (error) {
      await this.generations.end(generation);
      throw error;
    }
    reply.onStarted?.(opening.userMessage);
    // The request that started it gets the events in process, from the first one on.
    if (reply.stream) this.streamer.serveLive(reply.res, writer, 201);
    const result = this.run(turn, opening, generation, writer);
    void result.then((r) => reply.onFinished?.(r));
    if (reply.stream) return;
    sendJsonResult(reply.req, reply.res, await result);
  }

  /** The generation itself, detached from any request: never rejects. */
  private async run(turn: Turn, opening: Opening, generation: Generation, writer: GenerationWriter): Promise<TurnResult> {
    const { userId, sessionId } = turn;
    let result: TurnResult;
    // The stored answer and the end of the generation are announced together (one message).
    let stored: LiveEventDto | undefined;
    let released: Promise<void>;
    try {
      const assistant = await this.answer(turn, opening, generation, writer);
      await Promise.all([this.storeFinal(userId, sessionId, assistant.message, opening.answerSiblings), this.quotas.recordAnswer(userId, assistant.message)]);
      const answer = mapMessage(assistant.message);
      const last = assistant.error ? errorEventData(assistant.error, assistant.message.id) : answer;
      if (!(await writer.finish(assistant.error ? 'error' : 'done', last))) {
        this.logger.error(`Session ${sessionId}: the answer is stored but its last event could not be written`);
      }
      result = { userMessage: opening.userMessage, assistant: assistant.message, error: assistant.error };
      stored = { type: 'message.stored', session_id: sessionId, message: answer };
      this.titles.afterAnswer(userId, turn.session, turn.choice, opening.userMessage, assistant.message);
    } catch (failure) {
      const http = failure instanceof HttpException ? failure : this.unexpected(failure);
      await writer.finish('error', errorEventData(http, null));
      result = { userMessage: opening.userMessage, assistant: null, error: http };
    } finally {
      released = this.generations.end(generation);
    }
    // The lock's release is sent first and the announcement in the same tick, without waiting for
    // the release's reply: both go out in one write on the same connection, and Redis runs them in
    // that order, so whoever hears of the end finds the session free.
    const status = result.assistant?.status ?? 'failed';
    const finished: LiveEventDto = { type: 'generation.finished', session_id: sessionId, status };
    this.live.announce(userId, ...(stored ? [stored] : []), finished);
    await released;
    this.logger.debug?.(`Session ${sessionId}: answer ${status}, ${writer.writes} event writes`);
    return result;
  }

  /** The answer's one store write, retried with backoff while the store reconnects (bounded). */
  private async storeFinal(userId: string, sessionId: string, message: StoredMessage, siblings: string[]): Promise<void> {
    const deadline = Date.now() + FINAL_WRITE_RETRY_MS;
    for (let wait = 100; ; wait = Math.min(wait * 2, 1000)) {
      try {
        await this.store.appendMessages(userId, sessionId, [message], siblings);
        return;
      } catch (error) {
        if (error instanceof HttpException || Date.now() + wait > deadline) throw error;
        this.logger.warn(`Session ${sessionId}: storing the answer failed (${(error as Error).message}); retrying`);
        await sleep(wait);
      }
    }
  }

  private async answer(
    turn: Turn,
    opening: Opening,
    generation: Generation,
    writer: GenerationWriter,
  ): Promise<{ message: StoredMessage; error?: HttpException }> {
    const context = await this.buildContext(turn, opening);
    const promptId = this.prompts.remember(turn.persona.system_prompt);
    const outcome = await this.llm.streamCompletion({ ...turn.choice, messages: context.messages }, generation.signal, (text) =>
      writer.delta(text),
    );
    return toAssistantMessage(outcome, turn.persona, context, opening, promptId);
  }

  /** Reads only as much history as the budget can hold: the first page, more only when all of it fit. */
  private async buildContext(turn: Turn, opening: Opening): Promise<BuiltContext> {
    const budget = this.config.contextTokenBudget;
    let { history, limit } = opening;
    for (;;) {
      const context = buildContext(turn.persona.system_prompt, history, budget, (m) => this.tokens.of(m));
      const readAll = history.length < limit || limit >= opening.historySize + 1;
      if (context.trimmed || readAll || limit >= MAX_HISTORY_FETCH) return context;
      limit = Math.min(limit * 4, opening.historySize + 1, MAX_HISTORY_FETCH);
      history = withMessage(await this.store.recentMessages(turn.userId, turn.sessionId, limit), opening.userMessage);
    }
  }

  private unexpected(error: unknown): HttpException {
    // The store went away mid-turn (a failover, a restart): a 503 to retry, as for any other route.
    if (isStoreUnavailable(error)) {
      this.logger.warn(`Chat turn failed, store unavailable: ${(error as Error).message}`);
      return new ServiceUnavailableException(STORE_UNAVAILABLE_MESSAGE);
    }
    this.logger.error(`Chat turn failed: ${(error as Error)?.stack ?? String(error)}`);
    return new InternalServerErrorException('The answer could not be completed or stored; try again in a moment.');
  }
}

/** `history` ending with `message`, whether or not the read already saw it. */
function withMessage(history: StoredMessage[], message: StoredMessage): StoredMessage[] {
  for (let i = history.length - 1; i >= 0; i--) if (history[i].id === message.id) return history;
  return [...history, message];
}

function toAssistantMessage(
  outcome: CompletionOutcome,
  persona: Persona,
  context: BuiltContext,
  opening: Opening,
  promptId: string,
): { message: StoredMessage; error?: HttpException } {
  const message: StoredMessage = {
    id: newMessageId(),
    role: 'assistant',
    content: outcome.content,
    created_at: Date.now(),
    persona: persona.key,
    model: outcome.model,
    status: outcome.kind === 'complete' ? 'complete' : outcome.kind === 'aborted' ? 'interrupted' : 'failed',
    finish_reason: outcome.kind === 'complete' ? outcome.finish_reason : null,
    usage: outcome.kind === 'complete' ? outcome.usage : null,
    error: outcome.kind === 'failed' ? { status: outcome.error.getStatus(), message: outcome.error.message } : null,
    context: { messages: context.included, tokens: context.tokens, first_message_id: context.firstId, system_prompt_id: promptId },
    parent_id: opening.userMessage.id,
    depth: opening.userMessage.depth! + 1,
    sibling_index: opening.answerSiblings.length,
    sibling_count: opening.answerSiblings.length + 1,
  };
  return outcome.kind === 'failed' ? { message, error: outcome.error } : { message };
}
