import {
  BadRequestException,
  ConflictException,
  HttpException,
  Inject,
  Injectable,
  InternalServerErrorException,
  Logger,
} from '@nestjs/common';
import { llmConfig, LlmConfig } from '../config/config';
import { QuotaService } from '../limits/quota.service';
import { LlmService } from '../llm/llm.service';
import type { CompletionOutcome, ModelChoice } from '../llm/llm.types';
import { countTokens, TOKENS_PER_MESSAGE } from '../llm/tokenizer';
import type { Persona } from '../personas/persona-catalogue';
import { PersonasService } from '../personas/personas.service';
import type { MessageStore, StoredMessage, StoredSession } from '../sessions/session.model';
import { SessionsRepository } from '../sessions/sessions.repository';
import { SessionsService } from '../sessions/sessions.service';
import { BuiltContext, buildContext, systemPromptTokens, TokenCountCache } from './context-builder';
import type { GenerationStopDto } from './dto/chat-reply.dto';
import { Generation, GenerationsService } from './generations.service';
import { newMessageId } from './message-id';
import type { ReplyChannel } from './reply-channel';

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

interface Answered {
  userMessage: StoredMessage;
  assistant: StoredMessage;
  error?: HttpException;
}

/** The message being answered and the first page of history read with it. */
interface Opening {
  userMessage: StoredMessage;
  history: StoredMessage[];
  /** How many list entries that page asked for. */
  limit: number;
  /** Messages in the session now. */
  historySize: number;
}

/**
 * A turn of conversation: store the person's message, build the context (persona prompt + the
 * newest history within the token budget), stream the model's answer to the channel, store the
 * answer (complete, interrupted or failed). Each store write is one round trip; nothing touches the
 * store per streamed chunk. Independent store calls go out together, so the first token waits for
 * two round trips (session + lock, then message + history in one MULTI) besides the model, plus
 * one for the identity when its token is not in the in-process cache.
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
    private readonly quotas: QuotaService,
    @Inject(llmConfig.KEY) private readonly config: LlmConfig,
  ) {
    this.store = repository;
  }

  sendMessage(userId: string, sessionId: string, content: string, channel: ReplyChannel): Promise<void> {
    return this.converse(userId, sessionId, channel, async (turn) => {
      const ownTokens = this.checkFitsBudget(turn.persona, content);
      const userMessage: StoredMessage = {
        id: newMessageId(),
        role: 'user',
        content,
        created_at: Date.now(),
        persona: turn.persona.key,
      };
      this.tokens.remember(userMessage.id, ownTokens);
      const limit = Math.min(turn.session.message_count + 2, FIRST_HISTORY_FETCH);
      // One MULTI stores the message and reads the history that ends with it.
      const { session, recent } = await this.store.appendAndReadRecent(userId, sessionId, [userMessage], limit);
      return { userMessage, history: withMessage(recent, userMessage), limit, historySize: session.message_count };
    });
  }

  /** Answers the last user message again, replacing the answer it had. */
  regenerateMessage(userId: string, sessionId: string, channel: ReplyChannel): Promise<void> {
    return this.converse(userId, sessionId, channel, async (turn) => {
      const removed = await this.store.removeLastAssistantMessage(userId, sessionId);
      const historySize = turn.session.message_count - (removed ? 1 : 0);
      const limit = Math.min(historySize + 1, FIRST_HISTORY_FETCH);
      const history = await this.store.recentMessages(userId, sessionId, limit);
      const last = history[history.length - 1];
      if (last?.role !== 'user') {
        throw new ConflictException('Nothing to regenerate: this session has no message to answer yet. Send one first.');
      }
      return { userMessage: last, history, limit, historySize };
    });
  }

  async stopGeneration(userId: string, sessionId: string): Promise<GenerationStopDto> {
    await this.sessions.getSession(userId, sessionId);
    return { stopped: await this.generations.stop(userId, sessionId) };
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

  /** One generation under the session's lock; the lock is released before the client hears "done". */
  private async converse(
    userId: string,
    sessionId: string,
    channel: ReplyChannel,
    open: (turn: Turn) => Promise<Opening>,
  ): Promise<void> {
    // The ownership check and the lock go out together. A 404 wins over a 409; the lock key lives in
    // the caller's own key space, so taking it for a session that is not theirs touches nobody else.
    const [prepared, locked] = await Promise.allSettled([this.prepare(userId, sessionId), this.generations.begin(userId, sessionId)]);
    if (prepared.status === 'rejected' || locked.status === 'rejected') {
      if (locked.status === 'fulfilled') await this.generations.end(locked.value);
      throw prepared.status === 'rejected' ? prepared.reason : (locked as PromiseRejectedResult).reason;
    }
    const [turn, generation] = [prepared.value, locked.value];
    channel.onDisconnect(() => generation.abort());
    let answered: Answered | undefined;
    let failure: unknown;
    try {
      const opening = await open(turn);
      channel.started(opening.userMessage);
      const assistant = await this.answer(turn, opening, generation, channel);
      await Promise.all([
        this.store.appendMessages(userId, sessionId, [assistant.message]),
        this.generations.end(generation),
        this.quotas.recordAnswer(userId, assistant.message),
      ]);
      answered = { userMessage: opening.userMessage, assistant: assistant.message, error: assistant.error };
    } catch (error) {
      failure = error;
    } finally {
      await this.generations.end(generation);
    }
    if (answered) return channel.finished(answered.userMessage, answered.assistant, answered.error);
    const http = failure instanceof HttpException ? failure : this.unexpected(failure);
    if (!channel.failed(http)) throw failure;
  }

  private async answer(
    turn: Turn,
    opening: Opening,
    generation: Generation,
    channel: ReplyChannel,
  ): Promise<{ message: StoredMessage; error?: HttpException }> {
    const context = await this.buildContext(turn, opening);
    const outcome = await this.llm.streamCompletion({ ...turn.choice, messages: context.messages }, generation.signal, (text) =>
      channel.delta(text),
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
