import Redis from 'ioredis';
import { TEST_REDIS_URL } from './redis';

/**
 * Everything stored under a key prefix (contents, not TTLs), to show that a rejected request
 * changed nothing. SCAN is fine here: tests may scan, the app never does.
 */
export async function storeSnapshot(prefix: string): Promise<Record<string, unknown>> {
  const client = new Redis(TEST_REDIS_URL);
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    const out: Record<string, unknown> = {};
    for (const key of keys.sort()) {
      const type = await client.type(key);
      if (type === 'string') out[key] = await client.get(key);
      else if (type === 'hash') out[key] = await client.hgetall(key);
      else if (type === 'list') out[key] = await client.lrange(key, 0, -1);
      else if (type === 'zset') out[key] = await client.zrange(key, 0, -1, 'WITHSCORES');
      else out[key] = type;
    }
    return out;
  } finally {
    await client.quit();
  }
}
