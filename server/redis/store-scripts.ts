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
  // The search index's write for a batch of a session's messages (search-index.repository.ts):
  // KEYS vocabulary, the session's term list, the indexed sessions, the session's title terms;
  // ARGV term key prefix, session id, now, then groups (score, count, terms...). Per term, one
  // ZADD of the session into the term's set (a new score for a term the session held already);
  // only the terms the session did not hold yet (or held by its title alone) go on its list, and
  // only those the identity's vocabulary lacks (ZMSCORE first: a lookup costs a fraction of an
  // insert attempt into the vocabulary's skiplist) go into it.
  indexTerms: {
    numberOfKeys: 4,
    lua:
      'local prefix, sid, i, n, added, title = ARGV[1], ARGV[2], 4, #ARGV, {}, {} ' +
      "for t in string.gmatch(redis.call('GET', KEYS[4]) or '', '%S+') do title[t] = true end " +
      'while i <= n do ' +
      '  local score, last = ARGV[i], i + 1 + tonumber(ARGV[i + 1]) ' +
      '  for j = i + 2, last do ' +
      "    if redis.call('ZADD', prefix .. ARGV[j], score, sid) == 1 or title[ARGV[j]] then added[#added + 1] = ARGV[j] end " +
      '  end ' +
      '  i = last + 1 ' +
      'end ' +
      'for k = 1, #added, 1000 do ' +
      '  local chunk, fresh = {unpack(added, k, math.min(k + 999, #added))}, {} ' +
      "  redis.call('RPUSH', KEYS[2], unpack(chunk)) " +
      "  local known = redis.call('ZMSCORE', KEYS[1], unpack(chunk)) " +
      '  for j = 1, #chunk do if not known[j] then fresh[#fresh + 1] = 0 fresh[#fresh + 1] = chunk[j] end end ' +
      "  if #fresh > 0 then redis.call('ZADD', KEYS[1], unpack(fresh)) end " +
      'end ' +
      "redis.call('ZADD', KEYS[3], ARGV[3], sid) " +
      'return #added',
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
    indexTerms(vocabulary: string, words: string, sessions: string, titleTerms: string, termPrefix: string, sessionId: string, now: number, ...groups: Array<string | number>): Result<number, Context>;
  }
}

export function defineStoreScripts(client: Redis | Cluster): void {
  for (const [name, script] of Object.entries(SCRIPTS)) client.defineCommand(name, script);
}
