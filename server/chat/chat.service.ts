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
import { LlmService } from '../llm/llm.service';
import type { CompletionOutcome, ModelChoice } from '../llm/llm.types';
import { countTokens, TOKENS_PER_MESSAGE } from '../llm/tokenizer';
import type { Persona } from '../personas/persona-catalogue';
import { PersonasService } from '../personas/personas.service';
import type { MessageStore, StoredMessage } from '../sessions/session.model';
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
  persona: Persona;
  choice: ModelChoice;
}

interface Answered {
  userMessage: StoredMessage;
  assistant: StoredMessage;
  error?: HttpException;
}

/**
 * A turn of conversation: store the person's message, build the context (persona prompt + the
 * newest history within the token budget), stream the model's answer to the channel, store the
 * answer (complete, interrupted or failed). Each store write is one round trip; nothing touches the
 * store per streamed chunk.
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
    @Inject(llmConfig.KEY) private readonly config: LlmConfig,
  ) {
    this.store = repository;
  }

  async sendMessage(userId: string, sessionId: string, content: string, channel: ReplyChannel): Promise<void> {
    const turn = await this.prepare(userId, sessionId);
    this.checkFitsBudget(turn.persona, content);
    await this.converse(turn, channel, async () => {
      const userMessage: StoredMessage = {
        id: newMessageId(),
        role: 'user',
        content,
        created_at: Date.now(),
        persona: turn.persona.key,
      };
      const session = await this.store.appendMessages(userId, sessionId, [userMessage]);
      return { userMessage, historySize: session.message_count };
    });
  }

  /** Answers the last user message again, replacing the answer it had. */
  async regenerateMessage(userId: string, sessionId: string, channel: ReplyChannel): Promise<void> {
    const turn = await this.prepare(userId, sessionId);
    await this.converse(turn, channel, async () => {
      await this.store.removeLastAssistantMessage(userId, sessionId);
      const [last] = await this.store.recentMessages(userId, sessionId, 1);
      if (last?.role !== 'user') {
        throw new ConflictException('Nothing to regenerate: this session has no message to answer yet. Send one first.');
      }
      const session = await this.sessions.getSession(userId, sessionId);
      return { userMessage: last, historySize: session.message_count };
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
    return { userId, sessionId, persona, choice: this.llm.modelFor(persona) };
  }

  private checkFitsBudget(persona: Persona, content: string): void {
    const budget = this.config.contextTokenBudget;
    const own = countTokens(content) + TOKENS_PER_MESSAGE;
    const total = own + systemPromptTokens(persona.system_prompt);
    if (total > budget) {
      throw new BadRequestException(
        `This message is ${own} tokens; with the persona's instructions that is ${total} tokens, more than the ` +
          `context budget of ${budget} (CONTEXT_TOKEN_BUDGET). Shorten it or split it into several messages.`,
      );
    }
  }

  /** One generation under the session's lock; the lock is released before the client hears "done". */
  private async converse(
    turn: Turn,
    channel: ReplyChannel,
    begin: () => Promise<{ userMessage: StoredMessage; historySize: number }>,
  ): Promise<void> {
    const generation = await this.generations.begin(turn.userId, turn.sessionId);
    channel.onDisconnect(() => generation.abort());
    let answered: Answered | undefined;
    let failure: unknown;
    try {
      const { userMessage, historySize } = await begin();
      channel.started(userMessage);
      const assistant = await this.answer(turn, generation, historySize, channel);
      await this.store.appendMessages(turn.userId, turn.sessionId, [assistant.message]);
      answered = { userMessage, assistant: assistant.message, error: assistant.error };
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
    generation: Generation,
    historySize: number,
    channel: ReplyChannel,
  ): Promise<{ message: StoredMessage; error?: HttpException }> {
    const context = await this.buildContext(turn, historySize);
    const outcome = await this.llm.streamCompletion({ ...turn.choice, messages: context.messages }, generation.signal, (text) =>
      channel.delta(text),
    );
    return toAssistantMessage(outcome, turn.persona, context);
  }

  /** Reads only as much history as the budget can hold: a page, more only when all of it fit. */
  private async buildContext(turn: Turn, historySize: number): Promise<BuiltContext> {
    const budget = this.config.contextTokenBudget;
    let limit = Math.min(historySize + 1, FIRST_HISTORY_FETCH);
    for (;;) {
      const history = await this.store.recentMessages(turn.userId, turn.sessionId, limit);
      const context = buildContext(turn.persona.system_prompt, history, budget, (m) => this.tokens.of(m));
      const readAll = history.length < limit || limit >= historySize + 1;
      if (context.trimmed || readAll || limit >= MAX_HISTORY_FETCH) return context;
      limit = Math.min(limit * 4, historySize + 1, MAX_HISTORY_FETCH);
    }
  }

  private unexpected(error: unknown): HttpException {
    this.logger.error(`Chat turn failed: ${(error as Error)?.stack ?? String(error)}`);
    return new InternalServerErrorException('The answer could not be completed or stored; try again in a moment.');
  }
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
