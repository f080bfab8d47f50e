/**
 * Bounds the work of counting tokens with a byte-pair encoder of the tiktoken family.
 *
 * - Byte-pair merging is quadratic in the length of one piece of the encoding's split (a run of
 *   letters, of punctuation or of spaces): a 32,000-letter word would block the event loop for
 *   seconds. Runs longer than RUN_CHUNK characters are counted RUN_CHUNK characters at a time:
 *   a few tokens over per cut, and ordinary text has no such runs.
 * - Other text is handed over in slices of about SLICE characters, cut only where the encoding's
 *   split has a boundary whatever follows (so the count stays exact), and the clock is read between
 *   parts: past TIME_BUDGET_MS, or past EXACT_BYTES of UTF-8, the rest is estimated at the tokens
 *   per byte counted so far (rounded up). Ordinary text is counted exactly well within both; text
 *   made to be slow, or a very long answer, gets an estimate instead of stalling other requests.
 */
export const RUN_CHUNK = 64;
export const SLICE = 2_000;
export const EXACT_BYTES = 48_000;
export const TIME_BUDGET_MS = 12;

/** Counts `text` exactly; given parts of the text, each with runs of at most RUN_CHUNK (+1) characters. */
export type CountPlain = (text: string) => number;

export function countBounded(text: string, countPlain: CountPlain, now: () => number = performance.now.bind(performance)): number {
  const { end: exactEnd, bytes: exactBytes } = prefixOfBytes(text, EXACT_BYTES);
  const started = now();
  let counted = 0;
  let at = 0;
  while (at < exactEnd) {
    const next = nextPart(text, at, exactEnd);
    counted += countPlain(text.slice(at, next));
    at = next;
    if (at < exactEnd && now() - started > TIME_BUDGET_MS) break;
  }
  if (at === text.length) return counted;
  const countedBytes = at === exactEnd ? exactBytes : Buffer.byteLength(text.slice(0, at));
  const restBytes = Buffer.byteLength(text) - countedBytes;
  return counted + Math.ceil((counted * restBytes) / Math.max(countedBytes, 1));
}

/**
 * End of the part that starts at `from`: a RUN_CHUNK piece of a long run, or ordinary text up to the
 * next long run or the first exact cut point past SLICE characters (any run boundary past 2 × SLICE).
 */
function nextPart(text: string, from: number, end: number): number {
  let i = endOfRun(text, from, end);
  if (i - from > RUN_CHUNK) return Math.min(cutInRun(text, from), end);
  // A space before a long word belongs to the word's first piece: they go in one part.
  if (isSpace(text.charCodeAt(from)) && i < end && endOfRun(text, i, end) - i > RUN_CHUNK) return Math.min(cutInRun(text, i), end);
  let previous = from; // start of the run before i
  while (i < end) {
    const runEnd = endOfRun(text, i, end);
    if (runEnd - i > RUN_CHUNK) return previous > from && isExactCut(text, previous) ? previous : i; // a long run starts
    if (i - from >= SLICE && isExactCut(text, i)) return i;
    if (i - from >= 2 * SLICE) return i; // text made to have no exact cut: a token or so over
    previous = i;
    i = runEnd;
  }
  return end;
}

/**
 * Where to end a part of a long run: the last exact cut point in its second half when there is one
 * (so that a long URL, path or base64 line is counted exactly), else RUN_CHUNK characters in.
 */
function cutInRun(text: string, from: number): number {
  for (let at = from + RUN_CHUNK; at > from + RUN_CHUNK / 2; at--) if (isCutInWord(text, at)) return at;
  return safeCut(text, from + RUN_CHUNK);
}

/**
 * True after an ASCII letter followed by a digit or punctuation other than an apostrophe: the
 * letters' piece ends there whatever follows (only "'s"-like endings join a word), and the next
 * piece starts there. Not before letters: one punctuation mark joins the word after it.
 */
function isCutInWord(text: string, i: number): boolean {
  const before = text.charCodeAt(i - 1) | 0x20; // lower case for letters
  if (before < 0x61 || before > 0x7a) return false;
  const here = text.charCodeAt(i);
  if (here >= 0x80 || here === 0x27 || isSpace(here)) return false;
  const lower = here | 0x20;
  return lower < 0x61 || lower > 0x7a;
}

/** End of the run of whitespace, or of other characters, that starts at `from`. */
function endOfRun(text: string, from: number, end: number): number {
  const space = isSpace(text.charCodeAt(from));
  let i = from + 1;
  while (i < end && isSpace(text.charCodeAt(i)) === space) i++;
  return i;
}

/**
 * True where the o200k/cl100k split always has a piece boundary, so that counting the two sides
 * apart gives the same tokens: before a space or tab that follows a non-space (no piece takes a
 * space after other characters), and after a line break followed by neither space nor "/" (which
 * a punctuation piece could take along with the break).
 */
function isExactCut(text: string, i: number): boolean {
  const here = text.charCodeAt(i);
  const before = text.charCodeAt(i - 1);
  if (isSpace(here)) return here !== 0x0a && here !== 0x0d && !isSpace(before);
  return before === 0x0a && here !== 0x2f;
}

/** The longest prefix of at most `limit` UTF-8 bytes that ends between whole characters: its end and size. */
function prefixOfBytes(text: string, limit: number): { end: number; bytes: number } {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const isPair = code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1));
    const size = isPair ? 4 : code < 0x80 ? 1 : code < 0x800 ? 2 : 3;
    if (bytes + size > limit) return { end: i, bytes };
    bytes += size;
    if (isPair) i++;
  }
  return { end: text.length, bytes };
}

/** `at`, or one further so as not to split a surrogate pair (half of one would count as U+FFFD). */
function safeCut(text: string, at: number): number {
  return isLowSurrogate(text.charCodeAt(at)) ? at + 1 : at;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** The characters the encodings' `\s` matches: what separates their pieces. */
function isSpace(code: number): boolean {
  if (code < 0x80) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}
