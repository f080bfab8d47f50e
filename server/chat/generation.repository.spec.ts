import { ConflictException } from '@nestjs/common';
import { MemoryRedis } from '../redis/memory-redis';
import { RedisKeys } from '../redis/redis-keys';
import type { Store } from '../redis/store';
import { deleteKeysWithPrefix, uniquePrefix } from '../../test/support/redis';
import { openTestRedis } from '../../test/support/store';
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

  beforeEach(async () => {
    client = await connect();
    prefix = uniquePrefix('gen');
    const keys = new RedisKeys({ keyPrefix: prefix, url: undefined });
    repo = new GenerationRepository(client, keys);
    // A second instance of the app: same store, its own subscriber.
    other = new GenerationRepository(client, keys);
  });
  afterEach(async () => {
    await repo.onModuleDestroy();
    await other.onModuleDestroy();
    if (name === 'Redis') await deleteKeysWithPrefix(prefix);
    await client.quit();
  });

  it('lets one holder in, checks the token on release and refresh', async () => {
    expect(await repo.acquire('u1', 's1', 'token-a', 5000)).toBe(true);
    expect(await other.acquire('u1', 's1', 'token-b', 5000)).toBe(false);
    expect(await repo.acquire('u1', 's2', 'token-c', 5000)).toBe(true);
    expect(await repo.acquire('u2', 's1', 'token-d', 5000)).toBe(true);
    expect(await other.refresh('u1', 's1', 'token-b', 5000)).toBe(false);
    await other.release('u1', 's1', 'token-b');
    expect(await repo.isLocked('u1', 's1')).toBe(true);
    expect(await repo.refresh('u1', 's1', 'token-a', 5000)).toBe(true);
    await repo.release('u1', 's1', 'token-a');
    expect(await repo.isLocked('u1', 's1')).toBe(false);
    expect(await repo.refresh('u1', 's1', 'token-a', 5000)).toBe(false);
    expect(await other.acquire('u1', 's1', 'token-b', 5000)).toBe(true);
  });

  it('an abandoned lock expires by itself; its old holder then leaves the next holder’s lock alone', async () => {
    expect(await repo.acquire('u1', 's1', 'token-a', 150)).toBe(true);
    await new Promise((r) => setTimeout(r, 250));
    expect(await other.acquire('u1', 's1', 'token-b', 5000)).toBe(true);
    expect(await repo.refresh('u1', 's1', 'token-a', 60_000)).toBe(false);
    await repo.release('u1', 's1', 'token-a');
    expect(await other.isLocked('u1', 's1')).toBe(true);
    expect(await other.refresh('u1', 's1', 'token-b', 5000)).toBe(true);
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
    const a = new GenerationsService(repo);
    const b = new GenerationsService(other);
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
  });
});
