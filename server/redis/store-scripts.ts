import type { Cluster, Redis } from 'ioredis';
import type { Result } from 'ioredis';
import type { HistoryPageReply } from './store';

/**
 * The Lua scripts behind Store's LockCommands (and its conditional HSET, the search index's bulk write and
 * the history page read), registered on an ioredis client or Cluster with
 * defineCommand (ioredis then sends EVALSHA, falling back to EVAL once per connection; on a Cluster to
 * the node owning the script's one key). The embedded store
 * implements the same operations in memory-redis.ts.
 */
const SCRIPTS = {
  historyPage: {
    numberOfKeys: 2,
    lua:
      "local length = redis.call('LLEN', KEYS[1]) " +
      "return {length, redis.call('LRANGE', KEYS[1], ARGV[1], ARGV[2]), redis.call('HMGET', KEYS[2], unpack(ARGV, 3))}",
  },
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
  indexTerms: {
    numberOfKeys: 3,
    lua:
      'local prefix, sid, i, n, terms = ARGV[1], ARGV[2], 4, #ARGV, {} ' +
      'while i <= n do ' +
      '  local score, last = ARGV[i], i + 1 + tonumber(ARGV[i + 1]) ' +
      "  for j = i + 2, last do redis.call('ZADD', prefix .. ARGV[j], score, sid) terms[#terms + 1] = ARGV[j] end " +
      '  i = last + 1 ' +
      'end ' +
      'for k = 1, #terms, 1000 do ' +
      '  local chunk, scored = {}, {} ' +
      '  for j = k, math.min(k + 999, #terms) do chunk[#chunk + 1] = terms[j] scored[#scored + 1] = 0 scored[#scored + 1] = terms[j] end ' +
      "  redis.call('ZADD', KEYS[1], unpack(scored)) redis.call('RPUSH', KEYS[2], unpack(chunk)) " +
      'end ' +
      "redis.call('ZADD', KEYS[3], ARGV[3], sid) " +
      'return #terms',
  },
} as const;

// The commands defineCommand adds, as ioredis' typings expect them to be declared.
declare module 'ioredis' {
  interface RedisCommander<Context> {
    // defineCommand adds each script twice: as `name` (bulk replies as text) and `nameBuffer` (as Buffers).
    historyPageBuffer(list: string, hash: string, start: number, stop: number, ...fields: string[]): Result<HistoryPageReply, Context>;
    releaseLock(key: string, token: string): Result<number, Context>;
    extendLock(key: string, token: string, milliseconds: number): Result<number, Context>;
    renewLock(key: string, token: string, milliseconds: number): Result<number, Context>;
    hsetIfField(key: string, field: string, expected: string, ...fieldValues: string[]): Result<number, Context>;
    indexTerms(vocabulary: string, words: string, sessions: string, termPrefix: string, sessionId: string, now: number, ...groups: Array<string | number>): Result<number, Context>;
  }
}

export function defineStoreScripts(client: Redis | Cluster): void {
  for (const [name, script] of Object.entries(SCRIPTS)) client.defineCommand(name, script);
}
