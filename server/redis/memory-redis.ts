import { EventEmitter } from 'node:events';
import {
  compareStreamIds,
  Database,
  Entry,
  isHash,
  isList,
  isSortedSet,
  isStream,
  isString,
  lexBound,
  parseCombine,
  parseStreamId,
  scoreBound,
  slice,
  SortedSet,
  StreamId,
  StreamLog,
  Value,
  WrongTypeError,
} from './memory-data';
import type { DuplicateOptions, Store, StoreCommands, StoreReplies, StoreTransaction } from './store';

/**
 * The embedded store: the Store commands (store.ts) in process, with ioredis' replies. It lets
 * `npm start` work with nothing else installed. Data lives in this process; embedded-persistence.ts
 * keeps it on disk (DATA_DIR) by logging the WRITES below. The contract tests run every repository
 * against both this and a real Redis.
 *
 * Every command changes data synchronously, before its promise settles, so commands queued in a
 * transaction run back to back with nothing interleaved: MULTI is atomic here too.
 */
/** Redis' glob (`*`, `?`, `[abc]`, `[^a-z]`, `\\x`) as a test of a whole key. */
export function globMatcher(pattern: string): (key: string) => boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') source += '[\\s\\S]*';
    else if (c === '?') source += '[\\s\\S]';
    else if (c === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i]);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) source += '\\[';
      else {
        const body = pattern.slice(i + 1, end);
        source += `[${body.startsWith('^') ? '^' + escapeClass(body.slice(1)) : escapeClass(body)}]`;
        i = end;
      }
    } else source += escapeRegExp(c);
  }
  const re = new RegExp(`^${source}$`);
  return (key) => re.test(key);
}

/** A stream range bound: `-`, `+`, `id`, `(id` (exclusive); an id without seq takes `missingSeq`. */
function streamBound(text: string, missingSeq: number): { id: StreamId; exclusive: boolean } {
  if (text === '-') return { id: [0, 0], exclusive: false };
  if (text === '+') return { id: [Infinity, Infinity], exclusive: false };
  const exclusive = text.startsWith('(');
  return { id: parseStreamId(exclusive ? text.slice(1) : text, missingSeq), exclusive };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** A class body keeps its ranges (a-z); only characters special inside a RegExp class are escaped. */
const escapeClass = (text: string) => text.replace(/[\]\\^]/g, '\\$&');

export class MemoryRedis extends EventEmitter implements Store {
  /** Shared with duplicates; the persistence layer reads and restores it. */
  readonly db: Database;
  private readonly channels = new Set<string>();
  private open = true;
  private readonly onBus = (channel: string, message: string) => {
    if (this.channels.has(channel)) this.emit('message', channel, message);
  };

  constructor(db = new Database()) {
    super();
    this.db = db;
    db.open();
    db.bus.on('publish', this.onBus);
  }

  /** A second connection to the same data, as ioredis' `duplicate()` gives (used for subscribers). */
  duplicate(_options?: DuplicateOptions): MemoryRedis {
    return new MemoryRedis(this.db);
  }

  async ping(): Promise<string> {
    return 'PONG';
  }

  async quit(): Promise<'OK'> {
    if (this.open) {
      this.open = false;
      this.db.bus.off('publish', this.onBus);
      this.db.close();
    }
    return 'OK';
  }

  disconnect(): void {
    void this.quit();
  }

  multi(): StoreTransaction {
    return new MemoryTransaction(this);
  }

  /** Runs atomically too, which only makes it safer. */
  pipeline(): StoreTransaction {
    return new MemoryTransaction(this);
  }

  // ---- keyspace -----------------------------------------------------------------------------

