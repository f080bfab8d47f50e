import { EventEmitter } from 'node:events';

/**
 * The embedded store: an in-process stand-in for the subset of Redis commands nono-chat's
 * repositories use, with the same call shapes and replies as ioredis. It lets `npm start` work with
 * nothing else installed; data lives only as long as the process. Repositories are written once
 * against the ioredis API and their contract tests run against both this and a real Redis.
 */
type Value = string | Map<string, string> | string[] | SortedSet | StreamLog;
type Reply = unknown;

class SortedSet {
  readonly scores = new Map<string, number>();

  sorted(): Array<[string, number]> {
    return [...this.scores.entries()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}

/** A stream: entries in id order, each `[id, [field, value, ...]]` as XRANGE replies. */
class StreamLog {
  readonly entries: Array<[string, string[]]> = [];
  last: [number, number] = [0, 0];
}

function parseStreamId(id: string): [number, number] {
  const [ms, seq] = id.split('-');
  return [Number(ms), seq === undefined ? 0 : Number(seq)];
}

function compareIds(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

interface Entry {
  value: Value;
  expiresAt?: number;
}

class WrongTypeError extends Error {
  constructor() {
    super('WRONGTYPE Operation against a key holding the wrong kind of value');
  }
}

/** The shared data behind one embedded store and all its duplicates (for pub/sub). */
class Database {
  readonly data = new Map<string, Entry>();
  readonly bus = new EventEmitter();
  private sweeper?: NodeJS.Timeout;

  constructor() {
    this.bus.setMaxListeners(0);
    // Expired keys are dropped on access; the sweep keeps memory bounded for keys never read again.
    this.sweeper = setInterval(() => this.sweep(), 10_000);
    this.sweeper.unref();
  }

  sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.data) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.data.delete(key);
    }
  }

  close(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }
}

function parseScoreBound(bound: string | number): { value: number; exclusive: boolean } {
  const text = String(bound);
  if (text === '-inf') return { value: -Infinity, exclusive: false };
  if (text === '+inf' || text === 'inf') return { value: Infinity, exclusive: false };
  if (text.startsWith('(')) return { value: Number(text.slice(1)), exclusive: true };
  return { value: Number(text), exclusive: false };
}

function normalizeRange(start: number, stop: number, length: number): [number, number] {
  let s = start < 0 ? length + start : start;
  let e = stop < 0 ? length + stop : stop;
  if (s < 0) s = 0;
  if (e >= length) e = length - 1;
  return [s, e];
}

export class MemoryRedis extends EventEmitter {
  status = 'ready';
  private readonly db: Database;
  private readonly channels = new Set<string>();
  private readonly onBus = (channel: string, message: string) => {
    if (this.channels.has(channel)) this.emit('message', channel, message);
  };

  constructor(db?: Database) {
    super();
    this.db = db ?? new Database();
    this.db.bus.on('publish', this.onBus);
  }

  /** A second connection to the same data, as ioredis' `duplicate()` gives (used for subscribers). */
  duplicate(): MemoryRedis {
    return new MemoryRedis(this.db);
  }

  // ---- keyspace -----------------------------------------------------------------------------

  private entry(key: string): Entry | undefined {
    const entry = this.db.data.get(key);
    if (entry && entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.db.data.delete(key);
      return undefined;
    }
    return entry;
  }

  private read<T extends Value>(key: string, is: (v: Value) => boolean): T | undefined {
    const entry = this.entry(key);
    if (!entry) return undefined;
    if (!is(entry.value)) throw new WrongTypeError();
    return entry.value as T;
  }

  private write<T extends Value>(key: string, is: (v: Value) => boolean, create: () => T): T {
    const existing = this.read<T>(key, is);
    if (existing !== undefined) return existing;
    const value = create();
    this.db.data.set(key, { value });
    return value;
  }

  /** Drops containers that became empty, as Redis does. */
  private tidy(key: string): void {
    const entry = this.db.data.get(key);
    if (!entry) return;
    const v = entry.value;
    const empty =
      (v instanceof Map && v.size === 0) ||
      (Array.isArray(v) && v.length === 0) ||
      (v instanceof SortedSet && v.scores.size === 0);
    if (empty) this.db.data.delete(key);
  }

  async ping(): Promise<string> {
    return 'PONG';
  }

  async quit(): Promise<string> {
    this.status = 'end';
    this.db.bus.off('publish', this.onBus);
    return 'OK';
  }

