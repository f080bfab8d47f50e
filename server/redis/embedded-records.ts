import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';

/**
 * The embedded store's file format, shared by its append-only log and its snapshot.
 *
 * Binary (written since format 2): the file starts with {@link MAGIC}, then frames:
 *
 *     u32 LE body length | u32 LE crc32 of the body | body
 *     body    = f64 LE time (ms since the epoch) | u32 LE command count | command*
 *     command = u8 name length | name (ASCII) | u32 LE argument count | argument*
 *     argument = tag u8, then: 's' u32 length + UTF-8 | 'n' f64 | 'u' (undefined) | 'z' (null)
 *              | 'o' u32 entry count + (u32 length + UTF-8 key, argument)* | 'j' u32 length + JSON
 *
 * An 'o' argument is written from a plain object or a Map and read back as a Map.
 *
 * A frame holds one transaction (MULTI … EXEC) or one command, so a torn or damaged tail never keeps
 * half of a transaction; the checksum catches a torn or damaged frame.
 *
 * JSON lines (format 1, still read): `<crc32 of the JSON, 8 hex digits> <JSON array: [time, command,
 * ...args]>\n` per command. Such a file never starts with the magic ('n' is not a hex digit).
 */
export interface StoreRecord {
  /** When the command ran (ms since the epoch): replay runs it on this clock. */
  time: number;
  command: string;
  args: unknown[];
}

export const MAGIC = Buffer.from('nono-log 2\n', 'latin1');

export type FileFormat = 'binary' | 'json';

/** Frame header: body length and checksum. */
const HEAD = 8;

/** Strings up to this length are copied byte by byte when they are ASCII. */
const SHORT_STRING = 64;

/**
 * Encodes frames into one growing buffer, for the log (flushed and cleared as it goes) and the
 * snapshot (taken in chunks). Strings are written as UTF-8 straight into the buffer: no JSON, no
 * intermediate strings.
 */
export class RecordWriter {
  private buf: Buffer;
  private used = 0;
  /** Where the open frame starts, or -1. */
  private frame = -1;
  private count = 0;