  private entry(key: string): Entry | undefined {
    const entry = this.db.data.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= this.db.now()) {
      this.db.data.delete(key);
      return undefined;
    }
    return entry;
  }

  private read<T extends Value>(key: string, is: (v: Value) => v is T): T | undefined {
    const entry = this.entry(key);
    if (!entry) return undefined;
    if (!is(entry.value)) throw new WrongTypeError();
    return entry.value;
  }

  private readOrCreate<T extends Value>(key: string, is: (v: Value) => v is T, create: () => T): T {
    const existing = this.read(key, is);
    if (existing !== undefined) return existing;
    const value = create();
    this.db.data.set(key, { value });
    return value;
  }

  /** Drops containers that became empty, as Redis does. */
  private dropIfEmpty(key: string): void {
    const v = this.db.data.get(key)?.value;
    if ((isHash(v!) && v.size === 0) || (isList(v!) && v.length === 0) || (isSortedSet(v!) && v.scores.size === 0)) {
      this.db.data.delete(key);
    }
  }

  async del(...keys: string[]): Promise<number> {
    return keys.filter((key) => this.entry(key) !== undefined && this.db.data.delete(key)).length;
  }

  async exists(...keys: string[]): Promise<number> {
    return keys.filter((key) => this.entry(key) !== undefined).length;
  }

  async expire(key: string, seconds: number, condition?: 'XX'): Promise<number> {
    return this.setExpiry(key, seconds * 1000, condition);
  }

  async pexpire(key: string, milliseconds: number, condition?: 'NX'): Promise<number> {
    return this.setExpiry(key, milliseconds, condition);
  }

  private setExpiry(key: string, ms: number, condition?: 'XX' | 'NX'): number {
    const entry = this.entry(key);
    if (!entry || (condition === 'XX' && entry.expiresAt === undefined)) return 0;
    if (condition === 'NX' && entry.expiresAt !== undefined) return 0;
    if (ms <= 0) this.db.data.delete(key);
    else entry.expiresAt = this.db.now() + ms;
    return 1;
  }

  async persist(key: string): Promise<number> {
    const entry = this.entry(key);
    if (entry?.expiresAt === undefined) return 0;
    delete entry.expiresAt;
    return 1;
  }

  async pttl(key: string): Promise<number> {
    const entry = this.entry(key);
    if (!entry) return -2;
    return entry.expiresAt === undefined ? -1 : Math.max(0, entry.expiresAt - this.db.now());
  }

  async type(key: string): Promise<string> {
    const value = this.entry(key)?.value;
    if (value === undefined) return 'none';
    if (isStream(value)) return 'stream';
    return isString(value) ? 'string' : isHash(value) ? 'hash' : isList(value) ? 'list' : 'zset';
  }

  /**
   * Keys in ascending order; the cursor is the last key returned, so keys added or removed
   * meanwhile never make the iteration skip one that stayed. Each step reads every key (fine for
   * an admin command on a store that fits in one process).
   */
  async scan(cursor: string, _match: 'MATCH', pattern: string, _count: 'COUNT', hint: number): Promise<[string, string[]]> {
    const after = cursor === '0' ? undefined : cursor.slice(1);
    const matches = globMatcher(pattern);
    const now = this.db.now();
    const keys = [...this.db.data.entries()]
      .filter(([key, entry]) => (after === undefined || key > after) && !(entry.expiresAt !== undefined && entry.expiresAt <= now) && matches(key))
      .map(([key]) => key)
      .sort()
      .slice(0, Math.max(1, hint));
    return keys.length < Math.max(1, hint) ? ['0', keys] : [`>${keys[keys.length - 1]}`, keys];
  }

  // ---- strings ------------------------------------------------------------------------------

  async get(key: string): Promise<string | null> {
    return this.read(key, isString) ?? null;
  }

  /** SET key value [PX ms | KEEPTTL] [NX | XX]: the forms the app sends. */
  async set(key: string, value: string | number, ...options: Array<string | number>): Promise<'OK' | null> {
    let ms: number | undefined;
    let nx = false;
    let xx = false;
    let keepTtl = false;
    for (let i = 0; i < options.length; i++) {
      if (options[i] === 'PX') ms = Number(options[++i]);
      else if (options[i] === 'NX') nx = true;
      else if (options[i] === 'XX') xx = true;
      else if (options[i] === 'KEEPTTL') keepTtl = true;
      else throw new Error(`ERR syntax error: SET option ${options[i]} is not supported by the embedded store`);
    }
    const existing = this.entry(key);
    if ((nx && existing) || (xx && !existing)) return null;
    const expiresAt = ms !== undefined ? this.db.now() + ms : keepTtl ? existing?.expiresAt : undefined;
    this.db.data.set(key, expiresAt === undefined ? { value: String(value) } : { value: String(value), expiresAt });
    return 'OK';
  }

  async incr(key: string): Promise<number> {
    return this.incrby(key, 1);
  }

  /** Keeps the key's TTL, as Redis does. */
  async incrby(key: string, increment: number): Promise<number> {
    const entry = this.entry(key);
    if (entry && !isString(entry.value)) throw new WrongTypeError();
    const current = entry ? Number(entry.value) : 0;
    if (!Number.isInteger(current)) throw new Error('ERR value is not an integer or out of range');
    const next = current + Number(increment);
    if (entry) entry.value = String(next);
    else this.db.data.set(key, { value: String(next) });
    return next;
  }

  // ---- hashes -------------------------------------------------------------------------------

  async hset(key: string, ...args: Array<string | number | Record<string, string | number>>): Promise<number> {
    const pairs = typeof args[0] === 'object' ? Object.entries(args[0]) : [[args[0], args[1]]];
    const hash = this.readOrCreate(key, isHash, () => new Map<string, string>());
    let added = 0;
    for (const [field, value] of pairs) {
      if (!hash.has(String(field))) added++;
      hash.set(String(field), String(value));
    }
    return added;
  }

  async hget(key: string, field: string): Promise<string | null> {
    return this.read(key, isHash)?.get(field) ?? null;
  }

  async hmget(key: string, ...fields: string[]): Promise<Array<string | null>> {
    const hash = this.read(key, isHash);
    return fields.map((field) => hash?.get(field) ?? null);
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    return Object.fromEntries(this.read(key, isHash) ?? []);
  }

  async hdel(key: string, ...fields: string[]): Promise<number> {
    const hash = this.read(key, isHash);
    const removed = fields.filter((field) => hash?.delete(field)).length;
    this.dropIfEmpty(key);
    return removed;
  }

  async hincrby(key: string, field: string, increment: number): Promise<number> {
    const hash = this.readOrCreate(key, isHash, () => new Map<string, string>());
    const next = Number(hash.get(field) ?? 0) + increment;
    hash.set(field, String(next));
    return next;
  }

  // ---- lists --------------------------------------------------------------------------------

  async rpush(key: string, ...values: Array<string | number>): Promise<number> {
    const list = this.readOrCreate(key, isList, () => [] as string[]);
    list.push(...values.map(String));
    return list.length;
  }

  async rpushx(key: string, ...values: Array<string | number>): Promise<number> {
    const list = this.read(key, isList);
    list?.push(...values.map(String));
    return list?.length ?? 0;
  }

  async rpop(key: string): Promise<string | null> {
    const popped = this.read(key, isList)?.pop() ?? null;
    this.dropIfEmpty(key);
    return popped;
  }

  async llen(key: string): Promise<number> {
    return this.read(key, isList)?.length ?? 0;
  }

  async lindex(key: string, index: number): Promise<string | null> {
    const list = this.read(key, isList) ?? [];
    return list[index < 0 ? list.length + index : index] ?? null;
  }

  async lrange(key: string, start: number, stop: number): Promise<string[]> {
    return slice(this.read(key, isList) ?? [], start, stop);
  }

  async lrangeBuffer(key: string, start: number, stop: number): Promise<Buffer[]> {
    return slice(this.read(key, isList) ?? [], start, stop).map((value) => Buffer.from(value));
  }

  async lset(key: string, index: number, value: string | number): Promise<'OK'> {
    const list = this.read(key, isList);
    if (!list) throw new Error('ERR no such key');
    const at = index < 0 ? list.length + index : index;
    if (at < 0 || at >= list.length) throw new Error('ERR index out of range');
    list[at] = String(value);
    return 'OK';
  }

  async ltrim(key: string, start: number, stop: number): Promise<'OK'> {
    const list = this.read(key, isList);
    if (list) list.splice(0, list.length, ...slice(list, start, stop));
    this.dropIfEmpty(key);
    return 'OK';
  }

  // ---- sorted sets --------------------------------------------------------------------------

  /** ZADD key [XX] score member [score member …]. */
  async zadd(key: string, ...args: Array<string | number>): Promise<number> {
    const xx = args[0] === 'XX';
    const scoreMembers = xx ? args.slice(1) : args;
    if (scoreMembers.length === 0 || scoreMembers.length % 2 !== 0) throw new Error('ERR syntax error');
    if (xx) {
      const existing = this.read(key, isSortedSet);
      for (let i = 0; i < scoreMembers.length; i += 2) {
        const member = String(scoreMembers[i + 1]);
        if (existing?.scores.has(member)) existing.scores.set(member, Number(scoreMembers[i]));
      }
      return 0;
    }
    const set = this.readOrCreate(key, isSortedSet, () => new SortedSet());
    let added = 0;
    for (let i = 0; i < scoreMembers.length; i += 2) {
      const member = String(scoreMembers[i + 1]);
      if (!set.scores.has(member)) added++;
      set.scores.set(member, Number(scoreMembers[i]));
    }
    return added;
  }

  async zrem(key: string, ...members: string[]): Promise<number> {
    const set = this.read(key, isSortedSet);
    const removed = members.filter((member) => set?.scores.delete(member)).length;
    this.dropIfEmpty(key);
    return removed;
  }

  async zcard(key: string): Promise<number> {
    return this.read(key, isSortedSet)?.scores.size ?? 0;
  }

  async zmscore(key: string, ...members: string[]): Promise<Array<string | null>> {
    const set = this.read(key, isSortedSet);
    return members.map((member) => {
      const score = set?.scores.get(member);
      return score === undefined ? null : String(score);
    });
  }

  async zrange(key: string, start: number, stop: number): Promise<string[]> {
    return slice((this.read(key, isSortedSet)?.descending() ?? []).reverse(), start, stop).map(([member]) => member);
  }

  async zrevrange(key: string, start: number, stop: number): Promise<string[]> {
    return slice(this.read(key, isSortedSet)?.descending() ?? [], start, stop).map(([member]) => member);
  }

  async zrevrangebyscore(
    key: string,
    max: number | string,
    min: number | string,
    _withScores: 'WITHSCORES',
    _limit: 'LIMIT',
    offset: number,
    count: number,
  ): Promise<string[]> {
    const [hi, lo] = [scoreBound(max), scoreBound(min)];
    const inRange = (this.read(key, isSortedSet)?.descending() ?? []).filter(
      ([, s]) => (lo.exclusive ? s > lo.value : s >= lo.value) && (hi.exclusive ? s < hi.value : s <= hi.value),
    );
    const page = inRange.slice(offset, count < 0 ? undefined : offset + count);
    return page.flatMap(([member, score]) => [member, String(score)]);
  }

  /** ZINTER numkeys key … AGGREGATE MAX WITHSCORES. */
  async zinter(numkeys: number, ...args: string[]): Promise<string[]> {
    const sets = args.slice(0, Number(numkeys)).map((key) => this.read(key, isSortedSet));
    if (sets.some((set) => set === undefined)) return [];
    const [smallest, ...others] = (sets as SortedSet[]).sort((a, b) => a.scores.size - b.scores.size);
    const out: Array<[string, number]> = [];
    for (const [member, score] of smallest.scores) {
      let best = score;
      let everywhere = true;
      for (const other of others) {
        const s = other.scores.get(member);
        if (s === undefined) {
          everywhere = false;
          break;
        }
        best = Math.max(best, s);
      }
      if (everywhere) out.push([member, best]);
    }
    out.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return out.flatMap(([member, score]) => [member, String(score)]);
  }

  async zrangebylex(key: string, min: string, max: string, _limit: 'LIMIT', offset: number, count: number): Promise<string[]> {
    const [lo, hi] = [lexBound(min), lexBound(max)];
    const inRange = [...(this.read(key, isSortedSet)?.scores.keys() ?? [])]
      .map((member) => [member, Buffer.from(member)] as const)
      .filter(([, bytes]) => lo(bytes, 1) && hi(bytes, -1))
      .sort((a, b) => Buffer.compare(a[1], b[1]))
      .map(([member]) => member);
    return inRange.slice(offset, count < 0 ? undefined : offset + count);
  }

  async zinterstore(destination: string, numkeys: number, ...keysAndOptions: string[]): Promise<number> {
    return this.combineInto(destination, 'inter', numkeys, keysAndOptions);
  }

  async zunionstore(destination: string, numkeys: number, ...keysAndOptions: string[]): Promise<number> {
    return this.combineInto(destination, 'union', numkeys, keysAndOptions);
  }

  private combineInto(destination: string, how: 'inter' | 'union', numkeys: number, args: string[]): number {
    const { keys, weights, aggregate } = parseCombine(Number(numkeys), args);
    const sets = keys.map((key) => this.read(key, isSortedSet)?.scores ?? new Map<string, number>());
    const result = new Map<string, number>();
    const smallest = [...sets].sort((a, b) => a.size - b.size)[0];
    const candidates = how === 'inter' ? [...(smallest?.keys() ?? [])] : [...new Set(sets.flatMap((s) => [...s.keys()]))];
    for (const member of candidates) {
      let score: number | undefined;
      let everywhere = true;
      sets.forEach((set, i) => {
        const value = set.get(member);
        if (value === undefined) {
          everywhere = false;
          return;
        }
        const weighted = value * weights[i];
        score = score === undefined ? weighted : aggregate(score, weighted);
      });
      if (how === 'union' || everywhere) result.set(member, score!);
    }
    this.db.data.delete(destination);
    if (result.size === 0) return 0;
    const set = new SortedSet();
    result.forEach((score, member) => set.scores.set(member, score));
    this.db.data.set(destination, { value: set });
    return result.size;
  }

  // ---- locks (Lua scripts on Redis: store-scripts.ts) ----------------------------------------

  async releaseLock(key: string, token: string): Promise<number> {
    if (this.read(key, isString) !== token) return 0;
    this.db.data.delete(key);
    return 1;
  }

  async extendLock(key: string, token: string, milliseconds: number): Promise<number> {
    return this.read(key, isString) === token ? this.setExpiry(key, milliseconds) : 0;
  }

  /** Extends the token's lock (1); takes it again when it has gone (2); leaves another's alone (0). */
  async renewLock(key: string, token: string, milliseconds: number): Promise<number> {
    const current = this.read(key, isString);
    if (current === token) return this.setExpiry(key, milliseconds);
    if (current !== undefined) return 0;
    this.db.data.set(key, { value: token, expiresAt: this.db.now() + milliseconds });
    return 2;
  }

  /** HSET on an existing hash whose `field` holds `expected` (a Lua script on Redis). */
  async hsetIfField(key: string, field: string, expected: string, ...fieldValues: string[]): Promise<number> {
    const hash = this.read(key, isHash);
    if (hash?.get(field) !== expected) return 0;
    for (let i = 0; i + 1 < fieldValues.length; i += 2) hash.set(String(fieldValues[i]), String(fieldValues[i + 1]));
    return 1;
  }

  /** The search index's bulk write (store.ts); the ZADDs and RPUSH it makes are not logged on their own. */
  async indexTerms(vocabulary: string, words: string, sessions: string, termPrefix: string, sessionId: string, now: number, ...groups: Array<string | number>): Promise<number> {
    const terms: string[] = [];
    for (let i = 0; i < groups.length; ) {
      const [score, count] = [Number(groups[i]), Number(groups[i + 1])];
      for (const term of groups.slice(i + 2, i + 2 + count).map(String)) {
        void this.zadd(termPrefix + term, score, sessionId);
        terms.push(term);
      }
      i += 2 + count;
    }
    if (terms.length > 0) {
      void this.zadd(vocabulary, ...terms.flatMap((t) => [0, t]));
      void this.rpush(words, ...terms);
    }
    void this.zadd(sessions, Number(now), sessionId);
    return terms.length;
  }

  // ---- streams ------------------------------------------------------------------------------

  /** XADD key MAXLEN ~ n id field value [field value ...]; trims exactly (Redis' `~` may keep more). */
  async xadd(key: string, _maxLen: 'MAXLEN', _approx: '~', threshold: number, id: string, ...fieldValues: string[]): Promise<string> {
    const log = this.readOrCreate(key, isStream, () => new StreamLog());
    let next: StreamId;
    if (id === '*') {
      const now = this.db.now();
      next = now > log.last[0] ? [now, 0] : [log.last[0], log.last[1] + 1];
    } else {
      next = parseStreamId(id);
      if (compareStreamIds(next, log.last) <= 0) {
        throw new Error('ERR The ID specified in XADD is equal or smaller than the target stream top item');
      }
    }
    log.last = next;
    const text = `${next[0]}-${next[1]}`;
    log.entries.push([text, fieldValues.map(String)]);
    if (log.entries.length > threshold) log.entries.splice(0, log.entries.length - threshold);
    return text;
  }

  /** XRANGE key start end COUNT n; `-`, `+`, and `(id` (exclusive) as in Redis 6.2+. */
  async xrange(key: string, start: string, end: string, _count: 'COUNT', count: number): Promise<Array<[string, string[]]>> {
    const lo = streamBound(start, 0);
    const hi = streamBound(end, Infinity);
    const out: Array<[string, string[]]> = [];
    for (const [id, fields] of this.read(key, isStream)?.entries ?? []) {
      if (out.length >= count) break;
      const at = parseStreamId(id);
      const fromLo = compareStreamIds(at, lo.id);
      const toHi = compareStreamIds(at, hi.id);
      if ((lo.exclusive ? fromLo > 0 : fromLo >= 0) && (hi.exclusive ? toHi < 0 : toHi <= 0)) out.push([id, [...fields]]);
    }
    return out;
  }

  /** XREVRANGE key end start COUNT n: newest first. */
  async xrevrange(key: string, end: string, start: string, _count: 'COUNT', count: number): Promise<Array<[string, string[]]>> {
    return (await this.xrange(key, start, end, 'COUNT', Infinity)).reverse().slice(0, count);
  }

  // ---- pub/sub ------------------------------------------------------------------------------

  async publish(channel: string, message: string): Promise<number> {
    this.db.bus.emit('publish', channel, message);
    return 1;
  }

  async subscribe(...channels: string[]): Promise<number> {
    for (const channel of channels) this.channels.add(channel);
    return this.channels.size;
  }

  async unsubscribe(...channels: string[]): Promise<number> {
    for (const channel of channels) this.channels.delete(channel);
    return this.channels.size;
  }
}