  disconnect(): void {
    void this.quit();
  }

  async flushall(): Promise<string> {
    this.db.data.clear();
    return 'OK';
  }

  async exists(...keys: string[]): Promise<number> {
    return keys.flat().filter((k) => this.entry(k) !== undefined).length;
  }

  async del(...keys: string[]): Promise<number> {
    let n = 0;
    for (const key of keys.flat()) {
      if (this.entry(key) !== undefined) {
        this.db.data.delete(key);
        n++;
      }
    }
    return n;
  }

  /** EXPIRE key seconds [NX | XX | GT | LT] */
  async expire(key: string, seconds: number | string, condition?: 'NX' | 'XX' | 'GT' | 'LT'): Promise<number> {
    return this.pexpire(key, Number(seconds) * 1000, condition);
  }

  /** PEXPIRE key ms [NX | XX | GT | LT]; a key without a TTL counts as an infinite one for GT/LT, as in Redis 7. */
  async pexpire(key: string, ms: number | string, condition?: 'NX' | 'XX' | 'GT' | 'LT'): Promise<number> {
    const entry = this.entry(key);
    if (!entry) return 0;
    const at = Date.now() + Number(ms);
    const current = entry.expiresAt;
    const mode = condition === undefined ? undefined : String(condition).toUpperCase();
    if (mode !== undefined && !['NX', 'XX', 'GT', 'LT'].includes(mode)) throw new Error(`ERR Unsupported option ${mode}`);
    if (mode === 'NX' && current !== undefined) return 0;
    if (mode === 'XX' && current === undefined) return 0;
    if (mode === 'GT' && (current === undefined || at <= current)) return 0;
    if (mode === 'LT' && current !== undefined && at >= current) return 0;
    if (Number(ms) <= 0) {
      this.db.data.delete(key);
      return 1;
    }
    entry.expiresAt = at;
    return 1;
  }

  async persist(key: string): Promise<number> {
    const entry = this.entry(key);
    if (!entry || entry.expiresAt === undefined) return 0;
    delete entry.expiresAt;
    return 1;
  }

  async pttl(key: string): Promise<number> {
    const entry = this.entry(key);
    if (!entry) return -2;
    if (entry.expiresAt === undefined) return -1;
    return Math.max(0, entry.expiresAt - Date.now());
  }

  async ttl(key: string): Promise<number> {
    const entry = this.entry(key);
    if (!entry) return -2;
    if (entry.expiresAt === undefined) return -1;
    return Math.max(0, Math.round((entry.expiresAt - Date.now()) / 1000));
  }

  // ---- strings ------------------------------------------------------------------------------

  async get(key: string): Promise<string | null> {
    return this.read<string>(key, (v) => typeof v === 'string') ?? null;
  }

  /** SET key value [EX s | PX ms] [NX | XX] [GET is not supported]. */
  async set(key: string, value: string | number, ...options: Array<string | number>): Promise<'OK' | null> {
    let expiresAt: number | undefined;
    let nx = false;
    let xx = false;
    let keepTtl = false;
    for (let i = 0; i < options.length; i++) {
      const opt = String(options[i]).toUpperCase();
      if (opt === 'EX') expiresAt = Date.now() + Number(options[++i]) * 1000;
      else if (opt === 'PX') expiresAt = Date.now() + Number(options[++i]);
      else if (opt === 'NX') nx = true;
      else if (opt === 'XX') xx = true;
      else if (opt === 'KEEPTTL') keepTtl = true;
      else throw new Error(`ERR syntax error: SET option ${opt} is not supported by the embedded store`);
    }
    const existing = this.entry(key);
    if (nx && existing) return null;
    if (xx && !existing) return null;
    const entry: Entry = { value: String(value) };
    if (expiresAt !== undefined) entry.expiresAt = expiresAt;
    else if (keepTtl && existing?.expiresAt !== undefined) entry.expiresAt = existing.expiresAt;
    this.db.data.set(key, entry);
    return 'OK';
  }

  async incr(key: string): Promise<number> {
    return this.incrby(key, 1);
  }

  async incrby(key: string, by: number | string): Promise<number> {
    const current = this.read<string>(key, (v) => typeof v === 'string');
    const next = Number(current ?? 0) + Number(by);
    const entry = this.entry(key);
    if (entry) entry.value = String(next);
    else this.db.data.set(key, { value: String(next) });
    return next;
  }