  constructor(private readonly initialSize = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Bytes of whole frames waiting (an open frame is not counted). */
  get size(): number {
    return this.frame < 0 ? this.used : this.frame;
  }

  get inFrame(): boolean {
    return this.frame >= 0;
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.used + bytes));
    this.buf.copy(bigger, 0, 0, this.used);
    this.buf = bigger;
  }

  magic(): void {
    this.reserve(MAGIC.length);
    this.used += MAGIC.copy(this.buf, this.used);
  }

  begin(time: number): void {
    if (this.frame >= 0) throw new Error('a frame is open already');
    this.reserve(HEAD + 12);
    this.frame = this.used;
    this.buf.writeDoubleLE(time, this.used + HEAD);
    this.used += HEAD + 12;
    this.count = 0;
  }

  command(name: string, args: readonly unknown[]): void {
    this.reserve(1 + name.length + 4);
    this.buf[this.used++] = name.length;
    // Command names are short and ASCII: a loop beats a call into Buffer#write.
    for (let i = 0; i < name.length; i++) this.buf[this.used++] = name.charCodeAt(i);
    putU32(this.buf, this.used, args.length);
    this.used += 4;
    for (const arg of args) this.value(arg);
    this.count++;
  }

  /** Closes the frame; false (and nothing kept) when it holds no command. */
  end(): boolean {
    const start = this.frame;
    this.frame = -1;
    if (this.count === 0) {
      this.used = start;
      return false;
    }
    putU32(this.buf, start + HEAD + 8, this.count);
    putU32(this.buf, start, this.used - start - HEAD);
    putU32(this.buf, start + 4, crc32(this.buf.subarray(start + HEAD, this.used)));
    return true;
  }

  /** One frame holding one command. */
  record(time: number, name: string, args: readonly unknown[]): void {
    this.begin(time);
    this.command(name, args);
    this.end();
  }

  /** The whole frames written so far (a view: valid until the next write or clear()). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.size);
  }

  /** Drops the whole frames (after they were written out); an open frame stays. */
  clear(): void {
    const keep = this.size;
    if (this.frame >= 0) {
      this.buf.copy(this.buf, 0, keep, this.used);
      this.frame = 0;
    }
    this.used -= keep;
  }

  /** Gives back the memory a burst made the buffer grow to, when it is empty. */
  shrink(): void {
    if (this.used === 0 && this.buf.length > this.initialSize) this.buf = Buffer.allocUnsafe(this.initialSize);
  }

  /** The whole frames as a buffer of their own; the writer starts afresh. */
  take(): Buffer {
    if (this.frame >= 0) throw new Error('a frame is open');
    const out = this.buf.subarray(0, this.used);
    this.buf = Buffer.allocUnsafe(this.initialSize);
    this.used = 0;
    return out;
  }

  /** A string, after a tag byte when `tag` is given. */
  private string(text: string, tag?: number): void {
    const length = text.length;
    this.reserve(5 + length * 3);
    const buf = this.buf;
    if (tag !== undefined) buf[this.used++] = tag;
    const at = this.used + 4;
    // Keys, fields, ids and numbers are short and ASCII: copying them in a loop costs less than the
    // call into Buffer#write, which pays off for longer text.
    if (length <= SHORT_STRING) {
      let i = 0;
      for (; i < length; i++) {
        const code = text.charCodeAt(i);
        if (code >= 0x80) break;
        buf[at + i] = code;
      }
      if (i === length) {
        putU32(buf, this.used, length);
        this.used = at + length;
        return;
      }
    }
    const bytes = buf.write(text, at); // UTF-8
    putU32(buf, this.used, bytes);
    this.used = at + bytes;
  }

  private value(arg: unknown): void {
    if (typeof arg === 'string') {
      this.string(arg, 0x73); // s
      return;
    }
    this.reserve(9);
    if (typeof arg === 'number') {
      this.buf[this.used++] = 0x6e; // n
      this.buf.writeDoubleLE(arg, this.used);
      this.used += 8;
    } else if (arg === undefined) this.buf[this.used++] = 0x75; // u
    else if (arg === null) this.buf[this.used++] = 0x7a; // z
    else if (arg instanceof Map) {
      this.buf[this.used++] = 0x6f; // o
      putU32(this.buf, this.used, arg.size);
      this.used += 4;
      for (const [key, value] of arg as Map<unknown, unknown>) {
        this.string(String(key));
        this.value(value);
      }
    } else if (isPlainObject(arg)) {
      const keys = Object.keys(arg);
      this.buf[this.used++] = 0x6f; // o
      putU32(this.buf, this.used, keys.length);
      this.used += 4;
      for (const key of keys) {
        this.string(key);
        this.value(arg[key]);
      }
    } else {
      this.buf[this.used++] = 0x6a; // j
      this.string(JSON.stringify(arg) ?? 'null');
    }
  }
}

