/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * The three o200k_base tokenizers compared, each behind the same small interface. Special-token
 * markers are plain text in all three, as in the server.
 */
export interface Counter {
  /** Exact count with no bound on the work. */
  count(text: string): number;
  /** Forgets what the package caches between calls, so that a timed run is a first sighting. */
  forget(): void;
}

export const PACKAGES: Record<string, () => Counter> = {
  'gpt-tokenizer': () => {
    const o200k = require('gpt-tokenizer/cjs/encoding/o200k_base') as typeof import('gpt-tokenizer/cjs/encoding/o200k_base');
    const plain = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };
    return { count: (text) => o200k.countTokens(text, plain), forget: () => o200k.clearMergeCache() };
  },
  tiktoken: () => {
    const { Tiktoken } = require('tiktoken/lite') as typeof import('tiktoken/lite');
    const file = require('tiktoken/encoders/o200k_base.json') as { bpe_ranks: string; special_tokens: Record<string, number>; pat_str: string };
    const encoder = new Tiktoken(file.bpe_ranks, file.special_tokens, file.pat_str);
    return { count: (text) => encoder.encode(text, [], []).length, forget: () => undefined };
  },
  'js-tiktoken': () => {
    const { Tiktoken } = require('js-tiktoken/lite') as typeof import('js-tiktoken/lite');
    const ranks = require('js-tiktoken/ranks/o200k_base') as ConstructorParameters<typeof Tiktoken>[0];
    const encoder = new Tiktoken(ranks);
    return { count: (text) => encoder.encode(text, [], []).length, forget: () => undefined };
  },
};
