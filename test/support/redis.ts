import Redis from 'ioredis';

/** The Redis the tests use: TEST_REDIS_URL, else the machine's 127.0.0.1:6379. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test run shares, so tests can run beside anything else in that Redis. */
export function uniquePrefix(label = 't'): string {
  return `nono-test-${label}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Deletes every key under a prefix (SCAN is fine in tests; the app itself never scans). */
export async function deleteKeysWithPrefix(prefix: string, url = TEST_REDIS_URL): Promise<number> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== '0');
    await client.quit();
    return deleted;
  } finally {
    // Also when Redis is unreachable: a client left reconnecting keeps the test process alive.
    client.disconnect();
  }
}
