import type { HttpException } from '@nestjs/common';
import type { MessageUsage } from '../sessions/session.model';

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** The model and sampling parameters for one answer: the persona's, else OPENAI_MODEL's defaults. */
export interface ModelChoice {
  model: string;
  temperature?: number;
  max_tokens?: number;
  top_p?: number;
}

export interface CompletionRequest extends ModelChoice {
  messages: ChatTurn[];
}

interface OutcomeBase {
  /** Everything the model sent, also when it stopped early. */
  content: string;
  /** The model that answered (the provider's name for it when it reported one). */
  model: string;
}

/** How a streamed answer ended. Never thrown: the caller stores every outcome. */
export type CompletionOutcome =
  | (OutcomeBase & { kind: 'complete'; finish_reason: string | null; usage: MessageUsage | null })
  /** The caller's signal aborted it (stop or client gone). */
  | (OutcomeBase & { kind: 'aborted' })
  | (OutcomeBase & { kind: 'failed'; error: HttpException });
