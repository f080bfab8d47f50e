import { readFileSync } from 'node:fs';
import { Tiktoken } from 'tiktoken/lite';
import { countBounded } from './bounded-count';

/**
 * Token counting with the o200k_base encoding (GPT-4o and later) from tiktoken, OpenAI's own
 * tokenizer compiled to WebAssembly, whose rank file ships in the package so it works offline.
 * Other model families tokenize differently; for budgeting a context that is a close enough,
 * consistent measure. Of the o200k_base packages it is the fastest on text it has not seen
 * (bench/tokenizer), and bounded-count.ts caps the work per message whatever its characters.
 */
interface RankFile {
  bpe_ranks: string;
  special_tokens: Record<string, number>;
  pat_str: string;
}

let encoder: Tiktoken | undefined;

/** Built once per process and kept for its life (its memory lives in WebAssembly, never freed). */
function o200k(): Tiktoken {
  if (!encoder) {
    // Read rather than required so that the 2 MB rank text is not kept in the module cache.
    const file = JSON.parse(readFileSync(require.resolve('tiktoken/encoders/o200k_base.json'), 'utf8')) as RankFile;
    encoder = new Tiktoken(file.bpe_ranks, file.special_tokens, file.pat_str);
  }
  return encoder;
}

/** Builds the encoder ahead of the first request: it takes a noticeable moment. */
export function warmUpTokenizer(): void {
  o200k();
}

/** Tokens in `text`, with bounded work whatever its characters (see bounded-count.ts). */
export function countTokens(text: string): number {
  return countBounded(text, countPlain);
}

/** Special-token markers in user text ("<|endoftext|>") count as plain text: none allowed, none refused. */
function countPlain(text: string): number {
  return o200k().encode(text, [], []).length;
}

/**
 * Chat formats wrap each message in a few tokens (role, separators); OpenAI documents 3 per message
 * plus 3 to prime the reply. Used so the budget holds for what is really sent.
 */
export const TOKENS_PER_MESSAGE = 4;
export const TOKENS_PER_REPLY = 3;
