import { countTokens as o200kCount } from 'gpt-tokenizer/cjs/encoding/o200k_base';
import { countBounded, EXACT_BYTES, RUN_CHUNK, SLICE, TIME_BUDGET_MS } from './bounded-count';

/** The real encoder, whole and unbounded, special-token markers as plain text. */
const plain = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };
const encoder = (text: string) => o200kCount(text, plain);
/** A clock that never moves: the time budget never runs out, so results do not depend on the machine. */
const frozen = () => 0;

const PROSE = 'The quick brown fox jumps over the lazy dog, and then — after a long pause — asks: "why?"\n';
const CODE = 'export function total(items: Item[]): number {\n  return items.reduce((sum, i) => sum + i.price * i.qty, 0);\n}\n\n/** Doc. */\n';

/** A stand-in encoder that records what it is asked to count: one token per character. */
function recorder() {
  const seen: string[] = [];
  const count = (text: string) => {
    seen.push(text);
    return text.length;
  };
  return { seen, count };
}

const longestRun = (text: string) => Math.max(0, ...(text.match(/\s+|\S+/g) ?? []).map((run) => run.length));

describe('countBounded', () => {
  it('hands ordinary text to the encoder whole', () => {
    const text = 'How would you plan a three-day trip?\n\n  With a small budget, good food and some museums.';
    const { seen, count } = recorder();
    expect(countBounded(text, count, frozen)).toBe(text.length);
    expect(seen).toEqual([text]);
  });

  it('counts nothing for empty text', () => {
    const { seen, count } = recorder();
    expect(countBounded('', count, frozen)).toBe(0);
    expect(seen).toEqual([]);
  });

  it.each([
    ['letters', 'x'.repeat(1000)],
    ['spaces', ' '.repeat(1000)],
    ['a long word between ordinary ones', `one two ${'y'.repeat(500)} three four`],
    ['punctuation', '!?'.repeat(400)],
  ])('cuts runs longer than RUN_CHUNK into parts: %s', (_, text) => {
    const { seen, count } = recorder();
    countBounded(text, count, frozen);
    expect(seen.join('')).toBe(text); // every character counted once
    for (const part of seen) expect(longestRun(part)).toBeLessThanOrEqual(RUN_CHUNK);
  });

  it('never cuts a surrogate pair in two', () => {
    const text = '😀a'.repeat(100); // index 64 is the second half of an emoji
    const { seen, count } = recorder();
    countBounded(text, count, frozen);
    expect(seen.join('')).toBe(text);
    for (const part of seen) {
      expect(part).not.toMatch(/^[\udc00-\udfff]/);
      expect(part).not.toMatch(/[\ud800-\udbff]$/);
    }
  });

  it('counts the first EXACT_BYTES bytes and estimates the rest at the same rate', () => {
    const text = 'é'.repeat(EXACT_BYTES); // 2 bytes each: twice the exact limit
    const { seen, count } = recorder();
    expect(countBounded(text, count, frozen)).toBe(EXACT_BYTES);
    expect(Buffer.byteLength(seen.join(''))).toBe(EXACT_BYTES);
  });

  it('estimates by bytes from a prefix that ends between whole characters', () => {
    const text = `a${'😀'.repeat(EXACT_BYTES / 4)}`; // the last emoji would cross the limit
    const { seen, count } = recorder();
    const total = countBounded(text, count, frozen);
    const counted = seen.join('');
    expect(counted).toBe(text.slice(0, counted.length));
    expect(counted).not.toMatch(/[\ud800-\udbff]$/);
    expect(Buffer.byteLength(counted)).toBe(EXACT_BYTES - 3);
    expect(total).toBe(counted.length + Math.ceil((counted.length * 4) / (EXACT_BYTES - 3)));
  });

  it('hands long ordinary text over in slices of about SLICE characters', () => {
    const text = PROSE.repeat(200);
    const { seen, count } = recorder();
    countBounded(text, count, frozen);
    expect(seen.join('')).toBe(text);
    expect(seen.length).toBeGreaterThan(text.length / (2 * SLICE));
    for (const part of seen.slice(0, -1)) expect(part.length).toBeLessThan(SLICE + 200);
  });

  it('slices text that has no exact cut point too', () => {
    const text = 'ab\n/'.repeat(2 * SLICE); // a line break before "/" may join a piece with it
    const { seen, count } = recorder();
    countBounded(text, count, frozen);
    expect(seen.join('')).toBe(text);
    for (const part of seen) expect(part.length).toBeLessThanOrEqual(2 * SLICE + RUN_CHUNK);
  });

  // Slices are cut only where the encoding's split always has a boundary, so the count is exact.
  it.each([
    ['prose', PROSE, 32_000],
    ['code', CODE, 32_000],
    ['words and spaces of every kind', 'a  b\t\tc\u3000d \ne\r\nf.\n/g !\n h\u00a0i\n\n\nj ', 32_000],
    ['URLs and base64', 'see https://example.com/a/very/long/path/with/many/segments/and?query=string&more=values#frag and SGVsbG8gd29ybGQhIFRoaXMgaXMgYmFzZTY0IGVuY29kZWQgdGV4dCB3aXRob3V0IHNwYWNlcw==\n', 32_000],
    ['CJK prose', '東京は日本の首都です。人口は約千四百万人で、多くの観光客が訪れます。\n', 16_000],
    ['emoji in text', 'Great job 👍🏽 see you at the party 🎉 with the family 👨‍👩‍👧‍👦!\n', 32_000],
  ])('counts a long message of %s exactly, as the whole encoder does', (_, unit, length) => {
    const text = unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
    expect(countBounded(text, encoder, frozen)).toBe(encoder(text));
  });

  it.each([
    ['one letter', 'a'.repeat(2000)],
    ['random letters', randomText('abcdefghijklmnopqrstuvwxyz', 2000)],
    ['digits', randomText('0123456789', 2000)],
    ['CJK', randomText('的一是不了人我在有他这为之大来以个中上们', 2000)],
    ['emoji', '😀🚀'.repeat(1000)],
    ['spaces', ' '.repeat(2000)],
  ])('counts a long unbroken run (%s) within a few tokens per cut of the whole encoder', (_, text) => {
    const real = encoder(text);
    const cuts = Math.ceil(text.length / RUN_CHUNK);
    expect(countBounded(text, encoder, frozen)).toBeGreaterThanOrEqual(real);
    expect(countBounded(text, encoder, frozen)).toBeLessThanOrEqual(real + 2 * cuts);
  });

  it('stops counting when the time budget is spent and estimates the rest at the same rate', () => {
    let clock = 0;
    const tick = () => (clock += TIME_BUDGET_MS / 2.5); // read once at the start, then after each part
    const text = 'x'.repeat(RUN_CHUNK * 10);
    const { seen, count } = recorder();
    expect(countBounded(text, count, tick)).toBe(text.length);
    expect(seen).toHaveLength(3); // 0.4, 0.8, 1.2 budgets: the third part overruns it
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
