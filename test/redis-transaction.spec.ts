import { MemoryRedis } from '../server/redis/memory-redis';
import { StoreNotReadyError } from '../server/redis/ready-transactions';
import { createRedisClient, waitUntilReady } from '../server/redis/redis.module';
import { repliesOf, Store } from '../server/redis/store';
import { deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from './support/redis';
import { openTestRedis } from './support/store';

/**
 * The store's transactions and atomic lock operations, the same on both stores. The Redis client is
 * built with the app's own settings (auto-pipelining on), since what matters is that nothing else
 * the process sends can land inside a transaction.
 */
const stores: Array<[string, () => Promise<Store>]> = [
  ['embedded store', async () => new MemoryRedis()],
  ['Redis', openTestRedis],
];

describe.each(stores)('store transactions and locks: %s', (name, open) => {
  let client: Store;
  const prefix = uniquePrefix('tx');
  const key = (k: string) => `${prefix}:${k}`;

  beforeAll(async () => {
    client = await open();
  });
  afterAll(async () => {
    if (name === 'Redis') await deleteKeysWithPrefix(prefix);
    await client.quit();
  });

  it('multi() gives each command’s reply in order, as the direct call would', async () => {
    await client.rpush(key('list'), 'a', 'ü', '{"x":1}');
    await client.hset(key('hash'), { f: 'v', n: '2' });
    const replies = await client
      .multi()
      .llen(key('list'))
      .lrange(key('list'), 0, -1)
      .hset(key('hash'), 'g', 'w')
      .expire(key('hash'), 100, 'XX')
      .hgetall(key('hash'))
      .hgetall(key('nothing'))
      .exec();
    expect(replies).toEqual([
      [null, 3],
      [null, ['a', 'ü', '{"x":1}']],
      [null, 1],
      [null, 0], // XX: the hash had no TTL to replace
      [null, { f: 'v', n: '2', g: 'w' }],
      [null, {}],
    ]);
  });

  it('pipeline() sends reads together', async () => {
    await client.hset(key('p1'), { a: '1', b: '2' });
    const replies = repliesOf(await client.pipeline().hmget(key('p1'), 'b', 'c', 'a').hget(key('p2'), 'a').exec());
    expect(replies).toEqual([['2', null, '1'], null]);
  });

  it('a transaction is one snapshot while the same client and another one write concurrently', async () => {
    const other = name === 'Redis' ? await openTestRedis() : client.duplicate(); // another connection, ready
    const list = key('busy');
    try {
      await client.rpush(list, 'seed');
      const work: Array<Promise<unknown>> = [];
      const reads: Array<Promise<unknown[]>> = [];
      for (let i = 0; i < 300; i++) {
        work.push(client.rpush(list, `a${i}`)); // auto-pipelined on the same connection
        reads.push(client.multi().llen(list).lrange(list, 0, -1).exec().then(repliesOf));
        work.push(client.multi().rpush(list, `b${i}`).rpush(list, `c${i}`).exec().then(repliesOf));
        work.push(other.rpush(list, `d${i}`));
      }
      // A command of this client that landed inside a transaction would have got "QUEUED".
      for (const result of await Promise.all(work)) {
        if (Array.isArray(result)) expect(result.map((value) => typeof value)).toEqual(['number', 'number']);
        else expect(typeof result).toBe('number');
      }
      const lengths = new Set<number>();
      for (const [length, entries] of await Promise.all(reads)) {
        expect((entries as string[]).length).toBe(length);
        lengths.add(length as number);
      }
      expect(lengths.size).toBeGreaterThan(1); // the reads really ran between writes
      expect(await client.llen(list)).toBe(1 + 300 * 4);
    } finally {
      await other.quit();
    }
  });

  it('a failing command gets its error in place, the others still run; repliesOf throws it', async () => {
    await client.hset(key('a-hash'), { f: 'v' });
    await client.rpush(key('l2'), 'x');
    const replies = await client.multi().rpush(key('l2'), 'y').lrange(key('a-hash'), 0, -1).llen(key('l2')).exec();
    expect(replies![0]).toEqual([null, 2]);
    expect(replies![1][0]?.message).toMatch(/WRONGTYPE/);
    expect(replies![2]).toEqual([null, 2]);
    expect(() => repliesOf(replies)).toThrow(/WRONGTYPE/);
    expect(await client.llen(key('l2'))).toBe(2); // the connection is still usable
  });

  it('releaseLock and extendLock act only while the key holds the token', async () => {
    const lock = key('lock');
    expect(await client.set(lock, 'mine', 'PX', 5000, 'NX')).toBe('OK');
    expect(await client.set(lock, 'theirs', 'PX', 5000, 'NX')).toBeNull();
    expect(await client.extendLock(lock, 'theirs', 60_000)).toBe(0);
    expect(await client.releaseLock(lock, 'theirs')).toBe(0);
    expect(await client.get(lock)).toBe('mine');
    expect(await client.extendLock(lock, 'mine', 60_000)).toBe(1);
    // Also queued in a transaction, like any command.
    expect(repliesOf(await client.multi().releaseLock(lock, 'mine').exists(lock).exec())).toEqual([1, 0]);
    expect(await client.releaseLock(lock, 'mine')).toBe(0);
    expect(await client.extendLock(lock, 'mine', 60_000)).toBe(0);
  });
});

describe('store transactions without a ready Redis connection', () => {
  // Sent while connecting, MULTI and EXEC went out but the commands between them were refused
  // locally: an empty reply that read as "no such session" (404) instead of 503.
  it('are not sent before the connection is ready, and are once it is', async () => {
    const client = createRedisClient(TEST_REDIS_URL);
    try {
      expect(client.status).not.toBe('ready');
      await expect(client.multi().llen('k').hgetall('h').exec()).rejects.toThrow(StoreNotReadyError);
      await waitUntilReady(client, 5000);
      expect(repliesOf(await client.multi().llen(uniquePrefix('none')).hgetall(uniquePrefix('none')).exec())).toEqual([0, {}]);
    } finally {
      client.disconnect();
    }
  });

  it('fail instead of queueing', async () => {
    const client = createRedisClient('redis://127.0.0.1:1');
    try {
      await expect(client.multi().llen('k').exec()).rejects.toThrow(StoreNotReadyError);
      await expect(client.releaseLock('k', 't')).rejects.toThrow();
    } finally {
      client.disconnect();
    }
  });
});
