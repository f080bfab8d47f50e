import { BLOCK_BYTES, blockOf, blocksRange, buildSegment, decodePostings, encodePostings, linesOf, mergeSegments, Postings } from './search-segments';

/** The postings of `term` in a segment's text, read as a search reads them: the block the sparse index names, then its line. */
function postingsOf(segment: ReturnType<typeof buildSegment>, term: string, gone: Set<number> = new Set()): Postings {
  const range = blocksRange(segment.index, blockOf(segment.index, term), 1);
  const out: Postings = new Map();
  if (!range) return out;
  const block = Buffer.from(segment.data).subarray(range[0], range[1] + 1).toString();
  for (const line of linesOf(block)) if (line.term === term) decodePostings(block, out, gone, line.start, line.end);
  return out;
}

describe('search segments', () => {
  it('postings round-trip: big and small numbers and positions, in any order, title positions kept', () => {
    const postings: Postings = new Map([[5, 0], [1, 3], [16_777_000, 262_000], [40, 31], [41, 32], [1_000_000, 1]]);
    const text = encodePostings(postings);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    const back: Postings = new Map();
    decodePostings(text, back, new Set());
    expect(new Map([...back].sort((a, b) => a[0] - b[0]))).toEqual(new Map([...postings].sort((a, b) => a[0] - b[0])));
    // Gone sessions are skipped; a newer message of the same session wins over an older one.
    const merged: Postings = new Map([[1, 7]]);
    decodePostings(text, merged, new Set([40]));
    expect(merged.get(1)).toBe(7);
    expect(merged.has(40)).toBe(false);
    expect(merged.get(41)).toBe(32);
  });

  it('finds every term of a segment of many blocks through its sparse index, and nothing for a term it lacks', () => {
    const terms = new Map<string, string>();
    const words = Array.from({ length: 3000 }, (_, i) => `w${(i * 7919) % 100_000}`).concat(['café', '東京', 'zzz']);
    words.forEach((w, i) => terms.set(w, encodePostings(new Map([[i + 1, i % 50]]))));
    const segment = buildSegment(terms);
    expect(segment.index.length).toBeGreaterThan(5);
    expect(segment.index[segment.index.length - 1][1]).toBe(Buffer.byteLength(segment.data));
    for (let b = 1; b < segment.index.length - 1; b++) expect(segment.index[b][1] - segment.index[b - 1][1]).toBeGreaterThanOrEqual(BLOCK_BYTES);
    words.forEach((w, i) => expect(postingsOf(segment, w)).toEqual(new Map([[i + 1, i % 50]])));
    for (const missing of ['a', 'w', 'w99999x', 'zzzz', '']) expect(postingsOf(segment, missing).size).toBe(0);
    expect(blocksRange(segment.index, segment.index.length - 1, 1)).toBeNull();
  });

  it('merges segments: lines of a term joined, a session\'s newest message kept, gone sessions and empty terms dropped', async () => {
    const a = buildSegment(new Map([['tea', encodePostings(new Map([[1, 2], [2, 5]]))], ['jam', encodePostings(new Map([[3, 1]]))]]));
    const b = buildSegment(new Map([['tea', encodePostings(new Map([[1, 9], [4, 0]]))], ['pot', encodePostings(new Map([[2, 6]]))]]));
    const merged = await mergeSegments([a.data, b.data], new Set([3]));
    expect([...linesOf(merged.data)].map((l) => l.term)).toEqual(['pot', 'tea']);
    expect(postingsOf(merged, 'tea')).toEqual(new Map([[1, 9], [2, 5], [4, 0]]));
    expect(postingsOf(merged, 'pot')).toEqual(new Map([[2, 6]]));
    expect(postingsOf(merged, 'jam').size).toBe(0);
    expect((await mergeSegments([], new Set())).lines).toBe(0);
  });
});
