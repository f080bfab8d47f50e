import { countBounded, EXACT_BYTES, RUN_CHUNK } from './bounded-count';

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
    expect(countBounded(text, count)).toBe(text.length);
    expect(seen).toEqual([text]);
  });

  it('counts nothing for empty text', () => {
    const { seen, count } = recorder();
    expect(countBounded('', count)).toBe(0);
    expect(seen).toEqual([]);
  });

  it.each([
    ['letters', 'x'.repeat(1000)],
    ['spaces', ' '.repeat(1000)],
    ['a long word between ordinary ones', `one two ${'y'.repeat(500)} three four`],
    ['punctuation', '!?'.repeat(400)],
  ])('cuts runs longer than RUN_CHUNK into parts: %s', (_, text) => {
    const { seen, count } = recorder();
    countBounded(text, count);
    expect(seen.join('')).toBe(text); // every character counted once
    for (const part of seen) expect(longestRun(part)).toBeLessThanOrEqual(RUN_CHUNK);
  });

  it('never cuts a surrogate pair in two', () => {
    const text = '😀a'.repeat(100); // index 64 is the second half of an emoji
    const { seen, count } = recorder();
    countBounded(text, count);
    expect(seen.join('')).toBe(text);
    for (const part of seen) {
      expect(part).not.toMatch(/^[\udc00-\udfff]/);
      expect(part).not.toMatch(/[\ud800-\udbff]$/);
    }
  });

  it('counts the first EXACT_BYTES bytes and estimates the rest at the same rate', () => {
    const text = 'é'.repeat(EXACT_BYTES); // 2 bytes each: twice the exact limit
    const { seen, count } = recorder();
    expect(countBounded(text, count)).toBe(EXACT_BYTES);
    expect(Buffer.byteLength(seen.join(''))).toBe(EXACT_BYTES);
  });

  it('estimates by bytes from a prefix that ends between whole characters', () => {
    const text = `a${'😀'.repeat(EXACT_BYTES / 4)}`; // the last emoji would cross the limit
    const { seen, count } = recorder();
    const total = countBounded(text, count);
    const counted = seen.join('');
    expect(counted).toBe(text.slice(0, counted.length));
    expect(counted).not.toMatch(/[\ud800-\udbff]$/);
    expect(Buffer.byteLength(counted)).toBe(EXACT_BYTES - 3);
    expect(total).toBe(counted.length + Math.ceil((counted.length * 4) / (EXACT_BYTES - 3)));
  });
});