  // ---- hashes -------------------------------------------------------------------------------

  private hash(key: string): Map<string, string> | undefined {
    return this.read<Map<string, string>>(key, (v) => v instanceof Map);
  }

  async hset(key: string, ...args: Array<string | number | Record<string, string | number>>): Promise<number> {
    const pairs: Array<[string, string]> = [];
    if (args.length === 1 && typeof args[0] === 'object') {
      for (const [f, v] of Object.entries(args[0])) pairs.push([f, String(v)]);
    } else {
      for (let i = 0; i < args.length; i += 2) pairs.push([String(args[i]), String(args[i + 1])]);
    }
    const h = this.write(key, (v) => v instanceof Map, () => new Map<string, string>());
    let added = 0;
    for (const [f, v] of pairs) {
      if (!h.has(f)) added++;
      h.set(f, v);
    }
    return added;
  }

  async hget(key: string, field: string): Promise<string | null> {
    return this.hash(key)?.get(field) ?? null;
  }

  async hmget(key: string, ...fields: Array<string | string[]>): Promise<Array<string | null>> {
    const h = this.hash(key);
    return fields.flat().map((f) => h?.get(f) ?? null);
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    const h = this.hash(key);
    return h ? Object.fromEntries(h) : {};
  }

  async hdel(key: string, ...fields: string[]): Promise<number> {
    const h = this.hash(key);
    if (!h) return 0;
    let n = 0;
    for (const f of fields.flat()) if (h.delete(f)) n++;
    this.tidy(key);
    return n;
  }

  async hincrby(key: string, field: string, by: number | string): Promise<number> {
    const h = this.write(key, (v) => v instanceof Map, () => new Map<string, string>());
    const next = Number(h.get(field) ?? 0) + Number(by);
    h.set(field, String(next));
    return next;
  }

  async hexists(key: string, field: string): Promise<number> {
    return this.hash(key)?.has(field) ? 1 : 0;
  }

  // ---- lists --------------------------------------------------------------------------------

  private list(key: string): string[] | undefined {
    return this.read<string[]>(key, (v) => Array.isArray(v));
  }

  async rpush(key: string, ...values: Array<string | number | Array<string | number>>): Promise<number> {
    const l = this.write(key, (v) => Array.isArray(v), () => [] as string[]);
    for (const v of values.flat()) l.push(String(v));
    return l.length;
  }

  /** RPUSHX: appends only when the list exists. */
  async rpushx(key: string, ...values: Array<string | number | Array<string | number>>): Promise<number> {
    const l = this.list(key);
    if (!l) return 0;
    for (const v of values.flat()) l.push(String(v));
    return l.length;
  }

  async lpush(key: string, ...values: Array<string | number | Array<string | number>>): Promise<number> {
    const l = this.write(key, (v) => Array.isArray(v), () => [] as string[]);
    for (const v of values.flat()) l.unshift(String(v));
    return l.length;
  }

  async lrange(key: string, start: number | string, stop: number | string): Promise<string[]> {
    const l = this.list(key);
    if (!l) return [];
    const [s, e] = normalizeRange(Number(start), Number(stop), l.length);
    return s > e ? [] : l.slice(s, e + 1);
  }

  /** LRANGE with each element as its bytes, as ioredis' lrangeBuffer gives them. */
  async lrangeBuffer(key: string, start: number | string, stop: number | string): Promise<Buffer[]> {
    return (await this.lrange(key, start, stop)).map((v) => Buffer.from(v, 'utf8'));
  }

  async llen(key: string): Promise<number> {
    return this.list(key)?.length ?? 0;
  }

  async lindex(key: string, index: number | string): Promise<string | null> {
    const l = this.list(key);
    if (!l) return null;
    const i = Number(index) < 0 ? l.length + Number(index) : Number(index);
    return l[i] ?? null;
  }

  async lset(key: string, index: number | string, value: string): Promise<'OK'> {
    const l = this.list(key);
    if (!l) throw new Error('ERR no such key');
    const i = Number(index) < 0 ? l.length + Number(index) : Number(index);
    if (i < 0 || i >= l.length) throw new Error('ERR index out of range');
    l[i] = value;
    return 'OK';
  }

