/**
 * Messages of 32,000 characters as the API's length check counts them (a surrogate pair is one
 * character), built from a seed so that every timed run counts text the tokenizer has not seen.
 */
export const LENGTH = 32_000;

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const CJK = Array.from({ length: 3000 }, (_, i) => String.fromCodePoint(0x4e00 + i * 5));
const EMOJI = ['😀', '👍🏽', '🚀', '✨', '🇩🇪', '❤️', '🧑🏿‍💻', '🙈', '🤖', '🍕'];
const FAMILY = '👨‍👩‍👧‍👦'; // 7 code points joined by ZWJ; 7 characters for the length check
const WORDS = 'the of and to in is you that it he was for on are as with his they at be this have from or one had by word but not what all were we when your can said there use an each which she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number no way could people my than first been call who oil its now find long down day did get come made may part'.split(' ');
const CODE = ['const x = 1;', 'function f(a, b) {', '  return a + b;', '}', 'if (n > 10) { n -= 1; }', '// comment', 'for (let i = 0; i < n; i++) {'];

type Random = () => number;

function random(seed: number): Random {
  let s = seed >>> 0 || 1;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

/** Appends picks from `from` until the text holds `length` code points. */
function fill(next: Random, from: readonly string[], length = LENGTH, join = ''): string {
  const parts: string[] = [];
  let count = 0;
  while (count < length) {
    const piece = from[Math.floor(next() * from.length)];
    parts.push(piece);
    count += [...piece].length + join.length;
  }
  return [...parts.join(join)].slice(0, length).join('');
}

const chars = (s: string) => [...s];

/** Name → text for a seed. The last two are ordinary text, the rest adversarial. */
export const INPUTS: Record<string, (seed: number) => string> = {
  'one letter': (seed) => LETTERS[seed % 26].repeat(LENGTH),
  'random letters': (seed) => fill(random(seed), chars(LETTERS)),
  'random case': (seed) => fill(random(seed), chars(LETTERS + LETTERS.toUpperCase())),
  digits: (seed) => fill(random(seed), chars('0123456789')),
  punctuation: (seed) => fill(random(seed), chars('!@#$%^&*()-=+[]{};:,.<>/?|~')),
  base64: (seed) => fill(random(seed), chars(LETTERS + LETTERS.toUpperCase() + '0123456789+/')),
  CJK: (seed) => fill(random(seed), CJK),
  emoji: (seed) => fill(random(seed), EMOJI),
  'ZWJ sequences': (seed) => fill(random(seed), [FAMILY]),
  whitespace: (seed) => fill(random(seed), [' ', '\n', '\t', '\r\n', '\u3000']),
  mixed: (seed) => fill(random(seed), [...chars(LETTERS), ...CJK.slice(0, 30), ...EMOJI, '7', '.', 'é', 'ß', 'Ж']),
  prose: (seed) => fill(random(seed), WORDS, LENGTH, ' '),
  code: (seed) => fill(random(seed), CODE, LENGTH, '\n'),
};

export const ORDINARY = new Set(['prose', 'code']);
