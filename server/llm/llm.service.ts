import {
  HttpException,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  ServiceUnavailableException,
} from '@nestjs/common';
import OpenAI from 'openai';
import { llmConfig, LlmConfig } from '../config/config';
import type { Persona } from '../personas/persona-catalogue';
import type { SessionSettings } from '../personas/persona-overrides';
import { LlmCallContext, modelCallDetail } from './llm-errors';
import { ModelStreamClient } from './model-stream';
import { StreamRun } from './stream-run';
import { CompletionOutcome, CompletionRequest, ModelChoice } from './llm.types';
import { warmUpTokenizer } from './tokenizer';

const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** How a refused message starts when chat is not configured; the client recognises it. */
export const CHAT_NOT_SET_UP = 'Chat is not set up on this server yet.';

/**
 * The one place that talks to the model: any OpenAI-compatible server (OPENAI_BASE_URL selects
 * OpenAI, Ollama, vLLM, LM Studio, llama.cpp server, OpenRouter...). Answers are always streamed
 * upstream so stop, disconnect and the timeouts work the same for the streaming and the JSON API;
 * they go through ModelStreamClient (undici + eventsource-parser, the CPU of every chunk), the
 * small non-streamed side requests (titles) through the official SDK.
 */
@Injectable()
export class LlmService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(LlmService.name);
  private readonly client: OpenAI | undefined;
  /** The streamed answers' calls (the SDK serves the small non-streamed ones). */
  private readonly streams: ModelStreamClient | undefined;
  readonly baseUrl: string;

  constructor(@Inject(llmConfig.KEY) private readonly config: LlmConfig) {
    this.baseUrl = (config.baseUrl ?? OPENAI_DEFAULT_BASE_URL).replace(/\/+$/, '');
    if (config.apiKey || config.baseUrl) {
      // Local servers (Ollama, vLLM, llama.cpp) need no key, but the SDK insists on one.
      const apiKey = config.apiKey ?? 'not-needed';
      this.streams = new ModelStreamClient(this.baseUrl, apiKey, config.totalTimeoutMs);
      this.client = new OpenAI({
        apiKey,
        baseURL: this.baseUrl,
        // A streamed answer must not be silently replayed; the person retries instead.
        maxRetries: 0,
        timeout: config.totalTimeoutMs,
        logLevel: 'off',
      });
    }
  }

  private warmUp?: NodeJS.Immediate;
  private loadFetch?: NodeJS.Immediate;

  async onApplicationShutdown(): Promise<void> {
    clearImmediate(this.warmUp);
    clearImmediate(this.loadFetch);
    await this.streams?.close().catch(() => undefined);
  }

  onApplicationBootstrap(): void {
    // The tokenizer's rank table takes a few hundred ms to build: right after start, not on the first
    // message, and without delaying the start itself (nor after the app has closed again).
    this.warmUp = setImmediate(warmUpTokenizer).unref();
    if (!this.client) return this.logger.warn(`Chat is off: ${this.missingSettings()}`);
    // Node loads its fetch implementation (undici) on first use, 0.1-0.5 s of work: right after
    // start rather than inside the first answer's connect time. Touching `Headers` loads it.
    this.loadFetch = setImmediate(() => void globalThis.Headers).unref();
    this.logger.log(`Model server: ${this.baseUrl}; default model: ${this.config.model ?? '(none: each persona must name one)'}`);
  }

  /**
   * The model and parameters for a persona with a session's overrides (already checked against
   * the persona's allow_overrides), or a 503 telling the person that chat is not set up
   * (the settings to add are in the log and /health). Checked before anything is stored, so a
   * misconfigured server rejects the message instead of recording failures.
   */
  modelFor(persona: Persona, overrides: SessionSettings = {}): ModelChoice {
    const model = overrides.model ?? persona.model ?? this.config.model;
    if (!model || !this.client) {
      this.logger.warn(`A message was refused: ${this.missingSettings(model)}`);
      throw new ServiceUnavailableException(`${CHAT_NOT_SET_UP} Tell the administrator; nothing was sent or stored.`);
    }
    const choice: ModelChoice = { model };
    const temperature = overrides.temperature ?? persona.temperature;
    const maxTokens = overrides.max_tokens ?? persona.max_tokens;
    const topP = overrides.top_p ?? persona.top_p;
    if (temperature !== undefined) choice.temperature = temperature;
    if (maxTokens !== undefined) choice.max_tokens = maxTokens;
    if (topP !== undefined) choice.top_p = topP;
    return choice;
  }

  /** For the administrator: the settings to add before chat can answer (undefined when none). */
  private missingSettings(model = this.config.model): string | undefined {
    if (!model) {
      return (
        'no model is set. Set OPENAI_MODEL (e.g. gpt-4o-mini) and OPENAI_API_KEY, or OPENAI_BASE_URL for a local ' +
        'OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp), then restart.'
      );
    }
    if (this.client) return undefined;
    return `model "${model}" is set but there is no way to reach it. Set OPENAI_API_KEY, or OPENAI_BASE_URL for a local OpenAI-compatible server, then restart.`;
  }

  private requireClient(): OpenAI {
    if (this.client) return this.client;
    throw new ServiceUnavailableException(`${CHAT_NOT_SET_UP} Tell the administrator.`);
  }

  /**
   * Streams one answer, calling `onDelta` with each piece of text as it arrives. Resolves with how it
   * ended (complete, aborted by `signal`, or failed with an error to show); it never rejects.
   */
  async streamCompletion(
    request: CompletionRequest,
    signal: AbortSignal,
    onDelta: (text: string) => void,
  ): Promise<CompletionOutcome> {
    const ctx: LlmCallContext = { model: request.model, baseUrl: this.baseUrl };
    const run = new StreamRun(this.config, ctx, signal);
    try {
      if (!this.streams) throw new ServiceUnavailableException(`${CHAT_NOT_SET_UP} Tell the administrator.`);
      // The run's own timers (connect, first token, idle, total) decide; the client's is only a
      // backstop. HTTP errors, a malformed event or an error object inside the stream reject (with
      // the SDK's typed errors); an abort (stop, disconnect, a timeout) rejects too, and the run's
      // outcome says which it was.
      await this.streams.stream(
        { ...request, stream: true, stream_options: { include_usage: true } },
        run.signal,
        () => run.onResponse(),
        (chunk) => {
          run.onChunk();
          const choice = chunk.choices?.[0];
          if (choice) {
            const text = choice.delta?.content;
            if (text) {
              run.onText(text);
              onDelta(text);
            }
            if (choice.finish_reason) run.finishReason = choice.finish_reason;
          }
          if (chunk.usage) run.usage = chunk.usage;
          if (chunk.model) run.model = chunk.model;
        },
      );
    } catch (error) {
      run.error = error;
    } finally {
      run.end();
    }
    const outcome = run.outcome(this.config.connectTimeoutMs);
    if (outcome.kind === 'failed') this.logFailure(outcome.error);
    return outcome;
  }

  /**
   * One short answer, not streamed: its text. For small side requests (session titles), never for
   * the conversation itself. Rejects when the model fails or `timeoutMs` passes.
   */
  async completeOnce(request: CompletionRequest, timeoutMs: number): Promise<string> {
    const completion = await this.requireClient().chat.completions.create(
      { ...request, stream: false },
      { maxRetries: 0, timeout: timeoutMs },
    );
    return completion.choices?.[0]?.message?.content ?? '';
  }

  /** The person sees what to do; the log gets the server's URL and the setting to check. */
  private logFailure(error: HttpException): void {
    const detail = modelCallDetail(error);
    const text = `Model call failed (${error.getStatus()}): ${detail?.message ?? error.message}`;
    if (detail?.level === 'error') this.logger.error(text);
    else this.logger.warn(text);
  }
}

