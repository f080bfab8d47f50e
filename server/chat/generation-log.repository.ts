import { Inject, Injectable } from '@nestjs/common';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { RedisKeys } from '../redis/redis-keys';
import { repliesOf, Store, StoreTransaction } from '../redis/store';

/**
 * One event of a generation as kept in its stream: entry id, SSE event name, JSON data, and for a
 * batch of deltas that was sent live as several events, those events' ids and text lengths
 * (`pieces`, see joinPieces), so a resume from any of them continues exactly after it.
 */
export type LogEntry = [id: string, event: string, data: string, pieces?: string];

export const TERMINAL_EVENTS = new Set(['done', 'error']);

/** Entries kept per stream (approximate trimming): far more than the batched events of one answer. */
const MAX_ENTRIES = 5000;
/** A running generation's stream outlives a crashed owner by at most this. */
const RUNNING_TTL_SECONDS = 3600;
/** How long a finished generation can still be replayed (a refresh right at the end). */
export const FINISHED_TTL_SECONDS = 60;

/**
 * The events of a session's generation in a Redis Stream (one per session, started afresh by each
 * generation), readable by any instance; each write is also announced on the session's channel,
 * with the entries, so followers elsewhere need no extra read.
 */
@Injectable()
export class GenerationLogRepository {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Store,
    private readonly keys: RedisKeys,
  ) {}

  channel(userId: string, sessionId: string): string {
    return this.keys.generationChannel(userId, sessionId);
  }

  /**
   * Replaces the previous generation's stream with this one's first entries and announces them, in
   * one MULTI (one round trip): the PUBLISH runs after the XADDs, so a follower never hears of an
   * entry before it can read it. `also` queues more commands after them (e.g. the live events that
   * say the generation started), heard only once the stream is there.
   */
  async start(userId: string, sessionId: string, entries: LogEntry[], also?: (tx: StoreTransaction) => void): Promise<void> {
    const key = this.keys.generationEvents(userId, sessionId);
    const tx = this.redis.multi().del(key);
    for (const entry of entries) tx.xadd(key, 'MAXLEN', '~', MAX_ENTRIES, entry[0], ...fieldsOf(entry));
    tx.expire(key, RUNNING_TTL_SECONDS).publish(this.channel(userId, sessionId), JSON.stringify(entries));
    also?.(tx);
    repliesOf(await tx.exec());
  }

  /**
   * Appends entries (`finished`: the last ones, after which the stream expires soon). No MULTI:
   * the commands go out in one write (auto-pipelining) and Redis runs them in order, so a follower
   * never hears of an entry before it can read it; two commands per batch instead of four.
   */
  async append(userId: string, sessionId: string, entries: LogEntry[], finished: boolean): Promise<void> {
    const key = this.keys.generationEvents(userId, sessionId);
    // A retried batch may be partly written already (the connection dropped mid-batch): an entry
    // whose id is taken is that entry, written before.
    const writes: Array<Promise<unknown>> = entries.map((entry) =>
      this.redis.xadd(key, 'MAXLEN', '~', MAX_ENTRIES, entry[0], ...fieldsOf(entry)).catch((error: Error) => {
        if (!/equal or smaller/.test(error.message)) throw error;
      }),
    );
    if (finished) writes.push(this.redis.expire(key, FINISHED_TTL_SECONDS));
    writes.push(this.redis.publish(this.channel(userId, sessionId), JSON.stringify(entries)));
    const results = await Promise.allSettled(writes);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Entries after `after` (exclusive; all when undefined), oldest first, at most `count`. */
  async read(userId: string, sessionId: string, after: string | undefined, count = 1000): Promise<LogEntry[]> {
    const start = after === undefined ? '-' : `(${after}`;
    const raw = await this.redis.xrange(this.keys.generationEvents(userId, sessionId), start, '+', 'COUNT', count);
    return raw.map(toEntry);
  }

  /** The newest entry, or null when there is no stream. */
  async last(userId: string, sessionId: string): Promise<LogEntry | null> {
    const raw = await this.redis.xrevrange(this.keys.generationEvents(userId, sessionId), '+', '-', 'COUNT', 1);
    return raw.length > 0 ? toEntry(raw[0]) : null;
  }
}

function fieldsOf([, event, data, pieces]: LogEntry): string[] {
  return pieces ? ['e', event, 'd', data, 'p', pieces] : ['e', event, 'd', data];
}

function toEntry([id, fields]: [string, string[]]): LogEntry {
  let event = '';
  let data = '';
  let pieces: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'e') event = fields[i + 1];
    else if (fields[i] === 'd') data = fields[i + 1];
    else if (fields[i] === 'p') pieces = fields[i + 1];
  }
  return pieces ? [id, event, data, pieces] : [id, event, data];
}

/**
 * The `pieces` of a batch of deltas: "id:length" of each live event but the last (whose id is the
 * entry's and whose text is the rest), comma-separated.
 */
export function joinPieces(ids: string[], lengths: number[]): string | undefined {
  if (ids.length < 2) return undefined;
  let out = '';
  for (let i = 0; i < ids.length - 1; i++) out += `${i > 0 ? ',' : ''}${ids[i]}:${lengths[i]}`;
  return out;
}

/**
 * The part of `entry` after event `after`: a batch of deltas that began with events up to `after`
 * (sent live one by one, see joinPieces) keeps only the text that followed them.
 */
export function entryAfter(entry: LogEntry, after: string | undefined): LogEntry {
  const pieces = entry[3];
  if (after === undefined || !pieces) return entry;
  let skip = 0;
  for (const piece of pieces.split(',')) {
    const colon = piece.lastIndexOf(':');
    if (compareEntryIds(piece.slice(0, colon), after) > 0) break;
    skip += Number(piece.slice(colon + 1));
  }
  if (skip === 0) return entry;
  const text = (JSON.parse(entry[2]) as { text: string }).text.slice(skip);
  return [entry[0], entry[1], `{"text":${JSON.stringify(text)}}`];
}

/** Stream ids in order: "ms-seq" compared numerically. */
export function compareEntryIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am - bm || (as ?? 0) - (bs ?? 0);
}

const ENTRY_ID = /^\d{1,15}-\d{1,15}$/;

export function isEntryId(value: unknown): value is string {
  return typeof value === 'string' && ENTRY_ID.test(value);
}

/**
 * Entry ids chosen by the writer (the generation holds the session's lock, so it is the stream's
 * only writer): entries are written without reading XADD's reply first.
 */
export class EntryIdClock {
  private ms = 0;
  private seq = 0;

  next(): string {
    const now = Date.now();
    if (now > this.ms) {
      this.ms = now;
      this.seq = 0;
    } else this.seq++;
    return `${this.ms}-${this.seq}`;
  }
}
