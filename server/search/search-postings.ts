/**
 * The search index's postings: what a term's log (a Redis string, appended to per indexing batch)
 * holds of each session using the term. A posting is RECORD_LENGTH characters of a 64-letter
 * alphabet (ASCII, so a byte each on Redis and the same in the embedded store):
 * - the session's number in the identity's index (4 letters, up to 16,777,215);
 * - the position of the newest message of the batch holding the term in the session's list of
 *   indexed message ids (3 letters, up to 262,142), or TITLE_SEQ for the session's title;
 * - when that message was written, in seconds since SEARCH_EPOCH (5 letters, until 2058).
 * A log is read whole: per session the newest message posting and the newest title posting win
 * (equal times: the later position), so batches may repeat a session and need no order.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

export const RECORD_LENGTH = 12;
const NUMBER_LETTERS = 4;
const SEQ_LETTERS = 3;
const TIME_LETTERS = 5;
export const MAX_SESSION_NUMBER = 64 ** NUMBER_LETTERS - 1;
/** The position a title's posting names (no message is there). */
export const TITLE_SEQ = 64 ** SEQ_LETTERS - 1;
const MAX_TIME = 64 ** TIME_LETTERS - 1;
/** 2024-01-01T00:00:00Z, in seconds. */
export const SEARCH_EPOCH = 1_704_067_200;

/** What a term's log says of one session: its newest message using the term, and when its title last did. */
export interface TermHit {
  /** Seconds since SEARCH_EPOCH of the newest message holding the term (-1: none). */
  messageTime: number;
  /** That message's position in the session's indexed message ids. */
  messageSeq: number;
  /** Seconds since SEARCH_EPOCH when the title holding the term was indexed (-1: none, or it no longer holds it). */
  titleTime: number;
}

function put(out: string[], value: number, letters: number): void {
  for (let i = letters - 1; i >= 0; i--) out.push(ALPHABET[Math.floor(value / 64 ** i) % 64]);
}

/** Seconds since SEARCH_EPOCH of a time in ms, within what a posting holds. */
export function postingTime(ms: number): number {
  return Math.min(Math.max(Math.floor(ms / 1000) - SEARCH_EPOCH, 0), MAX_TIME);
}

/** One posting. */
export function encodePosting(sessionNumber: number, seq: number, time: number): string {
  const out: string[] = [];
  put(out, sessionNumber, NUMBER_LETTERS);
  put(out, Math.min(seq, TITLE_SEQ), SEQ_LETTERS);
  put(out, time, TIME_LETTERS);
  return out.join('');
}

function read(text: string, at: number, letters: number): number {
  let value = 0;
  for (let i = 0; i < letters; i++) {
    const v = VALUE[text.charCodeAt(at + i)] ?? -1;
    if (v < 0) return -1;
    value = value * 64 + v;
  }
  return value;
}

/**
 * Reads a term's log into per-session hits, skipping sessions in `gone`. Returns how many postings
 * it held (a log holding many more than `hits.size` is worth compacting).
 */
export function readPostings(log: string, gone: ReadonlySet<number>, hits: Map<number, TermHit>): number {
  const count = Math.floor(log.length / RECORD_LENGTH);
  for (let at = 0; at + RECORD_LENGTH <= log.length; at += RECORD_LENGTH) {
    const session = read(log, at, NUMBER_LETTERS);
    const seq = read(log, at + NUMBER_LETTERS, SEQ_LETTERS);
    const time = read(log, at + NUMBER_LETTERS + SEQ_LETTERS, TIME_LETTERS);
    if (session < 0 || seq < 0 || time < 0 || gone.has(session)) continue;
    let hit = hits.get(session);
    if (!hit) hits.set(session, (hit = { messageTime: -1, messageSeq: -1, titleTime: -1 }));
    if (seq === TITLE_SEQ) hit.titleTime = Math.max(hit.titleTime, time);
    else if (time > hit.messageTime || (time === hit.messageTime && seq > hit.messageSeq)) {
      hit.messageTime = time;
      hit.messageSeq = seq;
    }
  }
  return count;
}

/** The postings of `hits` again, one message and one title posting per session at most (a compacted log). */
export function writePostings(hits: ReadonlyMap<number, TermHit>): string {
  const out: string[] = [];
  for (const [session, hit] of hits) {
    if (hit.messageTime >= 0) out.push(encodePosting(session, hit.messageSeq, hit.messageTime));
    if (hit.titleTime >= 0) out.push(encodePosting(session, TITLE_SEQ, hit.titleTime));
  }
  return out.join('');
}

/** A session number as the string of gone sessions holds it. */
export function encodeSessionNumber(sessionNumber: number): string {
  const out: string[] = [];
  put(out, sessionNumber, NUMBER_LETTERS);
  return out.join('');
}

/** Adds the session numbers of a string of gone sessions (or a part of it read from a multiple of 4 letters on). */
export function readSessionNumbers(text: string, into: Set<number>): void {
  for (let at = 0; at + NUMBER_LETTERS <= text.length; at += NUMBER_LETTERS) {
    const n = read(text, at, NUMBER_LETTERS);
    if (n >= 0) into.add(n);
  }
}
