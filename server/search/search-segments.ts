/**
 * Segments of the search index: immutable strings of lines `term \t postings \n`, sorted by term
 * (JavaScript string order), each with a sparse index (the first term of every block of about
 * BLOCK_BYTES and its byte offset), so that a term's line is one GETRANGE of one block.
 *
 * Postings of a line name the sessions using the term and the newest message of each holding it:
 * per session, ascending by session number, the number's difference from the previous one and the
 * message's position + 1 in the session's indexed message ids (0: the session's title), each as a
 * base-32 varint written with a 64-letter ASCII alphabet (a letter's upper half says "more
 * follows"). ASCII only, so the same bytes on Redis and in the embedded store.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

/** `value` as `letters` letters of the alphabet, most significant first (session numbers, times). */
export function encodeFixed(value: number, letters: number): string {
  let out = '';
  for (let i = letters - 1; i >= 0; i--) out += ALPHABET[Math.floor(value / 64 ** i) % 64];
  return out;
}

/** The value of `letters` letters at `at` (-1 when one is not of the alphabet). */
export function decodeFixed(text: string, at: number, letters: number): number {
  let value = 0;
  for (let i = 0; i < letters; i++) {
    const v = VALUE[text.charCodeAt(at + i)] ?? -1;
    if (v < 0) return -1;
    value = value * 64 + v;
  }
  return value;
}

/** A block of a segment ends at the first line end past this many bytes. */
export const BLOCK_BYTES = 4096;
/** The position a title's posting names. */
export const TITLE_SEQ = 0;

/** Per session number, the newest message's position + 1 holding the term (TITLE_SEQ: only the title). */
export type Postings = Map<number, number>;

function putVarint(out: string[], value: number): void {
  while (value >= 32) {
    out.push(ALPHABET[32 + (value % 32)]);
    value = Math.floor(value / 32);
  }
  out.push(ALPHABET[value]);
}

/** The postings of a line, ascending by session number. */
export function encodePostings(postings: Postings): string {
  const numbers = [...postings.keys()].sort((a, b) => a - b);
  const out: string[] = [];
  let previous = 0;
  for (const n of numbers) {
    putVarint(out, n - previous);
    putVarint(out, postings.get(n)!);
    previous = n;
  }
  return out.join('');
}

/**
 * Adds the postings of `text` (from `start` to `end`) to `into`, a session's newest message
 * winning, skipping sessions in `gone`.
 */
export function decodePostings(text: string, into: Postings, gone: ReadonlySet<number>, start = 0, end = text.length): void {
  const checkGone = gone.size > 0;
  let at = start;
  let session = 0;
  while (at < end) {
    // Two varints: the session number's difference, then the message position.
    let delta = 0;
    let scale = 1;
    let v = 32;
    while (v >= 32 && at < end) {
      v = VALUE[text.charCodeAt(at++)] ?? -1;
      if (v < 0) return;
      delta += (v & 31) * scale;
      scale *= 32;
    }
    let seq = 0;
    scale = 1;
    v = 32;
    while (v >= 32) {
      if (at >= end) return;
      v = VALUE[text.charCodeAt(at++)] ?? -1;
      if (v < 0) return;
      seq += (v & 31) * scale;
      scale *= 32;
    }
    session += delta;
    if (checkGone && gone.has(session)) continue;
    const known = into.get(session);
    if (known === undefined || seq > known) into.set(session, seq);
  }
}

/** A segment's sparse index: the first term of each block and where it starts (bytes); the last entry holds the total length. */
export type SegmentIndex = Array<[term: string, offset: number]>;

/** A segment ready to store: its text and sparse index. */
export interface BuiltSegment {
  data: string;
  index: SegmentIndex;
  lines: number;
}

/** A segment from per-term postings (terms in any order). */
export function buildSegment(terms: Map<string, string>): BuiltSegment {
  const sorted = [...terms.keys()].sort(compareTerms);
  const parts: string[] = [];
  const index: SegmentIndex = [];
  let offset = 0;
  let blockStart = -1;
  for (const term of sorted) {
    const line = `${term}\t${terms.get(term)}\n`;
    if (blockStart < 0 || offset - blockStart >= BLOCK_BYTES) {
      index.push([term, offset]);
      blockStart = offset;
    }
    parts.push(line);
    offset += Buffer.byteLength(line);
  }
  index.push(['', offset]);
  return { data: parts.join(''), index, lines: sorted.length };
}

export function compareTerms(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The block that may hold `term`, or where terms starting with it begin: the last one starting at or before it (0 when it sorts first). */
export function blockOf(index: SegmentIndex, term: string): number {
  let lo = 0;
  let hi = Math.max(index.length - 2, 0); // index's last entry closes the last block
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (index[mid][0] <= term) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Blocks `from` to `from + count - 1` (as far as there are) as a byte range (inclusive), or null past the end. */
export function blocksRange(index: SegmentIndex, from: number, count: number): [start: number, end: number] | null {
  const blocks = index.length - 1;
  if (from >= blocks) return null;
  return [index[from][1], index[Math.min(from + count, blocks)][1] - 1];
}

/** Each line of a block of a segment: its term and where its postings are in `text`. */
export function* linesOf(text: string): Generator<{ term: string; start: number; end: number }> {
  let at = 0;
  while (at < text.length) {
    const tab = text.indexOf('\t', at);
    const nl = text.indexOf('\n', tab + 1);
    if (tab < 0 || nl < 0) return;
    yield { term: text.slice(at, tab), start: tab + 1, end: nl };
    at = nl + 1;
  }
}

/** Terms merged between yields to the event loop (a big merge takes a second or more of CPU). */
const TERMS_PER_TURN = 2000;

/**
 * Segments merged into one (as buildSegment would make of their lines together): lines of the same
 * term joined, a session's newest message kept, sessions in `gone` dropped (a term left with no
 * session drops out). Yields to the event loop every TERMS_PER_TURN terms.
 */
export async function mergeSegments(texts: string[], gone: ReadonlySet<number>): Promise<BuiltSegment> {
  const iterators = texts.map((t) => linesOf(t));
  const heads = iterators.map((it) => it.next());
  const merged = new Map<string, string>();
  for (let terms = 1; ; terms++) {
    let best: string | null = null;
    for (const head of heads) if (!head.done && (best === null || head.value.term < best)) best = head.value.term;
    if (best === null) break;
    const postings: Postings = new Map();
    heads.forEach((head, i) => {
      if (head.done || head.value.term !== best) return;
      decodePostings(texts[i], postings, gone, head.value.start, head.value.end);
      heads[i] = iterators[i].next();
    });
    if (postings.size > 0) merged.set(best, encodePostings(postings));
    if (terms % TERMS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return buildSegment(merged);
}
