import { readFileSync } from 'node:fs';
import { countTokens as o200kCount } from 'gpt-tokenizer/cjs/encoding/o200k_base';
import { Tiktoken } from 'tiktoken/lite';
import { countTokens, warmUpTokenizer } from './tokenizer';

const file = JSON.parse(readFileSync(require.resolve('tiktoken/encoders/o200k_base.json'), 'utf8')) as {
  bpe_ranks: string;
  special_tokens: Record<string, number>;
  pat_str: string;
};
/** The package used whole, with no bound on the work: what the server's counts must equal on ordinary text. */
const plain = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };
const exact = (text: string) => o200kCount(text, plain);
/** OpenAI's own implementation of the same encoding (WebAssembly). */
const openai = new Tiktoken(file.bpe_ranks, file.special_tokens, file.pat_str);
const independent = (text: string) => openai.encode(text, [], []).length;

const SAMPLES = [
  'a',
  ' ',
  'Hello, world!',
  "I'm sure they'll say it's fine, but we've seen what THEY'VE done.",
  'How would you plan a three-day trip with a small budget, good food and some museums?',
  'function add(a: number, b: number): number {\n  return a + b; // 1234567 + 89\n}\n\n\n',
  '    indented\t\ttabs\r\n\r\nwindows lines   trailing   ',
  'Ünïcödé façade naïve coöperate — “quotes” and ‘single’ … ellipsis',
  '日本語のテキストと中文文本，还有한국어 텍스트。',
  'Emoji: 👍🏽 👨‍👩‍👧‍👦 🇩🇪 ✨🚀 ❤️',
  'Special markers as text: <|endoftext|> and <|endofprompt|> <|fim_prefix|> stay plain.',
  'https://example.com/path?query=1&x=%20#fragment user@example.org',
  'SGVsbG8gd29ybGQhIFRoaXMgaXMgYmFzZTY0IGVuY29kZWQgdGV4dCB3aXRob3V0IHNwYWNlcw==',
  'Lone surrogate \ud83d in text and \udc4d too',
  '0.000123 1e10 -42 3,141,592 ½ ⅔ ٣٤٥',
  'Ελληνικά Русский текст עברית العربية हिन्दी',
];

const PROSE = 'The quick brown fox jumps over the lazy dog, and then — after a long pause — asks: "why?"\n';
const CODE = 'export function total(items: Item[]): number {\n  return items.reduce((sum, i) => sum + i.price * i.qty, 0);\n}\n\n';

describe('countTokens (o200k_base)', () => {
  beforeAll(() => warmUpTokenizer());

  it.each(SAMPLES.map((text) => [text]))('counts %j as the package and an independent implementation do', (text) => {
    expect(countTokens(text)).toBe(exact(text));
    expect(countTokens(text)).toBe(independent(text));
  });

  it('counts nothing in empty text and a known count for a known phrase', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('hello world')).toBe(2);
  });

  it('counts special-token markers as plain text, never as one control token', () => {
    expect(countTokens('<|endoftext|>')).toBeGreaterThan(1);
    expect(countTokens('<|endoftext|>')).toBe(exact('<|endoftext|>'));
  });

  it('estimates a text longer than the exact limit close to its real count', () => {
    const text = (PROSE + CODE).repeat(800); // ~160,000 characters
    const real = exact(text);
    expect(countTokens(text)).toBeGreaterThanOrEqual(real * 0.97);
    expect(countTokens(text)).toBeLessThanOrEqual(real * 1.03);
  });

  it.each([
    ['one letter', () => 'a'.repeat(32_000)],
    ['random letters', () => randomText('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', 32_000)],
    ['CJK', () => randomText('的一是不了人我在有他这为之大来以个中上们', 32_000)],
    ['emoji', () => '👍🏽'.repeat(16_000)],
    ['ZWJ sequences', () => '👨‍👩‍👧‍👦'.repeat(4_572)],
    ['digits', () => randomText('0123456789', 32_000)],
    ['whitespace', () => randomText(' \n\t', 32_000)],
    ['mixed', () => randomText('ab1.!é中😀 ', 32_000)],
  ])('gives a sane count for 32,000 characters of %s', (_, make) => {
    const text = make();
    const n = countTokens(text);
    expect(n).toBeGreaterThanOrEqual(Buffer.byteLength(text) / 128); // no token of o200k_base is that long
    expect(n).toBeLessThanOrEqual(Buffer.byteLength(text)); // every token is at least one byte
  });
});

/** Deterministic pseudo-random text from an alphabet (code points, so emoji stay whole). */
function randomText(alphabet: string, length: number): string {
  const chars = [...alphabet];
  let seed = 12345;
  let out = '';
  while (out.length < length) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    out += chars[seed % chars.length];
  }
  return out;
}