  async ltrim(key: string, start: number | string, stop: number | string): Promise<'OK'> {
    const l = this.list(key);
    if (!l) return 'OK';
    const [s, e] = normalizeRange(Number(start), Number(stop), l.length);
    const kept = s > e ? [] : l.slice(s, e + 1);
    l.splice(0, l.length, ...kept);
    this.tidy(key);
    return 'OK';
  }

  async rpop(key: string): Promise<string | null> {
    const l = this.list(key);
    if (!l) return null;
    const v = l.pop() ?? null;
    this.tidy(key);
    return v;
  }

  // ---- sorted sets --------------------------------------------------------------------------

  private zset(key: string): SortedSet | undefined {
    return this.read<SortedSet>(key, (v) => v instanceof SortedSet);
  }

  /** ZADD key [NX|XX] [GT|LT] score member [score member ...] */
  async zadd(key: string, ...args: Array<string | number>): Promise<number> {
    let i = 0;
    let nx = false;
    let xx = false;
    let gt = false;
    let lt = false;
    for (; i < args.length; i++) {
      const a = String(args[i]).toUpperCase();
      if (a === 'NX') nx = true;
      else if (a === 'XX') xx = true;
      else if (a === 'GT') gt = true;
      else if (a === 'LT') lt = true;
      else break;
    }
    const z = this.write(key, (v) => v instanceof SortedSet, () => new SortedSet());
    let added = 0;
    for (; i < args.length; i += 2) {
      const score = Number(args[i]);
      const member = String(args[i + 1]);
      const current = z.scores.get(member);
      if (current === undefined) {
        if (xx) continue;
        z.scores.set(member, score);
        added++;
      } else {
        if (nx) continue;
        if (gt && score <= current) continue;
        if (lt && score >= current) continue;
        z.scores.set(member, score);
      }
    }
    this.tidy(key);
    return added;
  }

  async zrem(key: string, ...members: Array<string | string[]>): Promise<number> {
    const z = this.zset(key);
    if (!z) return 0;
    let n = 0;
    for (const m of members.flat()) if (z.scores.delete(m)) n++;
    this.tidy(key);
    return n;
  }

  async zscore(key: string, member: string): Promise<string | null> {
    const s = this.zset(key)?.scores.get(member);
    return s === undefined ? null : String(s);
  }

  async zcard(key: string): Promise<number> {
    return this.zset(key)?.scores.size ?? 0;
  }

  private withScores(items: Array<[string, number]>, withScores: boolean): string[] {
    return withScores ? items.flatMap(([m, s]) => [m, String(s)]) : items.map(([m]) => m);
  }

  async zrange(key: string, start: number | string, stop: number | string, ...opts: string[]): Promise<string[]> {
    const upper = opts.map((o) => String(o).toUpperCase());
    if (upper.includes('BYSCORE')) {
      throw new Error('ERR the embedded store supports ZRANGE BYSCORE only as ZRANGEBYSCORE/ZREVRANGEBYSCORE');
    }
    const all = this.zset(key)?.sorted() ?? [];
    const items = upper.includes('REV') ? all.reverse() : all;
    const [s, e] = normalizeRange(Number(start), Number(stop), items.length);
    return this.withScores(s > e ? [] : items.slice(s, e + 1), upper.includes('WITHSCORES'));
  }

  async zrevrange(key: string, start: number | string, stop: number | string, ...opts: string[]): Promise<string[]> {
    return this.zrange(key, start, stop, 'REV', ...opts);
  }

  private byScore(
    key: string,
    min: string | number,
    max: string | number,
    reverse: boolean,
    opts: Array<string | number>,
  ): string[] {
    const lo = parseScoreBound(min);
    const hi = parseScoreBound(max);
    let items = (this.zset(key)?.sorted() ?? []).filter(
      ([, s]) => (lo.exclusive ? s > lo.value : s >= lo.value) && (hi.exclusive ? s < hi.value : s <= hi.value),
    );
    if (reverse) items = items.reverse();
    const upper = opts.map((o) => String(o).toUpperCase());
    const limitAt = upper.indexOf('LIMIT');
    if (limitAt >= 0) {
      const offset = Number(opts[limitAt + 1]);
      const count = Number(opts[limitAt + 2]);
      items = items.slice(offset, count < 0 ? undefined : offset + count);
    }
    return this.withScores(items, upper.includes('WITHSCORES'));
  }

  async zrangebyscore(key: string, min: string | number, max: string | number, ...opts: Array<string | number>): Promise<string[]> {
    return this.byScore(key, min, max, false, opts);
  }

