import { Tiktoken, TiktokenBPE } from 'js-tiktoken/lite';

// The ranks subpath ships types only for node16+ resolution; the build resolves as node10.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const o200kBase = require('js-tiktoken/ranks/o200k_base') as TiktokenBPE;

/**
 * Token counting with the o200k_base encoding (GPT-4o and later), bundled with js-tiktoken so it
 * works offline. Other model families tokenize differently; for budgeting a context that is a close
 * enough, consistent measure. Building the encoder takes ~0.5 s, so it is made once per process.
 */
let encoder: Tiktoken | undefined;

function getEncoder(): Tiktoken {
  encoder ??= withoutDecoderTable(new Tiktoken(o200kBase));
  return encoder;
}

/**
 * Tokens are only counted here, never decoded back to text. The decoder's table (rank → bytes,
 * one small typed array per token) is ~50 MB of live heap that every full garbage collection would
 * walk for the life of the process, slowing every request; it is emptied once the encoder is built.
 */
function withoutDecoderTable(tiktoken: Tiktoken): Tiktoken {
  const table = (tiktoken as unknown as { textMap?: Map<number, Uint8Array> }).textMap;
  if (table instanceof Map) table.clear();
  return tiktoken;
}

/** Builds the encoder ahead of the first request. */
export function warmUpTokenizer(): void {
  getEncoder();
}

/** Tokens in `text`; special-token markers in user text count as plain text, never as control tokens. */
export function countTokens(text: string): number {
  if (text.length === 0) return 0;
  return getEncoder().encode(text, [], []).length;
}

/**
 * Chat formats wrap each message in a few tokens (role, separators); OpenAI documents 3 per message
 * plus 3 to prime the reply. Used so the budget holds for what is really sent.
 */
export const TOKENS_PER_MESSAGE = 4;
export const TOKENS_PER_REPLY = 3;
