import { MemoryRedis } from '../redis/memory-redis';
import { RedisKeys } from '../redis/redis-keys';
import { repliesOf, Store } from '../redis/store';
import { deleteKeysWithPrefix, uniquePrefix } from '../../test/support/redis';
import { openTestRedis } from '../../test/support/store';
import { SessionTags } from './session-tags';

const stores: Array<[string, () => Promise<Store>]> = [
  ['Redis', openTestRedis],
  ['embedded store', async () => new MemoryRedis()],
];

const TTL_MS = 60_000;

describe.each(stores)('tag counts (%s)', (name, connect) => {
  let client: Store;
  let prefix: string;
  let keys: RedisKeys;
  let tags: SessionTags;
  const user = 'u1';

  beforeEach(async () => {
    client = await connect();
    prefix = uniquePrefix('tags');
    keys = new RedisKeys({ keyPrefix: prefix, url: undefined });
    tags = new SessionTags(client, keys, TTL_MS);
  });
  afterEach(async () => {
    if (name === 'Redis') await deleteKeysWithPrefix(prefix);
    client.disconnect();
  });

  /** A session as the repository writes it: its hash, its tag sets and the bookkeeping, in one MULTI. */
  async function tagged(id: string, list: string[], now: number): Promise<void> {
    const tx = client.multi().hset(keys.session(user, id), 'created_at', String(now));
    for (const tag of list) tx.zadd(keys.sessionTag(user, tag), 0, id);
    tags.retag(tx, user, id, [], list, now);
    repliesOf(await tx.exec());
  }

  it('counts by the tag sets, most used first then by name, and forgets names no session carries', async () => {
    const now = Date.now();
    await tagged('s1', ['b', 'a'], now);
    await tagged('s2', ['b', 'c'], now);
    expect(await tags.counts(user, now)).toEqual([
      { tag: 'b', count: 2 },
      { tag: 'a', count: 1 },
      { tag: 'c', count: 1 },
    ]);
    await client.zrem(keys.sessionTag(user, 'a'), 's1');
    expect(await tags.counts(user, now)).toEqual([
      { tag: 'b', count: 2 },
      { tag: 'c', count: 1 },
    ]);
    expect(await client.zrange(keys.tagNames(user), 0, -1)).toEqual(['b', 'c']);
  });

  it('takes sessions gone for longer than the TTL out of every tag set; those still there are marked seen', async () => {
    const long = Date.now() - 2 * TTL_MS;
    await tagged('gone', ['x', 'y'], long);
    await tagged('kept', ['x'], long);
    await client.del(keys.session(user, 'gone'));
    const now = Date.now();
    expect(await tags.counts(user, now)).toEqual([{ tag: 'x', count: 1 }]);
    expect(await client.zrange(keys.sessionTag(user, 'x'), 0, -1)).toEqual(['kept']);
    expect(await client.zrevrangebyscore(keys.taggedSessions(user), '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, 10)).toEqual(['kept', String(now)]);
  });

  it('retag keeps the tagged-session set to sessions with tags', async () => {
    const tx = client.multi();
    tags.retag(tx, user, 's1', [], ['a'], 5);
    tags.retag(tx, user, 's2', [], ['a'], 5);
    tags.retag(tx, user, 's1', ['a'], [], 6);
    tags.retag(tx, user, 's2', ['a'], ['a', 'b'], 7);
    repliesOf(await tx.exec());
    expect(await client.zrange(keys.taggedSessions(user), 0, -1)).toEqual(['s2']);
    expect(await client.zrange(keys.tagNames(user), 0, -1)).toEqual(['a', 'b']);
  });
});
