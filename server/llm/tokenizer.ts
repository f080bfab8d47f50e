import { BytePairEncoder, TiktokenRanks } from './bpe';

// The ranks subpath ships types only for node16+ resolution; the build resolves as node10.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const o200kBase = require('js-tiktoken/ranks/o200k_base') as TiktokenRanks;

/**
 * Token counting with the o200k_base encoding (GPT-4o and later), whose ranks ship with js-tiktoken
 * so it works offline. Other model families tokenize differently; for budgeting a context that is a
 * close enough, consistent measure. Building the table takes a moment, so it is made once per process.
 */
let encoder: BytePairEncoder | undefined;

function getEncoder(): BytePairEncoder {
  encoder ??= new BytePairEncoder(o200kBase);
  return encoder;
}

/** Builds the encoder ahead of the first request. */
export function warmUpTokenizer(): void {
  getEncoder();
}

/** Tokens in `text`; special-token markers in user text count as plain text, never as control tokens. */
export function countTokens(text: string): number {
  return getEncoder().count(text);
}

/**
 * Chat formats wrap each message in a few tokens (role, separators); OpenAI documents 3 per message
 * plus 3 to prime the reply. Used so the budget holds for what is really sent.
 */
export const TOKENS_PER_MESSAGE = 4;
export const TOKENS_PER_REPLY = 3;
