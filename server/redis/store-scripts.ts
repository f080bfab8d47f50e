import type { Cluster, Redis } from 'ioredis';
import type { Result } from 'ioredis';

/**
 * The Lua scripts behind Store's LockCommands (and its conditional HSET), registered on an ioredis client or Cluster with
 * defineCommand (ioredis then sends EVALSHA, falling back to EVAL once per connection; on a Cluster to
 * the node owning the script's one key). The embedded store
 * implements the same operations in memory-redis.ts.
 */
const SCRIPTS = {
  releaseLock: {
    numberOfKeys: 1,
    lua: "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
  },
  extendLock: {
    numberOfKeys: 1,
    lua: "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0",
  },
  renewLock: {
    numberOfKeys: 1,
    lua:
      "local v = redis.call('GET', KEYS[1]) " +
      "if v == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end " +
      "if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end return 0",
  },
  hsetIfField: {
    numberOfKeys: 1,
    lua:
      "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then " +
      "redis.call('HSET', KEYS[1], unpack(ARGV, 3)) return 1 end return 0",
  },
} as const;

// The commands defineCommand adds, as ioredis' typings expect them to be declared.
declare module 'ioredis' {
  interface RedisCommander<Context> {
    releaseLock(key: string, token: string): Result<number, Context>;
    extendLock(key: string, token: string, milliseconds: number): Result<number, Context>;
    renewLock(key: string, token: string, milliseconds: number): Result<number, Context>;
    hsetIfField(key: string, field: string, expected: string, ...fieldValues: string[]): Result<number, Context>;
  }
}

export function defineStoreScripts(client: Redis | Cluster): void {
  for (const [name, script] of Object.entries(SCRIPTS)) client.defineCommand(name, script);
}
