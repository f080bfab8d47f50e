import type * as O200kBase from 'gpt-tokenizer/cjs/encoding/o200k_base';
import { countBounded } from './bounded-count';

/**
 * Token counting with the o200k_base encoding (GPT-4o and later) from gpt-tokenizer, whose ranks
 * ship in the package so it works offline. Other model families tokenize differently; for budgeting
 * a context that is a close enough, consistent measure. Of the o200k_base packages it is the
 * fastest on ordinary text and the lightest in memory (bench/tokenizer); bounded-count.ts caps the
 * time spent on any one text, whatever its characters.
 */

/** Special-token markers in user text ("<|endoftext|>") count as plain text: none allowed, none refused. */
const PLAIN_TEXT = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };
/**
 * The package remembers the merges of up to 100,000 pieces by default; pieces are short here
 * (bounded-count.ts), and a tenth of that keeps the memory small while common words still hit.
 */
const MERGE_CACHE_SIZE = 10_000;

let encoding: typeof O200kBase | undefined;

function o200k(): typeof O200kBase {
  if (!encoding) {
    // Loaded on first use (or by warmUpTokenizer) rather than at import: building the rank table
    // takes a noticeable moment, which should not delay starting the server. The cjs/* subpath is
    // in the package's exports, so it resolves both at run time and for the compiler's node10
    // module resolution (which does not read exports).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    encoding = require('gpt-tokenizer/cjs/encoding/o200k_base') as typeof O200kBase;
    encoding.setMergeCacheSize(MERGE_CACHE_SIZE);
  }
  return encoding;
}

/** Builds the encoder ahead of the first request. */
export function warmUpTokenizer(): void {
  o200k();
}

/** Tokens in `text`, exact for ordinary text, with bounded time whatever its characters (see bounded-count.ts). */
export function countTokens(text: string): number {
  return countBounded(text, countPlain);
}

function countPlain(text: string): number {
  return o200k().countTokens(text, PLAIN_TEXT);
}

/**
 * Chat formats wrap each message in a few tokens (role, separators); OpenAI documents 3 per message
 * plus 3 to prime the reply. Used so the budget holds for what is really sent.
 */
export const TOKENS_PER_MESSAGE = 4;
export const TOKENS_PER_REPLY = 3;
