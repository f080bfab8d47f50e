import { ConflictException } from '@nestjs/common';
import { MemoryRedis } from '../redis/memory-redis';
import { RedisKeys } from '../redis/redis-keys';
import type { Store } from '../redis/store';
import { deleteKeysWithPrefix, uniquePrefix } from '../../test/support/redis';
import { openTestRedis } from '../../test/support/store';
import { PubSubService } from '../events/pubsub.service';
import { GenerationLogRepository } from './generation-log.repository';
import { GenerationRepository } from './generation.repository';
import { GenerationsService } from './generations.service';

const stores: Array<[string, () => Promise<Store>]> = [
  ['Redis', openTestRedis],
  ['embedded store', async () => new MemoryRedis()],
];

describe.each(stores)('generation lock and stop channel (%s)', (name, connect) => {
  let client: Store;
  let prefix: string;
  let repo: GenerationRepository;
  let other: GenerationRepository;
  let keys: RedisKeys;
  let subscribers: PubSubService[];

  beforeEach(async () => {
    client = await connect();
    prefix = uniquePrefix('gen');
    keys = new RedisKeys({ keyPrefix: prefix, url: undefined });
    // Two instances of the app: same store, each its own subscriber connection.
    subscribers = [new PubSubService(client), new PubSubService(client)];
    repo = new GenerationRepository(client, keys, subscribers[0]);
    other = new GenerationRepository(client, keys, subscribers[1]);
  });
  afterEach(async () => {
    for (const s of subscribers) await s.onModuleDestroy();
    if (name === 'Redis') await deleteKeysWithPrefix(prefix);
    await client.quit();
  });

  it('lets one holder in; renew and release act only for the holder (compare-and-act)', async () => {
    expect(await repo.acquire('u1', 's1', 'token-a', 5000)).toBe(true);
    expect(await other.acquire('u1', 's1', 'token-b', 5000)).toBe(false);
    expect(await repo.acquire('u1', 's2', 'token-c', 5000)).toBe(true);
    expect(await repo.acquire('u2', 's1', 'token-d', 5000)).toBe(true);
    expect(await other.renew('u1', 's1', 'token-b', 5000)).toBe(false);
    expect(await other.release('u1', 's1', 'token-b')).toBe(false);
    expect(await repo.holder('u1', 's1')).toBe('token-a');
    expect(await repo.renew('u1', 's1', 'token-a', 5000)).toBe(true);
    expect(await repo.release('u1', 's1', 'token-a')).toBe(true);
    expect(await repo.holder('u1', 's1')).toBeNull();
    expect(await other.acquire('u1', 's1', 'token-b', 5000)).toBe(true);
  });

  it('a holder whose lock expired (e.g. while Redis was away) takes it again when it is free', async () => {
    expect(await repo.acquire('u1', 's1', 'token-a', 100)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(await repo.holder('u1', 's1')).toBeNull();
    expect(await repo.renew('u1', 's1', 'token-a', 5000)).toBe(true);
    expect(await repo.holder('u1', 's1')).toBe('token-a');
    expect(await other.acquire('u1', 's1', 'token-b', 5000)).toBe(false);
  });

  it('an abandoned lock expires by itself', async () => {
    expect(await repo.acquire('u1', 's1', 'token-a', 150)).toBe(true);
    await new Promise((r) => setTimeout(r, 250));
    expect(await other.acquire('u1', 's1', 'token-b', 5000)).toBe(true);
  });

  it('announces a stop to every instance', async () => {
    const heard: string[] = [];
    await repo.onStop((u, s) => heard.push(`a:${u}/${s}`));
    await other.onStop((u, s) => heard.push(`b:${u}/${s}`));
    await repo.publishStop('u1', 's1');
    for (let i = 0; i < 50 && heard.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(heard.sort()).toEqual(['a:u1/s1', 'b:u1/s1']);
  });

  it('GenerationsService: 409 while running, stop from another instance aborts it', async () => {
    const log = new GenerationLogRepository(client, keys);
    const a = new GenerationsService(repo, log);
    const b = new GenerationsService(other, log);
    a.onModuleInit();
    b.onModuleInit();
    await new Promise((r) => setTimeout(r, 50)); // subscriptions in place
    const generation = await a.begin('u1', 's1');
    await expect(b.begin('u1', 's1')).rejects.toBeInstanceOf(ConflictException);
    generation.signal.addEventListener('abort', () => void a.end(generation));
    expect(await b.stop('u1', 's1')).toBe(true);
    expect(generation.signal.aborted).toBe(true);
    expect(await b.stop('u1', 's1')).toBe(false);
    const next = await b.begin('u1', 's1');
    await b.end(next);
    await b.end(next); // ending twice is harmless
    await a.onModuleDestroy();
    await b.onModuleDestroy();
  });

  it('GenerationsService: stop clears at once a lock whose owner instance is gone', async () => {
    const log = new GenerationLogRepository(client, keys);
    const b = new GenerationsService(other, log);
    // A lock of an instance that never said it was alive (crashed): no renewal, no stop listener.
    expect(await repo.acquire('u1', 's1', 'gone-instance:abc', 6000)).toBe(true);
    expect(await b.stop('u1', 's1')).toBe(true);
    expect(await repo.holder('u1', 's1')).toBeNull();
    const [last] = await log.read('u1', 's1', undefined);
    expect(last[1]).toBe('error');
  });
});
