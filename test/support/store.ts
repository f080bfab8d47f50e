import type Redis from 'ioredis';
import { createRedisClient, waitUntilReady } from '../../server/redis/redis.module';
import { TEST_REDIS_URL } from './redis';

/** A Redis client as the app builds it (its settings and lock scripts), once connected. */
export async function openTestRedis(): Promise<Redis> {
  const client = createRedisClient(TEST_REDIS_URL);
  await waitUntilReady(client, 5000);
  return client;
}
