import { ImportFormatError } from './conversation-tree';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
/** UTF-8 byte order mark, which some editors write at the start. */
const BOM = [0xef, 0xbb, 0xbf];

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** One top-level item of a file: its UTF-8 text, its position (0-based) and where it starts. */
export interface JsonElement {
  index: number;
  offset: number;
  text: Buffer;
}

/**
 * Splits a stream of UTF-8 JSON into its conversations without holding the file: either one array
 * of objects (ChatGPT's and Claude's conversations.json) or a sequence of objects (one JSON object,
 * or NDJSON). Each element's bytes are found by a byte scan that tracks strings and nesting (bytes
 * of multi-byte UTF-8 characters never equal the ASCII codes scanned for), then parsed on its own
 * with JSON.parse: memory is bounded by the largest conversation, and the scan runs at several
 * hundred MB/s, where a token-by-token streaming parser (stream-json measured about 3 MB/s on such files)
 * would take minutes for a large export.
 */
export class JsonElementSplitter {
  private mode: 'start' | 'array' | 'values' | 'done' = 'start';
  /** Nesting inside the current element (0: between elements). */
  private depth = 0;
  private inString = false;
  /** A backslash ended the previous chunk inside a string. */
  private escaped = false;
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private elementOffset = 0;
  private count = 0;
  /** Bytes of the input before the current chunk. */
  private consumed = 0;
  /** In array mode: an element was read and no comma followed yet. */
  private needComma = false;

  constructor(private readonly maxElementBytes: number) {}

  /** The elements completed by this chunk. */
  push(chunk: Buffer): JsonElement[] {
    const out: JsonElement[] = [];
    let i = 0;
    let start = this.depth > 0 ? 0 : -1;
    for (; i < chunk.length; i++) {
      if (this.depth > 0) {
        if (this.inString) {
          if (this.escaped) {
            this.escaped = false;
            continue;
          }
          const from = i;
          const quote = chunk.indexOf(QUOTE, from);
          if (quote === -1) {
            this.escaped = backslashesBefore(chunk, chunk.length, from) % 2 === 1;
            i = chunk.length;
            break;
          }
          i = quote;
          // A quote after an odd run of backslashes is part of the string.
          if (backslashesBefore(chunk, quote, from) % 2 === 0) this.inString = false;
          continue;
        }
        const byte = chunk[i];
        if (byte === QUOTE) this.inString = true;
        else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) this.depth++;
        else if ((byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) && --this.depth === 0) {
          out.push(this.finish(chunk.subarray(start, i + 1)));
          start = -1;
        }
        continue;
      }
      const byte = chunk[i];
      if (isSpace(byte)) continue;
      const at = this.consumed + i;
      if (this.mode === 'start') {
        if (at < 3 && byte === BOM[at]) continue;
        if (byte === OPEN_ARRAY) this.mode = 'array';
        else if (byte === OPEN_OBJECT) {
          this.mode = 'values';
          i--; // read it again as the first element's start
        } else throw new ImportFormatError(`The file is not JSON this server can import: it must start with "[" (a conversations.json) or "{" (an export of this server), not ${describe(byte)}.`);
        continue;
      }
      if (this.mode === 'done') throw new ImportFormatError(`Unexpected ${describe(byte)} at byte ${at}, after the end of the conversations array.`);
      if (this.mode === 'array') {
        if (byte === CLOSE_ARRAY) {
          this.mode = 'done';
          continue;
        }
        if (this.needComma) {
          if (byte !== COMMA) throw new ImportFormatError(`Expected "," or "]" after conversation ${this.count} at byte ${at}, found ${describe(byte)}.`);
          this.needComma = false;
          continue;
        }
      }
      if (byte !== OPEN_OBJECT) {
        throw new ImportFormatError(`Conversation ${this.count + 1} (byte ${at}) is not a JSON object: it starts with ${describe(byte)}.`);
      }
      this.depth = 1;
      this.elementOffset = at;
      start = i;
    }
    if (this.depth > 0 && start !== -1) this.keep(chunk.subarray(start));
    this.consumed += chunk.length;
    return out;
  }

  /** Checks that the input ended where it may (not inside a conversation or an open array). */
  end(): void {
    if (this.depth > 0) {
      throw new ImportFormatError(`The file ends in the middle of conversation ${this.count + 1} (it starts at byte ${this.elementOffset}): it is truncated.`);
    }
    if (this.mode === 'start') throw new ImportFormatError('The file is empty: send a conversations.json or an export of this server.');
    if (this.mode === 'array') throw new ImportFormatError(`The file ends before the closing "]" of its conversations array, after ${this.count} conversations: it is truncated.`);
  }

  /** Keeps part of an element that continues in the next chunk: a copy, so the chunk's memory is free to go. */
  private keep(part: Buffer, copy = true): void {
    this.partsBytes += part.length;
    if (this.partsBytes > this.maxElementBytes) {
      throw new ImportFormatError(`Conversation ${this.count + 1} (at byte ${this.elementOffset}) is larger than ${this.maxElementBytes} bytes; no conversation may be.`);
    }
    this.parts.push(copy ? Buffer.from(part) : part);
  }

  private finish(tail: Buffer): JsonElement {
    this.keep(tail, false); // the element is parsed before the chunk goes
    const text = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partsBytes);
    this.parts = [];
    this.partsBytes = 0;
    this.needComma = this.mode === 'array';
    return { index: this.count++, offset: this.elementOffset, text };
  }
}

/** How many backslashes directly precede position `end`, looking no further back than `from`. */
function backslashesBefore(chunk: Buffer, end: number, from: number): number {
  let n = 0;
  while (end - n - 1 >= from && chunk[end - n - 1] === BACKSLASH) n++;
  return n;
}

function describe(byte: number): string {
  return byte >= 0x20 && byte < 0x7f ? JSON.stringify(String.fromCharCode(byte)) : `byte 0x${byte.toString(16).padStart(2, '0')}`;
}

/** Parses one element; a syntax error names the conversation and where it starts. */
export function parseElement(element: JsonElement): unknown {
  try {
    return JSON.parse(element.text.toString('utf8'));
  } catch (error) {
    throw new ImportFormatError(`Conversation ${element.index + 1} (at byte ${element.offset}) is not valid JSON: ${(error as Error).message}`);
  }
}
