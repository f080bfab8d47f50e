import { LRUCache } from 'lru-cache';
import type { ChatTurn } from '../llm/llm.types';
import { countTokens, TOKENS_PER_MESSAGE, TOKENS_PER_REPLY } from '../llm/tokenizer';
import type { StoredMessage } from '../sessions/session.model';

export interface BuiltContext {
  /** The system prompt first, then the history that fit, oldest first. */
  messages: ChatTurn[];
  /** History messages included (without the system prompt). */
  included: number;
  /** Tokens of everything sent, message framing included. */
  tokens: number;
  /** True when older history was left out to stay within the budget. */
  trimmed: boolean;
  /** Id of the oldest history message included (null when none was). */
  firstId: string | null;
}

/**
 * Token counts of stored messages, by message id (random, server-made, never reused). Messages
 * never change once stored, so each is counted once per process instead of on every turn of a long
 * conversation; the least recently used counts go first when the cache is full.
 */
export class TokenCountCache {
  private readonly counts: LRUCache<string, number>;

  constructor(maxEntries = 50_000) {
    this.counts = new LRUCache({ max: maxEntries });
  }

  of(message: StoredMessage): number {
    const n = this.counts.get(message.id);
    if (n !== undefined) return n;
    return this.remember(message.id, countTokens(message.content) + TOKENS_PER_MESSAGE);
  }

  /** Records a count already known (a new message was counted when it was accepted). */
  remember(id: string, tokens: number): number {
    this.counts.set(id, tokens);
    return tokens;
  }
}

/** Turns that carry nothing the model said (failed calls, empty answers) are not sent back to it. */
export function belongsInContext(message: StoredMessage): boolean {
  if (message.role !== 'user' && message.role !== 'assistant') return false;
  if (message.content.trim() === '') return false;
  return !(message.role === 'assistant' && message.status === 'failed');
}

/** A few personas, but edits to the catalogue add new texts: a small cache. */
const promptTokens = new LRUCache<string, number>({ max: 256 });

/** Tokens of the system prompt as sent, framing and the reply primer included; counted once per prompt text. */
export function systemPromptTokens(systemPrompt: string): number {
  let n = promptTokens.get(systemPrompt);
  if (n === undefined) {
    n = countTokens(systemPrompt) + TOKENS_PER_MESSAGE + TOKENS_PER_REPLY;
    promptTokens.set(systemPrompt, n);
  }
  return n;
}

/**
 * The system prompt plus the newest history that fits `budget` tokens. Messages are whole or
 * absent: the walk goes from the newest back and stops at the first that does not fit, so what is
 * sent is always an unbroken, most recent stretch of the conversation. The newest message is always
 * sent (it is the one being answered; its size was checked when it was accepted).
 */
export function buildContext(
  systemPrompt: string,
  history: StoredMessage[],
  budget: number,
  tokensOf: (message: StoredMessage) => number,
): BuiltContext {
  let tokens = systemPromptTokens(systemPrompt);
  const picked: StoredMessage[] = [];
  let trimmed = false;
  for (let i = history.length - 1; i >= 0; i--) {
    const message = history[i];
    if (!belongsInContext(message)) continue;
    const cost = tokensOf(message);
    if (picked.length > 0 && tokens + cost > budget) {
      trimmed = true;
      break;
    }
    tokens += cost;
    picked.push(message);
  }
  picked.reverse();
  const messages: ChatTurn[] = [{ role: 'system', content: systemPrompt }];
  for (const m of picked) messages.push({ role: m.role, content: m.content });
  return { messages, included: picked.length, tokens, trimmed, firstId: picked[0]?.id ?? null };
}
