/**
 * Bounds the work of counting tokens with a byte-pair encoder of the tiktoken family.
 *
 * Byte-pair merging is quadratic in the length of one piece of the encoding's split (a run of
 * letters, of punctuation or of spaces), so a 32,000-letter word blocks the event loop for seconds.
 * Runs longer than RUN_CHUNK characters are therefore counted RUN_CHUNK characters at a time: exact
 * for ordinary text, which has no such runs, and a few tokens over per cut otherwise. Beyond that,
 * the work is about proportional to the UTF-8 bytes, so only the first EXACT_BYTES bytes are
 * counted and the rest is estimated at the same tokens per byte (rounded up): every message of
 * 32,000 ASCII characters is counted exactly, longer or denser texts (CJK, emoji) approximately.
 */
export const RUN_CHUNK = 64;
export const EXACT_BYTES = 48_000;

/** Counts `text` exactly; only ever given runs of at most RUN_CHUNK (+1 for a surrogate pair) characters. */
export type CountPlain = (text: string) => number;

export function countBounded(text: string, countPlain: CountPlain): number {
  const { end, bytes } = prefixOfBytes(text, EXACT_BYTES);
  const counted = countRuns(end === text.length ? text : text.slice(0, end), countPlain);
  if (end === text.length) return counted;
  const restBytes = Buffer.byteLength(text) - bytes;
  return counted + Math.ceil((counted * restBytes) / Math.max(bytes, 1));
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

/** The exact count, except that runs longer than RUN_CHUNK are counted in RUN_CHUNK-character parts. */
function countRuns(text: string, countPlain: CountPlain): number {
  let total = 0;
  let from = 0; // start of the text not counted yet
  let runStart = 0;
  for (let i = 1; i <= text.length; i++) {
    if (i < text.length && isSpace(text.charCodeAt(i)) === isSpace(text.charCodeAt(runStart))) continue;
    if (i - runStart > RUN_CHUNK) {
      total += countSome(text.slice(from, runStart), countPlain) + countInChunks(text, runStart, i, countPlain);
      from = i;
    }
    runStart = i;
  }
  return total + countSome(text.slice(from), countPlain);
}

function countInChunks(text: string, start: number, end: number, countPlain: CountPlain): number {
  let total = 0;
  for (let at = start; at < end; ) {
    const next = Math.min(end, safeCut(text, at + RUN_CHUNK));
    total += countPlain(text.slice(at, next));
    at = next;
  }
  return total;
}

function countSome(text: string, countPlain: CountPlain): number {
  return text.length === 0 ? 0 : countPlain(text);
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