/** Every command of StoreCommands; the check below fails to compile when one is missing. */
const COMMANDS = [
  'del', 'exists', 'expire', 'pexpire', 'pttl', 'persist', 'type',
  'get', 'set', 'incr', 'incrby',
  'hset', 'hget', 'hmget', 'hgetall', 'hdel', 'hincrby',
  'rpush', 'rpushx', 'rpop', 'llen', 'lindex', 'lrange', 'lrangeBuffer', 'ltrim', 'lset',
  'zadd', 'zrem', 'zcard', 'zmscore', 'zrange', 'zrevrange', 'zrevrangebyscore', 'zinter', 'zrangebylex', 'zinterstore', 'zunionstore',
  'xadd', 'xrange', 'xrevrange',
  'releaseLock', 'extendLock', 'renewLock', 'hsetIfField', 'indexTerms',
] as const satisfies ReadonlyArray<keyof StoreCommands<false>>;
const allCommandsListed: Exclude<keyof StoreCommands<false>, (typeof COMMANDS)[number]> extends never ? true : never = true;
void allCommandsListed;

/**
 * The commands that change data: the embedded store's persistence logs exactly these (before they
 * run) and replays them on start. Every command must be in WRITES or READS (checked below), so a
 * new write command cannot be forgotten by the log.
 */
