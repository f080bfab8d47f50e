import type Redis from 'ioredis';
import type { StoreCluster } from './redis-clients';
import type { MemoryRedis } from './memory-redis';
import type {} from './store-scripts';

/**
 * The store as repositories see it: the Redis commands nono-chat uses, in ioredis' call shapes and
 * replies. ioredis' `Redis` (one server or via Sentinels), its `Cluster` (as StoreCluster, whose duplicate()
 * takes a single client's options) and the embedded `MemoryRedis` all satisfy it (the compiler checks
 * them at the end of this file), so repositories never know which one they got.
 *
 * To use another command: declare it in its data type's group below (the shape ioredis gives it),
 * then implement it in memory-commands.ts, list it in memory-redis.ts in WRITES (the embedded store's disk log
 * records and replays these) or READS (the compiler lists what is missing), and cover it in
 * test/store-contract.spec.ts, which runs against both stores.
 */

/** A command's result: its reply from the store, or, queued in a transaction, the transaction (to chain). */
type Out<Queued extends boolean, T> = Queued extends true ? StoreTransaction : Promise<T>;

type Value = string | number;

export interface KeyCommands<Q extends boolean> {
  del(...keys: string[]): Out<Q, number>;
  exists(...keys: string[]): Out<Q, number>;
  /** `XX`: only where a TTL is already set (a persisted key keeps none). */
  expire(key: string, seconds: number): Out<Q, number>;
  expire(key: string, seconds: number, condition: 'XX'): Out<Q, number>;
  pexpire(key: string, milliseconds: number): Out<Q, number>;
  /** `NX`: only where no TTL is set yet. */
  pexpire(key: string, milliseconds: number, condition: 'NX'): Out<Q, number>;
  /** Milliseconds left; -1 without a TTL, -2 without the key. */
  pttl(key: string): Out<Q, number>;
  persist(key: string): Out<Q, number>;
  /** 'string', 'hash', 'list', 'zset', 'set', 'stream', or 'none' without the key. */
  type(key: string): Out<Q, string>;
}

export interface StringCommands<Q extends boolean> {
  get(key: string): Out<Q, string | null>;
  set(key: string, value: Value): Out<Q, 'OK' | null>;
  set(key: string, value: Value, nx: 'NX'): Out<Q, 'OK' | null>;
  set(key: string, value: Value, px: 'PX', milliseconds: number): Out<Q, 'OK' | null>;
  set(key: string, value: Value, px: 'PX', milliseconds: number, nx: 'NX'): Out<Q, 'OK' | null>;
  /** Replaces the value of an existing key only, keeping its TTL. */
  set(key: string, value: Value, keepTtl: 'KEEPTTL', xx: 'XX'): Out<Q, 'OK' | null>;
  /** Appends to the string (made when missing); its length in bytes after. */
  append(key: string, value: Value): Out<Q, number>;
  /** The string's bytes `start`..`end` (inclusive; negative from the end; '' when missing). */
  getrange(key: string, start: number, end: number): Out<Q, string>;
  /** The string's length in bytes (0 when missing). */
  strlen(key: string): Out<Q, number>;
  /** Overwrites the string from byte `offset` on (made when missing, zero bytes before it); its length after. */
  setrange(key: string, offset: number, value: Value): Out<Q, number>;
}

export interface CounterCommands<Q extends boolean> {
  incr(key: string): Out<Q, number>;
  incrby(key: string, increment: number): Out<Q, number>;
}

export interface HashCommands<Q extends boolean> {
  hset(key: string, fields: Record<string, Value>): Out<Q, number>;
  hset(key: string, field: string, value: Value): Out<Q, number>;
  hget(key: string, field: string): Out<Q, string | null>;
  hmget(key: string, ...fields: string[]): Out<Q, Array<string | null>>;
  /** The whole hash as an object ({} when there is none). */
  hgetall(key: string): Out<Q, Record<string, string>>;
  hdel(key: string, ...fields: string[]): Out<Q, number>;
  hincrby(key: string, field: string, increment: number): Out<Q, number>;
}

export interface ListCommands<Q extends boolean> {
  rpush(key: string, ...values: Value[]): Out<Q, number>;
  /** RPUSH only onto an existing list (0 when there is none). */
  rpushx(key: string, ...values: Value[]): Out<Q, number>;
  rpop(key: string): Out<Q, string | null>;
  llen(key: string): Out<Q, number>;
  lindex(key: string, index: number): Out<Q, string | null>;
  lrange(key: string, start: number, stop: number): Out<Q, string[]>;
  ltrim(key: string, start: number, stop: number): Out<Q, 'OK'>;
  /** Replaces the element at `index` (negative: from the end); an error when the list or index does not exist. */
  lset(key: string, index: number, value: Value): Out<Q, 'OK'>;
}