/** Buffer#writeUInt32LE without its argument checks (the writer reserved the room). */
function putU32(buf: Buffer, at: number, value: number): void {
  buf[at] = value;
  buf[at + 1] = value >>> 8;
  buf[at + 2] = value >>> 16;
  buf[at + 3] = value >>> 24;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A binary file's frames from `offset` on, decoded; stops at the first damaged or unfinished one. */
class FrameReader {
  private at = 0;
  private buf: Buffer = Buffer.alloc(0);

  private need(bytes: number, end: number): void {
    if (this.at + bytes > end) throw new RangeError('runs past its frame');
  }

  private u32(end: number): number {
    this.need(4, end);
    const value = this.buf.readUInt32LE(this.at);
    this.at += 4;
    return value;
  }

  private f64(end: number): number {
    this.need(8, end);
    const value = this.buf.readDoubleLE(this.at);
    this.at += 8;
    return value;
  }

  private string(end: number): string {
    const length = this.u32(end);
    this.need(length, end);
    const text = this.buf.toString('utf8', this.at, this.at + length);
    this.at += length;
    return text;
  }

  private value(end: number): unknown {
    this.need(1, end);
    const tag = this.buf[this.at++];
    switch (tag) {
      case 0x73:
        return this.string(end);
      case 0x6e:
        return this.f64(end);
      case 0x75:
        return undefined;
      case 0x7a:
        return null;
      case 0x6f: {
        // A Map, not an object: every hash field name (a message id…) would be a new object shape.
        const map = new Map<string, unknown>();
        for (let n = this.u32(end); n > 0; n--) {
          const key = this.string(end);
          map.set(key, this.value(end));
        }
        return map;
      }
      case 0x6a:
        return JSON.parse(this.string(end)) as unknown;
      default:
        throw new RangeError(`unknown value tag ${tag}`);
    }
  }

  /** The frame's records, or why it is not one. */
  frame(buf: Buffer, start: number, end: number, isCommand: (name: string) => boolean, into: StoreRecord[]): string | undefined {
    this.buf = buf;
    this.at = start;
    const added = into.length;
    try {
      const time = this.f64(end);
      for (let n = this.u32(end); n > 0; n--) {
        this.need(1, end);
        const length = this.buf[this.at++];
        this.need(length, end);
        const command = this.buf.toString('latin1', this.at, this.at + length);
        this.at += length;
        if (!isCommand(command)) {
          into.length = added;
          return `unknown command ${JSON.stringify(command)}`;
        }
        const args: unknown[] = [];
        for (let a = this.u32(end); a > 0; a--) args.push(this.value(end));
        into.push({ time, command, args });
      }
      if (this.at !== end) throw new RangeError('ends before its frame');
      return undefined;
    } catch {
      into.length = added;
      return 'not a record';
    }
  }
}

/** Where and why a file stops being readable. */
export interface Damage {
  offset: number;
  reason: string;
}

/**
 * Receives the records of each whole, intact record of a file (a frame's, or a JSON line's) as it
 * is read; a string it returns is damage at that record (reading stops before it).
 */
export type RecordVisitor = (records: StoreRecord[]) => string | void;

export interface ReadResult {
  /** How many records were read (and visited). */
  count: number;
  /** Bytes of the file read (the whole file, or up to the damage). */
  size: number;
  damage?: Damage;
  /** The file's format (an empty file counts as binary: it is continued as such). */
  format: FileFormat;
}

export interface FileRead extends ReadResult {
  /** The file's size when read. */
  fileSize: number;
}

/** How much of a file is read at a time (a buffer reused throughout; a larger frame grows it). */
const READ_CHUNK = 4 << 20;

/**
 * The first `size` bytes of a file, read front to back into one reused buffer: a large log or
 * snapshot never sits in memory whole, and no memory is newly touched per megabyte read.
 */
class ChunkedFile {
  buf = Buffer.allocUnsafe(READ_CHUNK);
  /** The file offset of buf[0]. */
  start = 0;
  private filled = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  /**
   * Makes the file's bytes [offset, offset + length) available at buf[offset - start]; false when
   * the file ends before. Bytes before `offset` are given up.
   */
  has(offset: number, length: number): boolean {
    if (offset + length > this.size) return false;
    if (offset + length <= this.start + this.filled) return true;
    const keep = this.start + this.filled - offset;
    const target = length > this.buf.length ? Buffer.allocUnsafe(Math.max(length, this.buf.length * 2)) : this.buf;
    this.buf.copy(target, 0, offset - this.start, this.start + this.filled);
    this.buf = target;
    this.start = offset;
    this.filled = keep;
    while (this.filled < length) {
      const want = Math.min(this.buf.length - this.filled, this.size - this.start - this.filled);
      const read = readSync(this.fd, this.buf, this.filled, want, this.start + this.filled);
      if (read === 0) return false; // cut shorter while being read
      this.filled += read;
    }
    return true;
  }
}

function readBinary(file: ChunkedFile, isCommand: (name: string) => boolean, visit: RecordVisitor): ReadResult {
  let count = 0;
  const reader = new FrameReader();
  let offset = MAGIC.length;
  const stop = (reason: string): ReadResult => ({ count, size: offset, damage: { offset, reason }, format: 'binary' });
  while (offset < file.size) {
    if (!file.has(offset, HEAD)) return stop('the last record is incomplete');
    const length = file.buf.readUInt32LE(offset - file.start);
    const crc = file.buf.readUInt32LE(offset - file.start + 4);
    const start = offset + HEAD;
    if (!file.has(start, length)) return stop('the last record is incomplete');
    const at = start - file.start;
    if (crc32(file.buf.subarray(at, at + length)) !== crc) return stop('checksum mismatch');
    const records: StoreRecord[] = [];
    const problem = reader.frame(file.buf, at, at + length, isCommand, records) ?? visit(records);
    if (problem) return stop(problem);
    count += records.length;
    offset = start + length;
  }
  return { count, size: offset, format: 'binary' };
}

const NEWLINE = 0x0a;

/** One JSON line's record, or why it is not one. */
function decodeLine(line: Buffer, isCommand: (name: string) => boolean): StoreRecord | string {
  if (line.length < 10 || line[8] !== 0x20) return 'not a record';
  const json = line.subarray(9);
  if (crc32(json) !== parseInt(line.toString('latin1', 0, 8), 16)) return 'checksum mismatch';
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch {
    return 'invalid JSON';
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== 'number' || typeof parsed[1] !== 'string') return 'not a record';
  if (!isCommand(parsed[1])) return `unknown command ${JSON.stringify(parsed[1])}`;
  return { time: parsed[0], command: parsed[1], args: parsed.slice(2) };
}

function readJsonLines(bytes: Buffer, isCommand: (name: string) => boolean, visit: RecordVisitor): ReadResult {
  let count = 0;
  let offset = 0;
  while (offset < bytes.length) {
    const end = bytes.indexOf(NEWLINE, offset);
    if (end < 0) return { count, size: offset, damage: { offset, reason: 'the last record is incomplete' }, format: 'json' };
    const record = decodeLine(bytes.subarray(offset, end), isCommand);
    const problem = typeof record === 'string' ? record : visit([record]);
    if (problem) return { count, size: offset, damage: { offset, reason: problem }, format: 'json' };
    count++;
    offset = end + 1;
  }
  return { count, size: offset, format: 'json' };
}

/** Which format a file starting with `bytes` is in (of `size` bytes in all), or undefined when it is too short to tell. */
export function formatOf(bytes: Buffer, size = bytes.length): FileFormat | undefined {
  const head = Math.min(bytes.length, MAGIC.length);
  if (bytes.subarray(0, head).equals(MAGIC.subarray(0, head))) return size >= MAGIC.length || size === 0 ? 'binary' : undefined;
  return 'json';
}

/**
 * Visits every record up to the first damaged or unfinished one, in either format, as it is
 * decoded. A binary file is read a chunk at a time.
 */
export function readRecords(file: string, isCommand: (name: string) => boolean, visit: RecordVisitor): FileRead {
  const fd = openSync(file, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    const chunks = new ChunkedFile(fd, fileSize);
    chunks.has(0, Math.min(fileSize, MAGIC.length));
    const format = formatOf(chunks.buf.subarray(0, Math.min(fileSize, MAGIC.length)), fileSize);
    if (fileSize === 0) return { count: 0, size: 0, format: 'binary', fileSize };
    if (format === undefined) return { count: 0, size: 0, damage: { offset: 0, reason: 'the file header is incomplete' }, format: 'binary', fileSize };
    // The JSON-lines format is only ever read once (to be continued in a binary log): read whole.
    const read = format === 'binary' ? readBinary(chunks, isCommand, visit) : readJsonLines(readFileSync(fd), isCommand, visit);
    return { ...read, fileSize };
  } finally {
    closeSync(fd);
  }
}

/** How many records (or what is left of them) a damaged tail holds. */
export function countRecords(bytes: Buffer, format: FileFormat): number {
  if (format === 'json') {
    let lines = 0;
    for (let i = bytes.indexOf(NEWLINE); i >= 0; i = bytes.indexOf(NEWLINE, i + 1)) lines++;
    return bytes.length > 0 && bytes[bytes.length - 1] !== NEWLINE ? lines + 1 : lines;
  }
  // As far as the lengths lead: a damaged length makes the rest count as one.
  let frames = 0;
  const start = bytes.subarray(0, MAGIC.length).equals(MAGIC) ? MAGIC.length : 0;
  for (let at = start; at < bytes.length; frames++) at += bytes.length - at >= HEAD ? HEAD + bytes.readUInt32LE(at) : HEAD;
  return frames;
}

/** A record in the JSON-lines format (format 1), as earlier versions wrote it. */
export function encodeJsonRecord(time: number, command: string, args: unknown[]): string {
  const json = JSON.stringify([time, command, ...args]);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}