  /** ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count] */
  async zrevrangebyscore(key: string, max: string | number, min: string | number, ...opts: Array<string | number>): Promise<string[]> {
    return this.byScore(key, min, max, true, opts);
  }

  async zremrangebyscore(key: string, min: string | number, max: string | number): Promise<number> {
    const members = this.byScore(key, min, max, false, []);
    return this.zrem(key, ...members);
  }

  // ---- streams ------------------------------------------------------------------------------

  /** XADD key [MAXLEN [~] n] id|* field value [field value ...] */
  async xadd(key: string, ...args: Array<string | number>): Promise<string> {
    let i = 0;
    let maxLen: number | undefined;
    if (String(args[0]).toUpperCase() === 'MAXLEN') {
      i = String(args[1]) === '~' || String(args[1]) === '=' ? 2 : 1;
      maxLen = Number(args[i]);
      i++;
    }
    const log = this.write(key, (v) => v instanceof StreamLog, () => new StreamLog());
    const requested = String(args[i++]);
    let id: [number, number];
    if (requested === '*') {
      const now = Date.now();
      id = now > log.last[0] ? [now, 0] : [log.last[0], log.last[1] + 1];
    } else {
      id = parseStreamId(requested);
      if (compareIds(id, log.last) <= 0) throw new Error('ERR The ID specified in XADD is equal or smaller than the target stream top item');
    }
    log.last = id;
    const text = `${id[0]}-${id[1]}`;
    log.entries.push([text, args.slice(i).map(String)]);
    if (maxLen !== undefined && log.entries.length > maxLen) log.entries.splice(0, log.entries.length - maxLen);
    return text;
  }

  /** XRANGE key start end [COUNT n]; `(id` excludes the bound, as in Redis 6.2+. */
  async xrange(key: string, start: string, end: string, ...opts: Array<string | number>): Promise<Array<[string, string[]]>> {
    const log = this.read<StreamLog>(key, (v) => v instanceof StreamLog);
    if (!log) return [];
    const bound = (text: string, low: boolean) => {
      if (text === '-') return { id: [0, 0] as [number, number], exclusive: false };
      if (text === '+') return { id: [Infinity, Infinity] as [number, number], exclusive: false };
      const exclusive = text.startsWith('(');
      const raw = exclusive ? text.slice(1) : text;
      const id = parseStreamId(raw);
      if (!raw.includes('-')) id[1] = low ? 0 : Infinity;
      return { id, exclusive };
    };
    const lo = bound(String(start), true);
    const hi = bound(String(end), false);
    const countAt = opts.findIndex((o) => String(o).toUpperCase() === 'COUNT');
    const count = countAt >= 0 ? Number(opts[countAt + 1]) : Infinity;
    const out: Array<[string, string[]]> = [];
    for (const [id, fields] of log.entries) {
      const parsed = parseStreamId(id);
      const afterLo = lo.exclusive ? compareIds(parsed, lo.id) > 0 : compareIds(parsed, lo.id) >= 0;
      const beforeHi = hi.exclusive ? compareIds(parsed, hi.id) < 0 : compareIds(parsed, hi.id) <= 0;
      if (afterLo && beforeHi) out.push([id, [...fields]]);
      if (out.length >= count) break;
    }
    return out;
  }

  /** XREVRANGE key end start [COUNT n] */
  async xrevrange(key: string, end: string, start: string, ...opts: Array<string | number>): Promise<Array<[string, string[]]>> {
    const all = await this.xrange(key, start, end);
    const countAt = opts.findIndex((o) => String(o).toUpperCase() === 'COUNT');
    const reversed = all.reverse();
    return countAt >= 0 ? reversed.slice(0, Number(opts[countAt + 1])) : reversed;
  }

  // ---- owner-checked locks (lock-scripts.ts runs these as Lua on Redis) -----------------------

  async nonoLockRelease(key: string, token: string): Promise<number> {
    return (await this.get(key)) === token ? this.del(key) : 0;
  }

  async nonoLockRenew(key: string, token: string, ttlMs: number): Promise<number> {
    const current = await this.get(key);
    if (current === token) return this.pexpire(key, ttlMs);
    if (current !== null) return 0;
    await this.set(key, token, 'PX', ttlMs);
    return 2;
  }

  // ---- pub/sub ------------------------------------------------------------------------------

