import { EventEmitter } from 'node:events';
import type { WriteCommand } from './memory-redis';

/** The data structures behind the embedded store (memory-redis.ts). */
export type Value = string | Map<string, string> | string[] | SortedSet | StreamLog;

export class SortedSet {
  readonly scores = new Map<string, number>();

  /** Highest score first; equal scores by member, highest first (Redis' reverse order). */
  descending(): Array<[string, number]> {
    return [...this.scores.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0));
  }
}

/** A stream: entries in id order, each `[id, [field, value, ...]]` as XRANGE replies give them. */
export class StreamLog {
  readonly entries: Array<[string, string[]]> = [];
  last: StreamId = [0, 0];
}

export type StreamId = [ms: number, seq: number];

/** "ms-seq" (or "ms", whose seq is `missingSeq`) as numbers. */
export function parseStreamId(id: string, missingSeq = 0): StreamId {
  const [ms, seq] = id.split('-');
  return [Number(ms), seq === undefined ? missingSeq : Number(seq)];
}

export function compareStreamIds(a: StreamId, b: StreamId): number {
  return a[0] - b[0] || a[1] - b[1];
}

export interface Entry {
  value: Value;
  expiresAt?: number;
}

export class WrongTypeError extends Error {
  constructor() {
    super('WRONGTYPE Operation against a key holding the wrong kind of value');
  }
}

/** The data shared by an embedded store and its duplicates (for pub/sub). */
export class Database {
  readonly data = new Map<string, Entry>();
  readonly bus = new EventEmitter();
  /** Called before each write command runs (WRITES in memory-redis.ts); embedded-persistence.ts logs them. */
  onWrite?: (command: WriteCommand, args: unknown[]) => void;
  /** Called around each MULTI/pipeline's commands (all run synchronously in between), so they are logged as one record. */
  onTransaction?: (phase: 'begin' | 'end') => void;
  /**
   * The store's clock. A replayed log sets it to each write's own time, so expiries, NX checks and
   * relative TTLs come out as they did then.
   */
  now: () => number = Date.now;
  private connections = 0;
  private sweeper?: NodeJS.Timeout;

  constructor() {
    this.bus.setMaxListeners(0);
  }

  open(): void {
    this.connections++;
    if (this.sweeper) return;
    // Expired keys are dropped on access; the sweep keeps memory bounded for keys never read again.
    this.sweeper = setInterval(() => this.sweep(), 10_000);
    this.sweeper.unref();
  }

  /** The sweep stops with the last connection; the data stays. */
  close(): void {
    if (--this.connections > 0 || !this.sweeper) return;
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.data) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.data.delete(key);
    }
  }
}

/** A score bound as ZRANGEBYSCORE takes it: a number, `(n` (exclusive), `+inf` or `-inf`. */
export function scoreBound(bound: string | number): { value: number; exclusive: boolean } {
  const text = String(bound);
  if (text === '-inf') return { value: -Infinity, exclusive: false };
  if (text === '+inf' || text === 'inf') return { value: Infinity, exclusive: false };
  if (text.startsWith('(')) return { value: Number(text.slice(1)), exclusive: true };
  return { value: Number(text), exclusive: false };
}

/**
 * A ZRANGEBYLEX bound as a test of a member's UTF-8 bytes: `side` 1 for the lower bound (member
 * at or after it), -1 for the upper one.
 */
export function lexBound(bound: string): (member: Buffer, side: 1 | -1) => boolean {
  if (bound === '-') return (_m, side) => side === 1;
  if (bound === '+') return (_m, side) => side === -1;
  if (!bound.startsWith('[') && !bound.startsWith('(')) throw new Error('ERR min or max not valid string range item');
  const edge = Buffer.from(bound.slice(1));
  const inclusive = bound.startsWith('[');
  return (member, side) => {
    const order = Buffer.compare(member, edge) * side;
    return order > 0 || (inclusive && order === 0);
  };
}

/** ZINTERSTORE/ZUNIONSTORE arguments after numkeys: the keys, then WEIGHTS and AGGREGATE. */
export function parseCombine(
  numkeys: number,
  args: string[],
): { keys: string[]; weights: number[]; aggregate: (a: number, b: number) => number } {
  if (!Number.isInteger(numkeys) || numkeys < 1 || numkeys > args.length) throw new Error('ERR at least 1 input key is needed');
  const keys = args.slice(0, numkeys);
  let weights = keys.map(() => 1);
  let aggregate = (a: number, b: number) => a + b;
  for (let i = numkeys; i < args.length; ) {
    const option = String(args[i]).toUpperCase();
    if (option === 'WEIGHTS') {
      weights = args.slice(i + 1, i + 1 + numkeys).map(Number);
      if (weights.length !== numkeys || weights.some(Number.isNaN)) throw new Error('ERR syntax error');
      i += 1 + numkeys;
    } else if (option === 'AGGREGATE') {
      const how = String(args[i + 1]).toUpperCase();
      if (how === 'MIN') aggregate = Math.min;
      else if (how === 'MAX') aggregate = Math.max;
      else if (how !== 'SUM') throw new Error('ERR syntax error');
      i += 2;
    } else throw new Error('ERR syntax error');
  }
  return { keys, weights, aggregate };
}

/** Redis' inclusive, negative-from-the-end range as slice bounds. */
export function slice<T>(items: T[], start: number, stop: number): T[] {
  const from = Math.max(0, start < 0 ? items.length + start : start);
  const to = stop < 0 ? items.length + stop : Math.min(stop, items.length - 1);
  return from > to ? [] : items.slice(from, to + 1);
}

export const isString = (v: Value): v is string => typeof v === 'string';
export const isHash = (v: Value): v is Map<string, string> => v instanceof Map;
export const isList = (v: Value): v is string[] => Array.isArray(v);
export const isSortedSet = (v: Value): v is SortedSet => v instanceof SortedSet;
export const isStream = (v: Value): v is StreamLog => v instanceof StreamLog;
