import { EventEmitter } from 'node:events';
import { MemoryCommands } from './memory-commands';
import { Database } from './memory-data';
import type { DuplicateOptions, Store, StoreCommands, StoreReplies, StoreTransaction } from './store';

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

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** A class body keeps its ranges (a-z); only characters special inside a RegExp class are escaped. */
const escapeClass = (text: string) => text.replace(/[\]\\^]/g, '\\$&');

/**
 * The embedded store: the Store commands (store.ts) in process, with ioredis' replies. It lets
 * `npm start` work with nothing else installed. Data lives in this process; embedded-persistence.ts
 * keeps it on disk (DATA_DIR) by logging the WRITES below. The contract tests run every repository
 * against both this and a real Redis.
 *
 * The commands themselves are MemoryCommands (memory-commands.ts), synchronous: each changes the
 * data before its promise settles, so commands queued in a transaction run back to back with
 * nothing interleaved: MULTI is atomic here too.
 */
export class MemoryRedis extends EventEmitter implements Store {
  /** Shared with duplicates; the persistence layer reads and restores it. */
  readonly db: Database;
  /** The commands on this data, synchronous (a log being replayed calls them directly). */
  readonly commands: MemoryCommands;
  private readonly channels = new Set<string>();
  private open = true;
  private readonly onBus = (channel: string, message: string) => {
    if (this.channels.has(channel)) this.emit('message', channel, message);
  };

  constructor(db = new Database()) {
    super();
    this.db = db;
    this.commands = new MemoryCommands(db);
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
  'get', 'set', 'append', 'setrange', 'getrange', 'strlen', 'incr', 'incrby',
  'hset', 'hget', 'hmget', 'hgetall', 'hdel', 'hincrby',
  'rpush', 'rpushx', 'rpop', 'llen', 'lindex', 'lrange', 'ltrim', 'lset',
  'zadd', 'zrem', 'zcard', 'zmscore', 'zrange', 'zrevrange', 'zrevrangebyscore', 'zinter', 'zrangebylex', 'zinterstore', 'zunionstore',
  'xadd', 'xrange', 'xrevrange',
  'releaseLock', 'extendLock', 'renewLock', 'hsetIfField', 'indexTerms', 'historyPageBuffer',
] as const satisfies ReadonlyArray<keyof StoreCommands<false> & keyof MemoryCommands>;
const allCommandsListed: Exclude<keyof StoreCommands<false>, (typeof COMMANDS)[number]> extends never ? true : never = true;
void allCommandsListed;

/**
 * The commands that change data: the embedded store's persistence logs exactly these (before they
 * run) and replays them on start. Every command must be in WRITES or READS (checked below), so a
 * new write command cannot be forgotten by the log.
 */
export const WRITES = [
  'del', 'expire', 'pexpire', 'persist', 'set', 'append', 'setrange', 'incr', 'incrby', 'hset', 'hdel', 'hincrby',
  'rpush', 'rpushx', 'rpop', 'ltrim', 'lset', 'zadd', 'zrem', 'zinterstore', 'zunionstore', 'xadd', 'releaseLock', 'extendLock', 'renewLock', 'hsetIfField', 'indexTerms',
] as const satisfies ReadonlyArray<(typeof COMMANDS)[number]>;
const READS = [
  'exists', 'pttl', 'type', 'get', 'getrange', 'strlen', 'hget', 'hmget', 'hgetall', 'llen', 'lindex', 'lrange', 'historyPageBuffer',
  'zcard', 'zmscore', 'zrange', 'zrevrange', 'zrevrangebyscore', 'zinter', 'zrangebylex', 'xrange', 'xrevrange',
] as const satisfies ReadonlyArray<(typeof COMMANDS)[number]>;
export type WriteCommand = (typeof WRITES)[number];
const allCommandsSorted: Exclude<(typeof COMMANDS)[number], WriteCommand | (typeof READS)[number]> extends never ? true : never = true;
void allCommandsSorted;

type Command = (...args: unknown[]) => Promise<unknown>;
type SyncCommand = (...args: unknown[]) => unknown;

const writes = new Set<string>(WRITES);

// Every command with ioredis' promise reply, and the one place writes are reported (before they
// run, and before the transaction below captures the commands). A write that calls another inside
// MemoryCommands (INCR → INCRBY) is reported once.
for (const name of COMMANDS) {
  const command = MemoryCommands.prototype[name] as SyncCommand;
  const write = writes.has(name);
  Object.defineProperty(MemoryRedis.prototype, name, {
    value(this: MemoryRedis, ...args: unknown[]) {
      if (write) this.db.onWrite?.(name as WriteCommand, args);
      try {
        return Promise.resolve(command.apply(this.commands, args));
      } catch (error) {
        return Promise.reject(error as Error);
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

Object.defineProperty(MemoryTransaction.prototype, 'publish', {
  value(this: { queue: Array<[Command, unknown[]]> }, ...args: unknown[]) {
    this.queue.push([MemoryRedis.prototype.publish as Command, args]);
    return this;
  },
});

// The prototype loops above give MemoryTransaction every queued command.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
interface MemoryTransaction extends StoreTransaction {}

// The prototype loop after MemoryRedis gives it every command of the Store.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface MemoryRedis extends StoreCommands<false> {}
