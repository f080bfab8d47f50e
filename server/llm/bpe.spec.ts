import { Tiktoken, TiktokenBPE } from 'js-tiktoken/lite';
import { BytePairEncoder, TiktokenRanks } from './bpe';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const o200k = require('js-tiktoken/ranks/o200k_base') as TiktokenBPE & TiktokenRanks;

/** Texts that exercise the pattern's branches and long merges: prose, code, numbers, whitespace, scripts, emoji. */
const SAMPLES = [
  '',
  'a',
  ' ',
  'Hello, world!',
  "I'm sure they'll say it's fine, but we've seen what THEY'VE done.",
  'How would you plan a three-day trip with a small budget, good food and some museums?',
  'function add(a: number, b: number): number {\n  return a + b; // 1234567 + 89\n}\n\n\n',
  '    indented\t\ttabs\r\n\r\nwindows lines   trailing   ',
  'Ünïcödé façade naïve coöperate — “quotes” and ‘single’ … ellipsis',
  '日本語のテキストと中文文本，还有한국어 텍스트。',
  'Emoji: 👍🏽 👨‍👩‍👧‍👦 🇩🇪 ✨🚀',
  'Special markers as text: <|endoftext|> and <|endofprompt|> stay plain.',
  'https://example.com/path?query=1&x=%20#fragment user@example.org',
  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  'SGVsbG8gd29ybGQhIFRoaXMgaXMgYmFzZTY0IGVuY29kZWQgdGV4dCB3aXRob3V0IHNwYWNlcw==',
  'Lone surrogate \ud83d in text and \udc4d too',
  '0.000123 1e10 -42 3,141,592 ½ ⅔ ٣٤٥',
  'Ελληνικά Русский текст עברית العربية हिन्दी',
];

describe('BytePairEncoder (o200k_base)', () => {
  const ours = new BytePairEncoder(o200k);
  const reference = new Tiktoken(o200k);

  it.each(SAMPLES.map((text) => [text]))('gives js-tiktoken’s tokens for %j', (text) => {
    const expected = reference.encode(text, [], []);
    expect(ours.encode(text)).toEqual(expected);
    expect(ours.count(text)).toBe(expected.length);
  });

  it('agrees on generated text mixing every sample, at many cut points', () => {
    const all = SAMPLES.join(' | ');
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 200; i++) {
      const from = Math.floor(random() * all.length);
      const text = all.slice(from, from + 1 + Math.floor(random() * 200));
      expect(ours.count(text)).toBe(reference.encode(text, [], []).length);
    }
  });

  it('counts a long piece without spaces', () => {
    const text = 'x'.repeat(3000) + 'ÿ'.repeat(700);
    expect(ours.count(text)).toBe(reference.encode(text, [], []).length);
  });
});
