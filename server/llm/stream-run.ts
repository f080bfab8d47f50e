import type { HttpException } from '@nestjs/common';
import type { LlmConfig } from '../config/config';
import { connectTimeout, emptyStream, firstTokenTimeout, idleTimeout, LlmCallContext, mapLlmError, totalTimeout } from './llm-errors';
import type { CompletionOutcome } from './llm.types';

/** The state and timers of one streamed answer. */
export class StreamRun {
  private readonly controller = new AbortController();
  private timeout: HttpException | undefined;
  private readonly firstTimer: NodeJS.Timeout;
  private readonly connectTimer: NodeJS.Timeout;
  private readonly totalTimer: NodeJS.Timeout;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly onOuterAbort = () => this.controller.abort();
  private parts: string[] = [];
  private chunks = 0;
  model: string;
  finishReason: string | null = null;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null = null;
  error: unknown;

  constructor(
    private readonly config: LlmConfig,
    private readonly ctx: LlmCallContext,
    private readonly outer: AbortSignal,
  ) {
    this.model = ctx.model;
    if (outer.aborted) this.controller.abort();
    else outer.addEventListener('abort', this.onOuterAbort, { once: true });
    // Our own timer rather than the SDK's: its timeout error is misread when fetch runs in another realm.
    this.connectTimer = setTimeout(() => this.fail(connectTimeout(ctx, config.connectTimeoutMs)), config.connectTimeoutMs);
    this.firstTimer = setTimeout(() => this.fail(firstTokenTimeout(ctx, config.firstTokenTimeoutMs)), config.firstTokenTimeoutMs);
    this.totalTimer = setTimeout(() => this.fail(totalTimeout(ctx, config.totalTimeoutMs)), config.totalTimeoutMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private fail(error: HttpException): void {
    if (this.timeout || this.controller.signal.aborted) return;
    this.timeout = error;
    this.controller.abort();
  }

  /** The response headers arrived: the server is there and answering. */
  onResponse(): void {
    clearTimeout(this.connectTimer);
  }

  onChunk(): void {
    this.chunks++;
    // Refreshing an existing timer is cheaper than clearing and creating one per chunk.
    this.idleTimer?.refresh();
  }

  onText(text: string): void {
    this.parts.push(text);
    if (this.idleTimer) return;
    clearTimeout(this.firstTimer);
    this.idleTimer = setTimeout(() => this.fail(idleTimeout(this.ctx, this.config.idleTimeoutMs)), this.config.idleTimeoutMs);
  }

  end(): void {
    clearTimeout(this.connectTimer);
    clearTimeout(this.firstTimer);
    clearTimeout(this.totalTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.outer.removeEventListener('abort', this.onOuterAbort);
  }

  outcome(connectTimeoutMs: number): CompletionOutcome {
    const content = this.parts.join('');
    const base = { content, model: this.model };
    if (this.timeout) return { ...base, kind: 'failed', error: this.timeout };
    if (this.outer.aborted) return { ...base, kind: 'aborted' };
    if (this.error !== undefined) return { ...base, kind: 'failed', error: mapLlmError(this.error, this.ctx, connectTimeoutMs) };
    if (this.chunks === 0) return { ...base, kind: 'failed', error: emptyStream(this.ctx) };
    const usage = this.usage
      ? { prompt_tokens: this.usage.prompt_tokens, completion_tokens: this.usage.completion_tokens, total_tokens: this.usage.total_tokens }
      : null;
    return { ...base, kind: 'complete', finish_reason: this.finishReason, usage };
  }
}
