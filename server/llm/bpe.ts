/**
 * Byte-pair encoding over a tiktoken rank file, with the rank table kept in a few typed arrays.
 *
 * js-tiktoken keeps its ranks in a Map from "104,101,108"-style strings: ~200,000 strings and
 * ~20 MB of live heap that every full garbage collection walks for the life of the process (about
 * 8 ms more per full collection, paid by whatever requests are in flight). Here the same table is
 * one byte pool, two index arrays and an open-addressing hash table — ~5 MB that the collector
 * never looks into — and counting allocates no string per piece. Same tokens as js-tiktoken's
 * encoder (bpe.spec.ts checks it against js-tiktoken), special tokens counted as plain text.
 */

/** js-tiktoken's rank file format (`js-tiktoken/ranks/*`). */
export interface TiktokenRanks {
  pat_str: string;
  bpe_ranks: string;
}

export class BytePairEncoder {
  private readonly pattern: RegExp;
  /** Every token's bytes, back to back; token i is pool[starts[i] .. starts[i + 1]). */
  private readonly pool: Uint8Array;
  private readonly starts: Uint32Array;
  private readonly ranks: Uint32Array;
  /** Open addressing, linear probing: token index + 1, 0 for an empty slot. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  private scratch = Buffer.alloc(1024);
  private bounds = new Int32Array(1025);

  constructor(file: TiktokenRanks) {
    this.pattern = new RegExp(file.pat_str, 'gu');
    // Two passes over the rank file, sizing then filling the arrays, so that building leaves no
    // per-token objects behind for the collector (they would outlive the young generation).
    let count = 0;
    let size = 0;
    forEachToken(file.bpe_ranks, (base64) => {
      count++;
      size += decodedLength(base64);
    });
    const pool = Buffer.alloc(size);
    this.pool = pool;
    this.starts = new Uint32Array(count + 1);
    this.ranks = new Uint32Array(count);
    let token = 0;
    let at = 0;
    forEachToken(file.bpe_ranks, (base64, rank) => {
      this.starts[token] = at;
      this.ranks[token] = rank;
      at += pool.write(base64, at, 'base64');
      token++;
    });
    this.starts[count] = at;
    let capacity = 1;
    while (capacity < count * 2) capacity *= 2;
    this.slots = new Int32Array(capacity);
    this.mask = capacity - 1;
    for (let i = 0; i < count; i++) this.insert(i);
  }

  /** Number of tokens `text` encodes to. */
  count(text: string): number {
    return this.run(text, undefined);
  }

  /** The token ranks of `text`. */
  encode(text: string): number[] {
    const out: number[] = [];
    this.run(text, out);
    return out;
  }

  private run(text: string, out: number[] | undefined): number {
    if (text.length === 0) return 0;
    let total = 0;
    this.pattern.lastIndex = 0;
    for (let match = this.pattern.exec(text); match !== null; match = this.pattern.exec(text)) {
      const piece = match[0];
      if (piece.length === 0) {
        this.pattern.lastIndex++; // never the case for tiktoken's patterns; guards against a loop
        continue;
      }
      const length = this.toUtf8(piece);
      const whole = this.rankOf(this.scratch, 0, length);
      if (whole >= 0) {
        total++;
        out?.push(whole);
      } else total += this.merge(length, out);
    }
    return total;
  }

  /** UTF-8 bytes of `piece` into the scratch buffer; their count. */
  private toUtf8(piece: string): number {
    if (piece.length * 3 > this.scratch.length) this.scratch = Buffer.alloc(piece.length * 3);
    return this.scratch.write(piece, 0, 'utf8');
  }

  /**
   * tiktoken's byte-pair merge of scratch[0 .. length): start from single bytes and repeatedly join
   * the adjacent pair whose joined bytes have the lowest rank (leftmost on ties) until none has one.
   */
  private merge(length: number, out: number[] | undefined): number {
    if (this.bounds.length < length + 1) this.bounds = new Int32Array(length + 1);
    const bounds = this.bounds; // part k is scratch[bounds[k] .. bounds[k + 1])
    for (let i = 0; i <= length; i++) bounds[i] = i;
    let parts = length;
    while (parts > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < parts - 1; i++) {
        const rank = this.rankOf(this.scratch, bounds[i], bounds[i + 2]);
        if (rank >= 0 && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      bounds.copyWithin(best + 1, best + 2, parts + 1);
      parts--;
    }
    if (out) {
      for (let i = 0; i < parts; i++) {
        const rank = this.rankOf(this.scratch, bounds[i], bounds[i + 1]);
        if (rank >= 0) out.push(rank);
      }
    }
    return parts;
  }

  /** The rank of bytes[start .. end), or -1 when they are no token. */
  private rankOf(bytes: Uint8Array, start: number, end: number): number {
    const length = end - start;
    for (let slot = hash(bytes, start, end) & this.mask; ; slot = (slot + 1) & this.mask) {
      const entry = this.slots[slot];
      if (entry === 0) return -1;
      const token = entry - 1;
      const from = this.starts[token];
      if (this.starts[token + 1] - from !== length) continue;
      let same = true;
      for (let i = 0; i < length; i++) {
        if (this.pool[from + i] !== bytes[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return this.ranks[token];
    }
  }

  /** Adds token i; a byte sequence listed twice keeps its last rank (as a Map would). */
  private insert(token: number): void {
    const from = this.starts[token];
    const to = this.starts[token + 1];
    for (let slot = hash(this.pool, from, to) & this.mask; ; slot = (slot + 1) & this.mask) {
      const entry = this.slots[slot];
      if (entry === 0 || this.sameBytes(entry - 1, from, to)) {
        this.slots[slot] = token + 1;
        return;
      }
    }
  }

  private sameBytes(token: number, from: number, to: number): boolean {
    const start = this.starts[token];
    if (this.starts[token + 1] - start !== to - from) return false;
    for (let i = 0; i < to - from; i++) if (this.pool[start + i] !== this.pool[from + i]) return false;
    return true;
  }
}

/**
 * Calls `visit` with each token (base64) and its rank. The file is lines of
 * "<ignored> <first rank> <token> <token> …", ranks counting up along the line.
 */
function forEachToken(text: string, visit: (base64: string, rank: number) => void): void {
  for (let lineStart = 0; lineStart < text.length; ) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = text.length;
    const firstSpace = text.indexOf(' ', lineStart);
    if (firstSpace >= 0 && firstSpace < lineEnd) {
      let at = firstSpace + 1;
      let end = text.indexOf(' ', at);
      if (end < 0 || end > lineEnd) end = lineEnd;
      let rank = Number.parseInt(text.slice(at, end), 10);
      for (at = end + 1; at < lineEnd; at = end + 1) {
        end = text.indexOf(' ', at);
        if (end < 0 || end > lineEnd) end = lineEnd;
        if (end > at) visit(text.slice(at, end), rank++);
      }
    }
    lineStart = lineEnd + 1;
  }
}

function decodedLength(base64: string): number {
  let padding = 0;
  while (padding < base64.length && base64[base64.length - 1 - padding] === '=') padding++;
  return Math.floor(((base64.length - padding) * 3) / 4);
}

/** FNV-1a, 32 bits. */
function hash(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