export const WRITES = [
  'del', 'expire', 'pexpire', 'persist', 'set', 'incr', 'incrby', 'hset', 'hdel', 'hincrby',
  'rpush', 'rpushx', 'rpop', 'ltrim', 'lset', 'zadd', 'zrem', 'zinterstore', 'zunionstore', 'xadd', 'releaseLock', 'extendLock', 'renewLock', 'hsetIfField', 'indexTerms',
] as const satisfies ReadonlyArray<(typeof COMMANDS)[number]>;
const READS = [
  'exists', 'pttl', 'type', 'get', 'hget', 'hmget', 'hgetall', 'llen', 'lindex', 'lrange', 'lrangeBuffer',
  'zcard', 'zmscore', 'zrange', 'zrevrange', 'zrevrangebyscore', 'zinter', 'zrangebylex', 'xrange', 'xrevrange',
] as const satisfies ReadonlyArray<(typeof COMMANDS)[number]>;
export type WriteCommand = (typeof WRITES)[number];
const allCommandsSorted: Exclude<(typeof COMMANDS)[number], WriteCommand | (typeof READS)[number]> extends never ? true : never = true;
void allCommandsSorted;

type Command = (...args: unknown[]) => Promise<unknown>;

/** Set while a write runs, so one that calls another (INCR → INCRBY) is reported once. */
let inWrite = false;

