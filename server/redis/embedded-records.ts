import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';

/**
 * The embedded store's file format, shared by its append-only log and its snapshot: one record per
 * line, `<crc32 of the JSON, 8 hex digits> <JSON array: [time in ms, command, ...args]>\n`. JSON
 * escapes line breaks inside strings, so a line is always a whole record; the checksum catches a
 * torn or damaged one.
 */
export interface StoreRecord {
  /** When the command ran (ms since the epoch): replay runs it on this clock. */
  time: number;
  command: string;
  args: unknown[];
}

export function encodeRecord(time: number, command: string, args: unknown[]): string {
  const json = JSON.stringify([time, command, ...args]);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

/** Where and why a file stops being readable. */
export interface Damage {
  offset: number;
  reason: string;
}

export interface ReadResult {
  records: StoreRecord[];
  /** Bytes of the file read (the whole file, or up to the damage). */
  size: number;
  damage?: Damage;
}

const NEWLINE = 0x0a;

/** One line's record, or why it is not one. */
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

/** Every record up to the first damaged or unfinished one (a last line without its newline). */
export function readRecords(file: string, isCommand: (name: string) => boolean): ReadResult {
  const bytes = readFileSync(file);
  const records: StoreRecord[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const end = bytes.indexOf(NEWLINE, offset);
    if (end < 0) return { records, size: offset, damage: { offset, reason: 'the last record is incomplete' } };
    const record = decodeLine(bytes.subarray(offset, end), isCommand);
    if (typeof record === 'string') return { records, size: offset, damage: { offset, reason: record } };
    records.push(record);
    offset = end + 1;
  }
  return { records, size: offset };
}

/** How many lines (records, or what is left of them) a damaged tail holds. */
export function countLines(bytes: Buffer): number {
  let lines = 0;
  for (let i = bytes.indexOf(NEWLINE); i >= 0; i = bytes.indexOf(NEWLINE, i + 1)) lines++;
  return bytes.length > 0 && bytes[bytes.length - 1] !== NEWLINE ? lines + 1 : lines;
}
