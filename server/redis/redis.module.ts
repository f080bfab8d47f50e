import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { redisConfig, RedisConfig, redisTopology } from '../config/config';
import { MemoryRedis } from './memory-redis';
import { REDIS_CLIENT } from './redis.constants';
import { RedisKeys } from './redis-keys';
import { RedisHealthIndicator } from './redis.health';
import type { Store } from './store';
import { createClusterClient, createRedisClient, createSentinelClient, waitUntilReady } from './redis-clients';

const logger = new Logger('Redis');

export { createRedisClient, waitUntilReady } from './redis-clients';

/** The store the configuration names: one Redis, a Cluster, Sentinels, or the embedded store. */
async function createStore(config: RedisConfig): Promise<Store> {
  const topology = redisTopology(config);
  if (topology === 'embedded') {
    logger.warn(
      'REDIS_URL is not set: using the EMBEDDED IN-PROCESS STORE. Sessions and messages live only as long as ' +
        'this process and are lost on restart. Set REDIS_URL (e.g. redis://127.0.0.1:6379) to keep them.',
    );
    return new MemoryRedis();
  }
  const client =
    topology === 'cluster'
      ? createClusterClient(config)
      : topology === 'sentinel'
        ? createSentinelClient(config)
        : createRedisClient(config.url!);
  // Start even when Redis is down (health says "not ready"); wait briefly so the first requests find it.
  await waitUntilReady(client, 2000);
  return client;
}

@Global()
@Module({
  imports: [TerminusModule],
  providers: [
    RedisKeys,
    RedisHealthIndicator,
    {
      provide: REDIS_CLIENT,
      inject: [redisConfig.KEY],
      useFactory: createStore,
    },
  ],
  exports: [REDIS_CLIENT, RedisKeys, RedisHealthIndicator],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS_CLIENT) private readonly client: Store) {}

  async onApplicationShutdown(): Promise<void> {
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}