  async publish(channel: string, message: string): Promise<number> {
    this.db.bus.emit('publish', channel, message);
    return 1;
  }

  async subscribe(...channels: string[]): Promise<number> {
    for (const c of channels.flat()) this.channels.add(c);
    return this.channels.size;
  }

  async unsubscribe(...channels: string[]): Promise<number> {
    for (const c of channels.flat()) this.channels.delete(c);
    return this.channels.size;
  }

  // ---- transactions -------------------------------------------------------------------------

  /** MULTI: queued commands run back to back with nothing interleaved (the process is single-threaded). */
  multi(): MemoryPipeline {
    return new MemoryPipeline(this);
  }

  /** A pipeline has the same shape; it is atomic here too, which only makes it safer. */
  pipeline(): MemoryPipeline {
    return new MemoryPipeline(this);
  }

  /**
   * Runs queued commands in order. Every command's effect happens synchronously when it is called
   * (no command awaits before it changes data), so no other request can interleave: MULTI is atomic.
   */
  async runQueued(queue: Array<[string, unknown[]]>): Promise<Array<[Error | null, Reply]>> {
    const pending = queue.map(([name, args]) => {
      const fn = (this as unknown as Record<string, (...a: unknown[]) => Promise<Reply>>)[name];
      return fn.apply(this, args);
    });
    const settled = await Promise.allSettled(pending);
    return settled.map((r): [Error | null, Reply] =>
      r.status === 'fulfilled' ? [null, r.value] : [r.reason as Error, null],
    );
  }

  /**
   * MULTI … EXEC with replies as a Redis connection delivers them (transaction.ts execRaw): strings
   * as Buffers, hashes as flat field/value lists, a failed command's error in its place.
   */
  async execRaw(commands: Array<[string, ...unknown[]]>): Promise<unknown[]> {
    const results = await this.runQueued(commands.map(([name, ...args]): [string, unknown[]] => [name, args]));
    return results.map(([error, value]) => error ?? toRaw(value));
  }

  /** Stops the expiry sweep; the data stays for any duplicate still open. */
  shutdown(): void {
    this.db.close();
  }
}

function toRaw(value: Reply): Reply {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (Array.isArray(value)) return value.map(toRaw);
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) return Object.entries(value).flat().map(toRaw);
  return value;
}

const QUEUEABLE = [
  'get', 'set', 'del', 'exists', 'expire', 'pexpire', 'persist', 'ttl', 'pttl', 'incr', 'incrby',
  'hset', 'hget', 'hmget', 'hgetall', 'hdel', 'hincrby', 'hexists',
  'rpush', 'rpushx', 'lpush', 'lrange', 'lrangeBuffer', 'llen', 'lindex', 'lset', 'ltrim', 'rpop',
  'zadd', 'zrem', 'zscore', 'zcard', 'zrange', 'zrevrange', 'zrangebyscore', 'zrevrangebyscore', 'zremrangebyscore',
  'publish', 'xadd', 'xrange', 'xrevrange', 'nonoLockRelease', 'nonoLockRenew',
] as const;

type Queueable = (typeof QUEUEABLE)[number];

export type MemoryPipeline = {
  [K in Queueable]: (...args: Parameters<MemoryRedis[K]>) => MemoryPipeline;
} & {
  length: number;
  exec(): Promise<Array<[Error | null, Reply]>>;
};

// eslint-disable-next-line @typescript-eslint/no-redeclare
const MemoryPipeline = function (this: { queue: Array<[string, unknown[]]>; client: MemoryRedis }, client: MemoryRedis) {
  this.queue = [];
  this.client = client;
} as unknown as new (client: MemoryRedis) => MemoryPipeline;

for (const name of QUEUEABLE) {
  (MemoryPipeline.prototype as Record<string, unknown>)[name] = function (
    this: { queue: Array<[string, unknown[]]> },
    ...args: unknown[]
  ) {
    this.queue.push([name, args]);
    return this;
  };
}
Object.defineProperty(MemoryPipeline.prototype, 'length', {
  get(this: { queue: unknown[] }) {
    return this.queue.length;
  },
});
(MemoryPipeline.prototype as unknown as { exec: () => Promise<unknown> }).exec = function (this: {
  queue: Array<[string, unknown[]]>;
  client: MemoryRedis;
}) {
  // Pipelines run without yielding between commands, so a MULTI is atomic against other requests.
  return this.client.runQueued(this.queue);
};
