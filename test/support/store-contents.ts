import type { Store } from '../../server/redis/store';

/**
 * Every key under `prefix` of any Store, by its name after the prefix: its type, value and TTL
 * (ms left, or -1). Read with the Store interface only, so it compares Redis and the embedded store.
 */
export async function storeContents(store: Store, prefix: string): Promise<Record<string, { type: string; value: unknown; pttl: number }>> {
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await store.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    batch.forEach((k) => keys.add(k));
    cursor = next;
  } while (cursor !== '0');
  const out: Record<string, { type: string; value: unknown; pttl: number }> = {};
  for (const key of [...keys].sort()) {
    const type = await store.type(key);
    // A generation's event log (a stream) lives a minute past its answer and is not backed up.
    if (type === 'stream') continue;
    const value =
      type === 'string' ? await store.get(key)
      : type === 'hash' ? await store.hgetall(key)
      : type === 'list' ? await store.lrange(key, 0, -1)
      : type === 'zset' ? await store.zrevrangebyscore(key, '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, -1)
      : undefined;
    out[key.slice(prefix.length + 1)] = { type, value, pttl: await store.pttl(key) };
  }
  return out;
}

/** The same without TTLs (which tick), for exact comparison. */
export function withoutTtls(contents: Awaited<ReturnType<typeof storeContents>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(contents).map(([k, { type, value }]) => [k, { type, value }]));
}