export interface SortedSetCommands<Q extends boolean> {
  zadd(key: string, score: number, member: string): Out<Q, number>;
  /** `XX`: only updates the score of a member already there (never adds one); 0. */
  zadd(key: string, xx: 'XX', score: number, member: string): Out<Q, number>;
  /** Several members at once: score, member, score, member, … */
  zadd(key: string, ...scoreMembers: Value[]): Out<Q, number>;
  zrem(key: string, ...members: string[]): Out<Q, number>;
  zcard(key: string): Out<Q, number>;
  /** Each member's score (as ioredis gives it, a string), null where the member or the key is missing. */
  zmscore(key: string, ...members: string[]): Out<Q, Array<string | null>>;
  /** Lowest score first. */
  zrange(key: string, start: number, stop: number): Out<Q, string[]>;
  zrevrange(key: string, start: number, stop: number): Out<Q, string[]>;
  /** Members and scores, flat: [member, score, member, score, …]. `max`/`min`: a number, `(n` (exclusive), `+inf`, `-inf`. */
  zrevrangebyscore(
    key: string,
    max: number | string,
    min: number | string,
    withScores: 'WITHSCORES',
    limit: 'LIMIT',
    offset: number,
    count: number,
  ): Out<Q, string[]>;
  /**
   * Members present in every one of the `numkeys` sorted sets, each with the highest of its scores,
   * lowest first, flat: [member, score, …]. Cost: the smallest set's size times the number of sets.
   */
  zinter(...args: [numkeys: number, ...keys: string[], aggregate: 'AGGREGATE', max: 'MAX', withScores: 'WITHSCORES']): Out<Q, string[]>;
  /**
   * Members between two bounds in byte order, for a set whose members all share one score: `[a`
   * (inclusive), `(a` (exclusive), `-`, `+`.
   */
  zrangebylex(key: string, min: string, max: string, limit: 'LIMIT', offset: number, count: number): Out<Q, string[]>;
  /**
   * Stores at `destination` the members of every one (inter) or any (union) of `numkeys` sorted
   * sets, then optional `WEIGHTS w…` (score multipliers, one per key) and `AGGREGATE SUM|MIN|MAX`
   * (default SUM); the number of members stored. An empty result deletes `destination`.
   */
  zinterstore(destination: string, numkeys: number, ...keysAndOptions: string[]): Out<Q, number>;
  zunionstore(destination: string, numkeys: number, ...keysAndOptions: string[]): Out<Q, number>;
}

export interface StreamCommands<Q extends boolean> {
  /** Appends an entry (`id`: "ms-seq", or `*`), keeping about `threshold` entries; its id. */
  xadd(key: string, maxLen: 'MAXLEN', approximately: '~', threshold: number, id: string, ...fieldValues: string[]): Out<Q, string | null>;
  /** Entries from `start` to `end` (`-`, `+`, an id, `(id` exclusive), oldest first: [id, [field, value, …]]. */
  xrange(key: string, start: string, end: string, countToken: 'COUNT', count: number): Out<Q, Array<[id: string, fields: string[]]>>;
  /** As xrange, newest first (`end` first). */
  xrevrange(key: string, end: string, start: string, countToken: 'COUNT', count: number): Out<Q, Array<[id: string, fields: string[]]>>;
}

/**
 * Operations that check and change a key in one atomic step. On Redis they are Lua scripts
 * registered with ioredis' defineCommand (store-scripts.ts); the embedded store runs the same
 * operation natively under the same name.
 */
export interface LockCommands<Q extends boolean> {
  /** Deletes `key` if it still holds `token`: 1 when deleted, else 0. */
  releaseLock(key: string, token: string): Out<Q, number>;
  /** Sets `key`'s TTL if it still holds `token`: 1 when extended, else 0. */
  extendLock(key: string, token: string, milliseconds: number): Out<Q, number>;
  /**
   * Extends `key`'s TTL if it holds `token` (1); sets it to `token` again when it has gone, e.g.
   * expired while Redis was away (2); leaves another token's key alone (0).
   */
  renewLock(key: string, token: string, milliseconds: number): Out<Q, number>;
  /**
   * HSETs `fieldValues` (field, value, …) on an existing hash whose `field` holds `expected`: 1 when
   * set, else 0 (hash gone or field changed meanwhile).
   */
  hsetIfField(key: string, field: string, expected: string, ...fieldValues: string[]): Out<Q, number>;
}