// The one place writes are reported (before the transaction below captures the commands). Every
// command changes data synchronously, so the flag covers exactly the nested calls.
for (const name of WRITES) {
  const command = MemoryRedis.prototype[name] as Command;
  Object.defineProperty(MemoryRedis.prototype, name, {
    value(this: MemoryRedis, ...args: unknown[]) {
      if (inWrite) return command.apply(this, args);
      this.db.onWrite?.(name, args);
      inWrite = true;
      try {
        return command.apply(this, args);
      } finally {
        inWrite = false;
      }
    },
    writable: true,
    configurable: true,
  });
}

/** multi() and pipeline() of the embedded store: commands queued, then run in one go. */
class MemoryTransaction {
  private readonly queue: Array<[Command, unknown[]]> = [];

  constructor(private readonly store: MemoryRedis) {}

  async exec(): Promise<StoreReplies> {
    // Every command takes effect when called, so this loop runs the queue without interleaving.
    const db = this.store.db;
    db.onTransaction?.('begin');
    let running: Array<Promise<unknown>>;
    try {
      running = this.queue.map(([command, args]) => command.apply(this.store, args));
    } finally {
      db.onTransaction?.('end');
    }
    const settled = await Promise.allSettled(running);
    return settled.map((r): [Error | null, unknown] => (r.status === 'fulfilled' ? [null, r.value] : [r.reason as Error, null]));
  }
}

for (const name of COMMANDS) {
  const command = MemoryRedis.prototype[name] as Command;
  Object.defineProperty(MemoryTransaction.prototype, name, {
    value(this: { queue: Array<[Command, unknown[]]> }, ...args: unknown[]) {
      this.queue.push([command, args]);
      return this;
    },
  });
}

// The prototype loop above gives MemoryTransaction every queued command.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
interface MemoryTransaction extends StoreTransaction {}
