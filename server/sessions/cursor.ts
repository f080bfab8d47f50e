import { BadRequestException } from '@nestjs/common';
import { isSessionId } from './session-id';

/**
 * Opaque cursors: base64url of a small JSON object. Clients pass them back unchanged; anything that
 * does not decode to exactly what the server would have written is a 400.
 */
const MAX_CURSOR_LENGTH = 200;

function invalid(): never {
  throw new BadRequestException('Invalid cursor: pass back next_cursor exactly as a previous page returned it');
}

function encode(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decode(cursor: string): Record<string, unknown> {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    invalid();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) invalid();
  // Canonical form only: re-encoding must give the same text.
  if (encode(parsed as object) !== cursor) invalid();
  return parsed as Record<string, unknown>;
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** The index a session list position is in: pinned sessions are listed before the others (see session-index.ts). */
export type SessionBucket = 'main' | 'pinned' | 'archived';
const BUCKET_CODES: Record<Exclude<SessionBucket, 'main'>, string> = { pinned: 'p', archived: 'a' };

/** Position in a session list: the last session returned (its index, score and id). */
export interface SessionListPosition {
  /** Absent: the main index (cursors from before pinned sessions were listed first). */
  bucket?: SessionBucket;
  score: number;
  id: string;
}

export function encodeSessionCursor(position: SessionListPosition): string {
  const { bucket = 'main', score, id } = position;
  return encode(bucket === 'main' ? { s: score, id } : { b: BUCKET_CODES[bucket], s: score, id });
}

export function decodeSessionCursor(cursor: string): SessionListPosition {
  const { b, s, id, ...rest } = decode(cursor);
  if (!isCount(s) || !isSessionId(id) || Object.keys(rest).length > 0) invalid();
  if (b === undefined) return { score: s, id };
  const bucket = (Object.keys(BUCKET_CODES) as Array<keyof typeof BUCKET_CODES>).find((name) => BUCKET_CODES[name] === b);
  if (!bucket) invalid();
  return { bucket, score: s, id };
}

/** Position in a session's history: the list index of the oldest message already returned. */
export function encodeMessageCursor(index: number): string {
  return encode({ i: index });
}

export function decodeMessageCursor(cursor: string): number {
  const { i, ...rest } = decode(cursor);
  if (!isCount(i) || i < 1 || Object.keys(rest).length > 0) invalid();
  return i;
}