/** Writes of the search index that would otherwise repeat long key names per term. */
export interface SearchIndexCommands<Q extends boolean> {
  /**
   * Adds `sessionId` to the sorted set `termPrefix + term` of each term in `groups` (score, count,
   * that many terms; score, count, terms; …; a term's score replaced when the session was there
   * already), and `sessionId` to the sorted set `sessions` with score `now`. The terms the session
   * was not in the set of yet, or was there by its title alone (the space-separated terms of the
   * string `titleTerms`), are pushed on the list `words`; those of them missing from the sorted
   * set `vocabulary` are added to it (score 0). Returns the number of terms pushed on `words`.
   * One command however many terms (a Lua script on Redis; all the keys it derives share the
   * declared keys' hash slot).
   */
  indexTerms(vocabulary: string, words: string, sessions: string, titleTerms: string, termPrefix: string, sessionId: string, now: number, ...groups: Value[]): Out<Q, number>;
}

/** historyPageBuffer's reply: the list's length, its entries start..stop, the hash's fields (null where absent). */
export type HistoryPageReply = [length: number, entries: Buffer[], fields: Array<Buffer | null>];

/** The hottest read, in one command instead of a transaction (see SessionsRepository.readPage). */
export interface HistoryCommands<Q extends boolean> {
  /**
   * LLEN `list`, LRANGE `list` `start` `stop` and HMGET `hash` `fields`, read at one instant, with
   * every bulk reply as a Buffer (entries are sent on as they are, never decoded). One command
   * (a Lua script on Redis; `list` and `hash` share a hash slot) costs the client about half what
   * the same three in a MULTI cost.
   */
  historyPageBuffer(list: string, hash: string, start: number, stop: number, ...fields: string[]): Out<Q, HistoryPageReply>;
}

/** Every data command, callable directly on the store or queued in a transaction. */
export interface StoreCommands<Q extends boolean>
  extends KeyCommands<Q>,
    StringCommands<Q>,
    CounterCommands<Q>,
    HashCommands<Q>,
    ListCommands<Q>,
    SortedSetCommands<Q>,
    StreamCommands<Q>,
    LockCommands<Q>,
    SearchIndexCommands<Q>,
    HistoryCommands<Q> {}

/** A reply per queued command, in order: [error, reply]. Null when the transaction was aborted. */
export type StoreReplies = Array<[error: Error | null, reply: unknown]> | null;

/**
 * Commands queued by multi() (MULTI … EXEC: nothing else runs in between) or pipeline() (sent
 * together, not atomic), run by exec().
 */
export interface StoreTransaction extends StoreCommands<true> {
  /**
   * A message on `channel` once EXEC runs, after the commands queued before it: whoever hears it
   * finds their effects (and nothing is announced when the transaction does not run).
   */
  publish(channel: string, message: string): StoreTransaction;
  exec(): Promise<StoreReplies>;
}

/** Options for a second connection; the embedded store has no connection and ignores them. */
export interface DuplicateOptions {
  enableOfflineQueue?: boolean;
  maxRetriesPerRequest?: number | null;
  /** Per-command reply timeout (ms); undefined: none. */
  commandTimeout?: number;
}

export interface Store extends StoreCommands<false> {
  /**
   * One step of iterating the keyspace: pass '0' first, then the cursor returned, until it is '0'
   * again. Every key present for the whole iteration is returned at least once. Admin commands
   * (backup) only: a request path never scans.
   */
  scan(cursor: string, match: 'MATCH', pattern: string, count: 'COUNT', hint: number): Promise<[cursor: string, keys: string[]]>;
  multi(): StoreTransaction;
  pipeline(): StoreTransaction;

  publish(channel: string, message: string): Promise<number>;
  /** A subscribed connection can do nothing else, so subscribers use a duplicate. */
  duplicate(options?: DuplicateOptions): Store;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  /** The connection dropped ('close') or is usable again ('ready'); the embedded store never drops. */
  on(event: 'close' | 'ready', listener: () => void): this;

  ping(): Promise<string>;
  quit(): Promise<'OK'>;
  disconnect(): void;
}

/** The replies of an exec(), in order; throws the first failed command's error, or when aborted. */
export function repliesOf(replies: StoreReplies): unknown[] {
  if (!replies) throw new Error('The store aborted the transaction');
  return replies.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}

/** Every store is a Store (a compile-time check; nothing at run time). */
type IsStore<T extends Store> = T;
export type CheckedStores = [IsStore<Redis>, IsStore<StoreCluster>, IsStore<MemoryRedis>];
