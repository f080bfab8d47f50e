import type Redis from 'ioredis';
import { MemoryRedis } from './memory-redis';
import type { StoreClient } from './redis.constants';

/**
 * Owner-checked lock operations, each one atomic step. On Redis they are small Lua scripts
 * registered with ioredis' defineCommand (EVALSHA, falling back to EVAL after a restart); the
 * embedded store implements the same operations natively under the same names.
 */
export const LOCK_SCRIPTS = {
  /** Deletes the key only while it still holds this owner's token: 1 when deleted. */
  nonoLockRelease: {
    numberOfKeys: 1,
    lua: "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0",
  },
  /**
   * Extends the owner's lock (1); takes it again when it is gone, e.g. expired while Redis was away
   * (2); leaves someone else's alone (0).
   */
  nonoLockRenew: {
    numberOfKeys: 1,
    lua:
      "local v = redis.call('get', KEYS[1]) " +
      "if v == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end " +
      "if not v then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end return 0",
  },
} as const;

export interface LockCommands {
  nonoLockRelease(key: string, token: string): Promise<number>;
  nonoLockRenew(key: string, token: string, ttlMs: number): Promise<number>;
}

const defined = new WeakSet<object>();

/** The client with the lock operations available (defined once per ioredis client). */
export function lockCommands(client: StoreClient): LockCommands {
  if (client instanceof MemoryRedis) return client;
  if (!defined.has(client)) {
    for (const [name, script] of Object.entries(LOCK_SCRIPTS)) (client as Redis).defineCommand(name, script);
    defined.add(client);
  }
  return client as unknown as LockCommands;
}
