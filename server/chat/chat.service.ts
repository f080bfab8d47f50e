import {
  BadRequestException,
  ConflictException,
  HttpException,
  Inject,
  Injectable,
  InternalServerErrorException,
  Logger,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { setTimeout as sleep } from 'node:timers/promises';
import { llmConfig, LlmConfig } from '../config/config';
import { LiveEventsService } from '../events/live-events.service';
import { QuotaService } from '../limits/quota.service';
import { LlmService } from '../llm/llm.service';
import type { CompletionOutcome, ModelChoice } from '../llm/llm.types';
import { countTokens, TOKENS_PER_MESSAGE } from '../llm/tokenizer';
import type { Persona } from '../personas/persona-catalogue';
import { PersonasService } from '../personas/personas.service';
import { mapMessage } from '../sessions/dto/message.dto';
import { isSessionId } from '../sessions/session-id';
import type { MessageStore, StoredMessage, StoredSession } from '../sessions/session.model';
import { SessionsRepository } from '../sessions/sessions.repository';
import { SessionsService } from '../sessions/sessions.service';
import { BuiltContext, buildContext, systemPromptTokens, TokenCountCache } from './context-builder';
import type { GenerationStopDto } from './dto/chat-reply.dto';
import { GenerationLogRepository, isEntryId } from './generation-log.repository';
import { GenerationStreamer } from './generation-streamer';
import { FINAL_WRITE_RETRY_MS, GenerationWriter } from './generation-writer';
import { Generation, GenerationsService } from './generations.service';
import { newMessageId } from './message-id';
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
const FIRST_HISTORY_FETCH = 64;

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
}

/**
 * A turn of conversation: store the person's message, build the context (persona prompt + the
 * newest history within the token budget), run the model's answer as a server-owned generation
 * whose events go to a Redis Stream in batches (GenerationWriter: one write per ≤ 100 ms of deltas),
 * store the answer (complete, interrupted or failed; retried while the store reconnects). The
 * request that started it gets the events in process as they happen (SSE) or waits for the end
 * (JSON); other tabs and resumes follow the stream.
 */
@Injectable()
export class ChatService {
  private readonly logger = new Logger(ChatService.name);
  private readonly tokens = new TokenCountCache();
  private readonly store: MessageStore;

  constructor(
    private readonly sessions: SessionsService,
    repository: SessionsRepository,
    private readonly personas: PersonasService,
    private readonly llm: LlmService,
    private readonly generations: GenerationsService,
    private readonly log: GenerationLogRepository,
    private readonly streamer: GenerationStreamer,
    private readonly live: LiveEventsService,
    private readonly quotas: QuotaService,
    @Inject(llmConfig.KEY) private readonly config: LlmConfig,
  ) {
    this.store = repository;
  }

  sendMessage(userId: string, sessionId: string, content: string, reply: ReplyTarget, messageId = newMessageId()): Promise<void> {
    return this.converse(userId, sessionId, reply, async (turn) => {
      const ownTokens = this.checkFitsBudget(turn.persona, content);
      const userMessage: StoredMessage = {
        id: messageId,
        role: 'user',
        content,
        created_at: Date.now(),
        persona: turn.persona.key,
      };
      this.tokens.remember(userMessage.id, ownTokens);
      const limit = Math.min(turn.session.message_count + 2, FIRST_HISTORY_FETCH);
      // One MULTI stores the message and reads the history that ends with it.
      const { session, recent } = await this.store.appendAndReadRecent(userId, sessionId, [userMessage], limit);
      return { userMessage, history: withMessage(recent, userMessage), limit, historySize: session.message_count, stored: true };
    });
  }

  /** Answers the last user message again, replacing the answer it had. */
  regenerateMessage(userId: string, sessionId: string, reply: ReplyTarget): Promise<void> {
    return this.converse(userId, sessionId, reply, async (turn) => {
      const removed = await this.store.removeLastAssistantMessage(userId, sessionId);
      const historySize = turn.session.message_count - (removed ? 1 : 0);
      const limit = Math.min(historySize + 1, FIRST_HISTORY_FETCH);
      const history = await this.store.recentMessages(userId, sessionId, limit);
      const last = history[history.length - 1];
      if (last?.role !== 'user') {
        throw new ConflictException('Nothing to regenerate: this session has no message to answer yet. Send one first.');
      }
      return { userMessage: last, history, limit, historySize, stored: false };
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
      return { userMessage: last, history, limit, historySize: turn.session.message_count, stored: false };
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
    return { userId, sessionId, session, persona, choice: this.llm.modelFor(persona) };
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
      await writer.start('user_message', mapMessage(opening.userMessage));
    } catch (error) {
      await this.generations.end(generation);
      throw error;
    }
    reply.onStarted?.(opening.userMessage);
    if (opening.stored) this.live.announce(userId, { type: 'message.stored', session_id: sessionId, message: mapMessage(opening.userMessage) });
    this.live.announce(userId, { type: 'generation.started', session_id: sessionId });
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
    try {
      const assistant = await this.answer(turn, opening, generation, writer);
      await Promise.all([this.storeFinal(userId, sessionId, assistant.message), this.quotas.recordAnswer(userId, assistant.message)]);
      const last = assistant.error ? errorEventData(assistant.error, assistant.message.id) : mapMessage(assistant.message);
      if (!(await writer.finish(assistant.error ? 'error' : 'done', last))) {
        this.logger.error(`Session ${sessionId}: the answer is stored but its last event could not be written`);
      }
      result = { userMessage: opening.userMessage, assistant: assistant.message, error: assistant.error };
      this.live.announce(userId, { type: 'message.stored', session_id: sessionId, message: mapMessage(assistant.message) });
    } catch (failure) {
      const http = failure instanceof HttpException ? failure : this.unexpected(failure);
      await writer.finish('error', errorEventData(http, null));
      result = { userMessage: opening.userMessage, assistant: null, error: http };
    } finally {
      await this.generations.end(generation);
    }
    const status = result.assistant?.status ?? 'failed';
    this.live.announce(userId, { type: 'generation.finished', session_id: sessionId, status });
    this.logger.debug?.(`Session ${sessionId}: answer ${status}, ${writer.writes} event writes`);
    return result;
  }

  /** The answer's one store write, retried with backoff while the store reconnects (bounded). */
  private async storeFinal(userId: string, sessionId: string, message: StoredMessage): Promise<void> {
    const deadline = Date.now() + FINAL_WRITE_RETRY_MS;
    for (let wait = 100; ; wait = Math.min(wait * 2, 1000)) {
      try {
        await this.store.appendMessages(userId, sessionId, [message]);
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
    const outcome = await this.llm.streamCompletion({ ...turn.choice, messages: context.messages }, generation.signal, (text) =>
      writer.delta(text),
    );
    return toAssistantMessage(outcome, turn.persona, context);
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
    context: { messages: context.included, tokens: context.tokens },
  };
  return outcome.kind === 'failed' ? { message, error: outcome.error } : { message };
}
