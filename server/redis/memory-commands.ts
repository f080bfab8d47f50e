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

/**
 * The embedded store's commands, run synchronously on its data: each changes the data before it
 * returns and throws Redis' error where Redis would answer one. MemoryRedis (memory-redis.ts) serves
 * them with ioredis' promise replies; a log being replayed on start calls them directly (no promise
 * per command).
 */
export class MemoryCommands {
  constructor(readonly db: Database) {}

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

  del(...keys: string[]): number {
    return keys.filter((key) => this.entry(key) !== undefined && this.db.data.delete(key)).length;
  }

  exists(...keys: string[]): number {
    return keys.filter((key) => this.entry(key) !== undefined).length;
  }

  expire(key: string, seconds: number, condition?: 'XX'): number {
    return this.setExpiry(key, seconds * 1000, condition);
  }

  pexpire(key: string, milliseconds: number, condition?: 'NX'): number {
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

  persist(key: string): number {
    const entry = this.entry(key);
    if (entry?.expiresAt === undefined) return 0;
    delete entry.expiresAt;
    return 1;
  }

  pttl(key: string): number {
    const entry = this.entry(key);
    if (!entry) return -2;
    return entry.expiresAt === undefined ? -1 : Math.max(0, entry.expiresAt - this.db.now());
  }

  type(key: string): string {
    const value = this.entry(key)?.value;
    if (value === undefined) return 'none';
    if (isStream(value)) return 'stream';
    return isString(value) ? 'string' : isHash(value) ? 'hash' : isList(value) ? 'list' : 'zset';
  }

  // ---- strings ------------------------------------------------------------------------------

  get(key: string): string | null {
    return this.read(key, isString) ?? null;
  }

  /** SET key value [PX ms | KEEPTTL] [NX | XX]: the forms the app sends. */
  set(key: string, value: string | number, ...options: Array<string | number>): 'OK' | null {
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

  append(key: string, value: string | number): number {
    const entry = this.entry(key);
    if (entry && !isString(entry.value)) throw new WrongTypeError();
    const next = (entry ? (entry.value as string) : '') + String(value);
    if (entry) entry.value = next;
    else this.db.data.set(key, { value: next });
    return Buffer.byteLength(next);
  }

  /** GETRANGE in bytes, as Redis counts them. */
  getrange(key: string, start: number, end: number): string {
    const bytes = Buffer.from(this.read(key, isString) ?? '');
    const n = bytes.length;
    const from = Math.max(start < 0 ? n + start : start, 0);
    const to = Math.min(end < 0 ? n + end : end, n - 1);
    return from > to ? '' : bytes.subarray(from, to + 1).toString();
  }

  /** SETRANGE in bytes, padding with zero bytes as Redis does. */
  setrange(key: string, offset: number, value: string | number): number {
    const entry = this.entry(key);
    if (entry && !isString(entry.value)) throw new WrongTypeError();
    const old = Buffer.from(entry ? (entry.value as string) : '');
    const add = Buffer.from(String(value));
    const next = Buffer.alloc(Math.max(old.length, offset + add.length));
    old.copy(next);
    add.copy(next, offset);
    if (entry) entry.value = next.toString();
    else this.db.data.set(key, { value: next.toString() });
    return next.length;
  }

  strlen(key: string): number {
    return Buffer.byteLength(this.read(key, isString) ?? '');
  }

  incr(key: string): number {
    return this.incrby(key, 1);
  }

  /** Keeps the key's TTL, as Redis does. */
  incrby(key: string, increment: number): number {
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

  /** HSET key field value, or key and the fields as an object or a Map (as ioredis takes them). */
  hset(key: string, ...args: Array<string | number | Record<string, string | number> | Map<string, string | number>>): number {
    const first = args[0];
    const pairs = first instanceof Map ? first : typeof first === 'object' ? Object.entries(first) : [[first, args[1]]];
    const hash = this.readOrCreate(key, isHash, () => new Map<string, string>());
    const before = hash.size;
    for (const [field, value] of pairs) hash.set(String(field), String(value));
    return hash.size - before;
  }

  hget(key: string, field: string): string | null {
    return this.read(key, isHash)?.get(field) ?? null;
  }

  hmget(key: string, ...fields: string[]): Array<string | null> {
    const hash = this.read(key, isHash);
    return fields.map((field) => hash?.get(field) ?? null);
  }

  hgetall(key: string): Record<string, string> {
    return Object.fromEntries(this.read(key, isHash) ?? []);
  }

  hdel(key: string, ...fields: string[]): number {
    const hash = this.read(key, isHash);
    const removed = fields.filter((field) => hash?.delete(field)).length;
    this.dropIfEmpty(key);
    return removed;
  }

  hincrby(key: string, field: string, increment: number): number {
    const hash = this.readOrCreate(key, isHash, () => new Map<string, string>());
    const next = Number(hash.get(field) ?? 0) + increment;
    hash.set(field, String(next));
    return next;
  }

  // ---- lists --------------------------------------------------------------------------------

  rpush(key: string, ...values: Array<string | number>): number {
    const list = this.readOrCreate(key, isList, () => [] as string[]);
    list.push(...values.map(String));
    return list.length;
  }

  rpushx(key: string, ...values: Array<string | number>): number {
    const list = this.read(key, isList);
    list?.push(...values.map(String));
    return list?.length ?? 0;
  }

  rpop(key: string): string | null {
    const popped = this.read(key, isList)?.pop() ?? null;
    this.dropIfEmpty(key);
    return popped;
  }

  llen(key: string): number {
    return this.read(key, isList)?.length ?? 0;
  }

  lindex(key: string, index: number): string | null {
    const list = this.read(key, isList) ?? [];
    return list[index < 0 ? list.length + index : index] ?? null;
  }

  lrange(key: string, start: number, stop: number): string[] {
    return slice(this.read(key, isList) ?? [], start, stop);
  }

  /** The history page read (store.ts; a Lua script on Redis), with Redis' replies as Buffers. */
  historyPageBuffer(list: string, hash: string, start: number, stop: number, ...fields: string[]): [number, Buffer[], Array<Buffer | null>] {
    const entries = this.read(list, isList) ?? [];
    const values = this.hmget(hash, ...fields);
    return [entries.length, slice(entries, start, stop).map((value) => Buffer.from(value)), values.map((value) => (value === null ? null : Buffer.from(value)))];
  }

  lset(key: string, index: number, value: string | number): 'OK' {
    const list = this.read(key, isList);
    if (!list) throw new Error('ERR no such key');
    const at = index < 0 ? list.length + index : index;
    if (at < 0 || at >= list.length) throw new Error('ERR index out of range');
    list[at] = String(value);
    return 'OK';
  }

  ltrim(key: string, start: number, stop: number): 'OK' {
    const list = this.read(key, isList);
    if (list) list.splice(0, list.length, ...slice(list, start, stop));
    this.dropIfEmpty(key);
    return 'OK';
  }

  // ---- sorted sets --------------------------------------------------------------------------

  /** ZADD key [XX] score member [score member …]. */
  zadd(key: string, ...args: Array<string | number>): number {
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

  zrem(key: string, ...members: string[]): number {
    const set = this.read(key, isSortedSet);
    const removed = members.filter((member) => set?.scores.delete(member)).length;
    this.dropIfEmpty(key);
    return removed;
  }

  zcard(key: string): number {
    return this.read(key, isSortedSet)?.scores.size ?? 0;
  }

  zmscore(key: string, ...members: string[]): Array<string | null> {
    const set = this.read(key, isSortedSet);
    return members.map((member) => {
      const score = set?.scores.get(member);
      return score === undefined ? null : String(score);
    });
  }

  zrange(key: string, start: number, stop: number): string[] {
    return slice((this.read(key, isSortedSet)?.descending() ?? []).reverse(), start, stop).map(([member]) => member);
  }

  zrevrange(key: string, start: number, stop: number): string[] {
    return slice(this.read(key, isSortedSet)?.descending() ?? [], start, stop).map(([member]) => member);
  }

  zrevrangebyscore(
    key: string,
    max: number | string,
    min: number | string,
    _withScores: 'WITHSCORES',
    _limit: 'LIMIT',
    offset: number,
    count: number,
  ): string[] {
    const [hi, lo] = [scoreBound(max), scoreBound(min)];
    const inRange = (this.read(key, isSortedSet)?.descending() ?? []).filter(
      ([, s]) => (lo.exclusive ? s > lo.value : s >= lo.value) && (hi.exclusive ? s < hi.value : s <= hi.value),
    );
    const page = inRange.slice(offset, count < 0 ? undefined : offset + count);
    return page.flatMap(([member, score]) => [member, String(score)]);
  }

  /** ZINTER numkeys key … AGGREGATE MAX WITHSCORES. */
  zinter(numkeys: number, ...args: string[]): string[] {
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

  zrangebylex(key: string, min: string, max: string, _limit: 'LIMIT', offset: number, count: number): string[] {
    const [lo, hi] = [lexBound(min), lexBound(max)];
    const inRange = [...(this.read(key, isSortedSet)?.scores.keys() ?? [])]
      .map((member) => [member, Buffer.from(member)] as const)
      .filter(([, bytes]) => lo(bytes, 1) && hi(bytes, -1))
      .sort((a, b) => Buffer.compare(a[1], b[1]))
      .map(([member]) => member);
    return inRange.slice(offset, count < 0 ? undefined : offset + count);
  }

  zinterstore(destination: string, numkeys: number, ...keysAndOptions: string[]): number {
    return this.combineInto(destination, 'inter', numkeys, keysAndOptions);
  }

  zunionstore(destination: string, numkeys: number, ...keysAndOptions: string[]): number {
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

  releaseLock(key: string, token: string): number {
    if (this.read(key, isString) !== token) return 0;
    this.db.data.delete(key);
    return 1;
  }

  extendLock(key: string, token: string, milliseconds: number): number {
    return this.read(key, isString) === token ? this.setExpiry(key, milliseconds) : 0;
  }

  /** Extends the token's lock (1); takes it again when it has gone (2); leaves another's alone (0). */
  renewLock(key: string, token: string, milliseconds: number): number {
    const current = this.read(key, isString);
    if (current === token) return this.setExpiry(key, milliseconds);
    if (current !== undefined) return 0;
    this.db.data.set(key, { value: token, expiresAt: this.db.now() + milliseconds });
    return 2;
  }

  /** HSET on an existing hash whose `field` holds `expected` (a Lua script on Redis). */
  hsetIfField(key: string, field: string, expected: string, ...fieldValues: string[]): number {
    const hash = this.read(key, isHash);
    if (hash?.get(field) !== expected) return 0;
    for (let i = 0; i + 1 < fieldValues.length; i += 2) hash.set(String(fieldValues[i]), String(fieldValues[i + 1]));
    return 1;
  }

  // ---- streams ------------------------------------------------------------------------------

  /** XADD key MAXLEN ~ n id field value [field value ...]; trims exactly (Redis' `~` may keep more). */
  /** The search index's bulk write (store.ts); the ZADDs and RPUSH it makes are not logged on their own. */
  indexTerms(vocabulary: string, words: string, sessions: string, titleTerms: string, termPrefix: string, sessionId: string, now: number, ...groups: Array<string | number>): number {
    const title = new Set((this.read(titleTerms, isString) ?? '').split(' ').filter(Boolean));
    const added: string[] = [];
    for (let i = 0; i < groups.length; ) {
      const [score, count] = [Number(groups[i]), Number(groups[i + 1])];
      for (const term of groups.slice(i + 2, i + 2 + count).map(String)) {
        if (this.zadd(termPrefix + term, score, sessionId) === 1 || title.has(term)) added.push(term);
      }
      i += 2 + count;
    }
    if (added.length > 0) {
      this.rpush(words, ...added);
      const known = this.zmscore(vocabulary, ...added);
      const fresh = added.filter((_t, i) => known[i] === null);
      if (fresh.length > 0) this.zadd(vocabulary, ...fresh.flatMap((t) => [0, t]));
    }
    this.zadd(sessions, Number(now), sessionId);
    return added.length;
  }

  xadd(key: string, _maxLen: 'MAXLEN', _approx: '~', threshold: number, id: string, ...fieldValues: string[]): string {
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
  xrange(key: string, start: string, end: string, _count: 'COUNT', count: number): Array<[string, string[]]> {
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
  xrevrange(key: string, end: string, start: string, _count: 'COUNT', count: number): Array<[string, string[]]> {
    return this.xrange(key, start, end, 'COUNT', Infinity).reverse().slice(0, count);
  }
}

/** A stream range bound: `-`, `+`, `id`, `(id` (exclusive); an id without seq takes `missingSeq`. */
function streamBound(text: string, missingSeq: number): { id: StreamId; exclusive: boolean } {
  if (text === '-') return { id: [0, 0], exclusive: false };
  if (text === '+') return { id: [Infinity, Infinity], exclusive: false };
  const exclusive = text.startsWith('(');
  return { id: parseStreamId(exclusive ? text.slice(1) : text, missingSeq), exclusive };
}
