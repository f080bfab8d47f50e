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
  // The search index's write for a batch of a session's messages (search-index.repository.ts):
  // KEYS vocabulary, the session's term uses, the indexed sessions; ARGV term key prefix, session
  // id, now, window (ms), then groups (score, count, terms...). A term goes into its set (ZADD)
  // when the session's uses hash has no use of it, or one older than the new score by more than
  // the window; its use (the score in minutes) is then recorded. Terms new to the session are
  // looked up in the vocabulary (ZMSCORE) and the missing ones added to it.
  indexTerms: {
    numberOfKeys: 3,
    lua:
      'local prefix, sid, window, i, n, terms, scores, written = ARGV[1], ARGV[2], tonumber(ARGV[4]), 5, #ARGV, {}, {}, 0 ' +
      'while i <= n do ' +
      '  local score, last = ARGV[i], i + 1 + tonumber(ARGV[i + 1]) ' +
      '  for j = i + 2, last do terms[#terms + 1] = ARGV[j] scores[#scores + 1] = score end ' +
      '  i = last + 1 ' +
      'end ' +
      'for k = 1, #terms, 1000 do ' +
      '  local last, set, unknown = math.min(k + 999, #terms), {}, {} ' +
      "  local uses = redis.call('HMGET', KEYS[2], unpack(terms, k, last)) " +
      '  for j = k, last do ' +
      '    local use, score = uses[j - k + 1], tonumber(scores[j]) ' +
      '    if not use or tonumber(use) * 60000 < score - window then ' +
      "      redis.call('ZADD', prefix .. terms[j], scores[j], sid) " +
      '      written = written + 1 ' +
      '      set[#set + 1] = terms[j] set[#set + 1] = math.floor(score / 60000) ' +
      '      if not use then unknown[#unknown + 1] = terms[j] end ' +
      '    end ' +
      '  end ' +
      "  if #set > 0 then redis.call('HSET', KEYS[2], unpack(set)) end " +
      '  if #unknown > 0 then ' +
      "    local known, add = redis.call('ZMSCORE', KEYS[1], unpack(unknown)), {} " +
      '    for j = 1, #unknown do if not known[j] then add[#add + 1] = 0 add[#add + 1] = unknown[j] end end ' +
      "    if #add > 0 then redis.call('ZADD', KEYS[1], unpack(add)) end " +
      '  end ' +
      'end ' +
      "redis.call('ZADD', KEYS[3], ARGV[3], sid) " +
      'return written',
  },
} as const;

// The commands defineCommand adds, as ioredis' typings expect them to be declared.
declare module 'ioredis' {
  interface RedisCommander<Context> {
    releaseLock(key: string, token: string): Result<number, Context>;
    extendLock(key: string, token: string, milliseconds: number): Result<number, Context>;
    renewLock(key: string, token: string, milliseconds: number): Result<number, Context>;
    hsetIfField(key: string, field: string, expected: string, ...fieldValues: string[]): Result<number, Context>;
    indexTerms(vocabulary: string, uses: string, sessions: string, termPrefix: string, sessionId: string, now: number, windowMs: number, ...groups: Array<string | number>): Result<number, Context>;
  }
}

export function defineStoreScripts(client: Redis | Cluster): void {
  for (const [name, script] of Object.entries(SCRIPTS)) client.defineCommand(name, script);
}
