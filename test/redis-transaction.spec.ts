import Redis from 'ioredis';
import { MemoryRedis } from '../server/redis/memory-redis';
import { createRedisClient } from '../server/redis/redis.module';
import type { StoreClient } from '../server/redis/redis.constants';
import { execRaw, hashFromRaw } from '../server/redis/transaction';
import { deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from './support/redis';

/**
 * execRaw: a MULTI written as plain commands (ioredis) or run as one pipeline (embedded store).
 * The Redis client is built with the app's own settings (auto-pipelining on), since what matters
 * is that nothing else the process sends can land inside a transaction.
 */
const stores: Array<[string, () => Promise<{ client: StoreClient; close(): Promise<void> }>]> = [
  ['embedded store', async () => {
    const client = new MemoryRedis();
    return { client, close: async () => client.shutdown() };
  }],
  ['Redis', async () => {
    const client = createRedisClient(TEST_REDIS_URL);
    await new Promise((resolve) => (client.status === 'ready' ? resolve(null) : client.once('ready', resolve)));
    return { client, close: async () => void (await client.quit()) };
  }],
];

describe.each(stores)('execRaw: %s', (name, open) => {
  let client: StoreClient;
  let close: () => Promise<void>;
  const prefix = uniquePrefix('tx');
  const key = (k: string) => `${prefix}:${k}`;

  beforeAll(async () => ({ client, close } = await open()));
  afterAll(async () => {
    await close();
    if (name === 'Redis') await deleteKeysWithPrefix(prefix);
  });

  it('gives replies as Redis sends them: bytes, flat hashes, numbers', async () => {
    const redis = client as Redis;
    await redis.rpush(key('list'), 'a', 'ü', '{"x":1}');
    await redis.hset(key('hash'), { f: 'v', n: '2' });
    const replies = await execRaw(client, [
      ['llen', key('list')],
      ['lrange', key('list'), 0, -1],
      ['hset', key('hash'), 'g', 'w'],
      ['expire', key('hash'), 100, 'XX'],
      ['hgetall', key('hash')],
      ['hgetall', key('nothing')],
    ]);
    expect(replies[0]).toBe(3);
    expect((replies[1] as Buffer[]).every((entry) => Buffer.isBuffer(entry))).toBe(true);
    expect((replies[1] as Buffer[]).map((entry) => entry.toString('utf8'))).toEqual(['a', 'ü', '{"x":1}']);
    expect(replies.slice(2, 4)).toEqual([1, 0]); // one field added; XX: the hash had no TTL to replace
    expect(hashFromRaw(replies[4])).toEqual({ f: 'v', n: '2', g: 'w' });
    expect(replies[5]).toEqual([]);
  });

  it('is one snapshot while the same client and another one write concurrently', async () => {
    const redis = client as Redis;
    const other = name === 'Redis' ? new Redis(TEST_REDIS_URL) : (client as MemoryRedis).duplicate();
    const list = key('busy');
    try {
      await redis.rpush(list, 'seed');
      const work: Array<Promise<unknown>> = [];
      const reads: Array<Promise<unknown[]>> = [];
      for (let i = 0; i < 300; i++) {
        work.push(redis.rpush(list, `a${i}`)); // auto-pipelined on the same connection
        reads.push(execRaw(client, [['llen', list], ['lrange', list, 0, -1]]));
        work.push(redis.multi().rpush(list, `b${i}`).rpush(list, `c${i}`).exec());
        work.push((other as Redis).rpush(list, `d${i}`));
      }
      // A command of this client that landed inside a transaction would have got "QUEUED".
      for (const result of await Promise.all(work)) {
        if (Array.isArray(result)) expect(result.map(([error, value]) => [error, typeof value])).toEqual([[null, 'number'], [null, 'number']]);
        else expect(typeof result).toBe('number');
      }
      const lengths = new Set<number>();
      for (const [length, entries] of await Promise.all(reads)) {
        expect((entries as Buffer[]).length).toBe(length);
        lengths.add(length as number);
      }
      expect(lengths.size).toBeGreaterThan(1); // the reads really ran between writes
      expect(await redis.llen(list)).toBe(1 + 300 * 4);
    } finally {
      if (other instanceof Redis) await other.quit();
    }
  });

  it('throws a failed command’s error and leaves the connection usable', async () => {
    const redis = client as Redis;
    await redis.hset(key('a-hash'), { f: 'v' });
    await expect(execRaw(client, [['llen', key('list')], ['lrange', key('a-hash'), 0, -1]])).rejects.toThrow(/WRONGTYPE/);
    await expect(execRaw(client, [['no-such-command', key('list')]])).rejects.toThrow();
    expect((await execRaw(client, [['llen', key('list')]]))[0]).toBe(3);
  });
});

describe('execRaw without a Redis connection', () => {
  it('fails at once instead of queueing', async () => {
    const client = createRedisClient('redis://127.0.0.1:1');
    try {
      const started = Date.now();
      await expect(execRaw(client, [['llen', 'k']])).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      client.disconnect();
    }
  });
});
