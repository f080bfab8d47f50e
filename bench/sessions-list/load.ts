import type Redis from 'ioredis';
import { RedisKeys } from '../../server/redis/redis-keys';
import { encodeSessionFields, HISTORY_HEAD } from '../../server/sessions/session-record';

/** Sessions per synthetic "other" identity, and sessions written per pipeline. */
const SESSIONS_PER_USER = 10;
const BATCH = 2000;

/**
 * Writes `count` sessions of other identities with exactly the repository's key layout (hash,
 * head-marked message list, per-identity index, TTLs), in large pipelines: a million sessions
 * through the HTTP API would take far longer than the measurement itself.
 */
export async function loadOtherSessions(client: Redis, keys: RedisKeys, count: number, ttlSeconds: number, tag: string): Promise<void> {
  const now = Date.now();
  const pipelinesInFlight: Array<Promise<unknown>> = [];
  for (let start = 0; start < count; start += BATCH) {
    const pipe = client.pipeline();
    for (let i = start; i < Math.min(count, start + BATCH); i++) {
      const userId = `u_${tag}${String(Math.floor(i / SESSIONS_PER_USER)).padStart(20 - tag.length, '0')}`;
      const sessionId = `s_${String(i).padStart(22, '0')}`;
      const at = now - (count - i) * 10;
      const hash = keys.session(userId, sessionId);
      const list = keys.messages(userId, sessionId);
      pipe.hset(hash, encodeSessionFields({
        display_name: `Other ${i}`,
        persona: 'default',
        metadata: { n: i },
        created_at: at,
        last_activity: at,
        message_count: 0,
        pinned: false,
        touched_at: at,
      }));
      pipe.rpush(list, HISTORY_HEAD);
      pipe.zadd(keys.sessionIndex(userId), at, sessionId);
      if (ttlSeconds > 0) pipe.expire(hash, ttlSeconds).expire(list, ttlSeconds);
    }
    pipelinesInFlight.push(pipe.exec());
    if (pipelinesInFlight.length >= 4) await pipelinesInFlight.shift();
  }
  await Promise.all(pipelinesInFlight);
}
