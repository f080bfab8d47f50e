import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { redisConfig, RedisConfig, redisTopology } from '../config/config';
import { EmbeddedPersistence } from './embedded-persistence';
import { MemoryRedis } from './memory-redis';
import { EMBEDDED_PERSISTENCE, REDIS_CLIENT } from './redis.constants';
import { RedisKeys } from './redis-keys';
import { RedisHealthIndicator } from './redis.health';
import type { Store } from './store';
import { createClusterClient, createRedisClient, createSentinelClient, waitUntilReady } from './redis-clients';

const logger = new Logger('Redis');

export { createRedisClient, waitUntilReady } from './redis-clients';

/** The store the configuration names: one Redis, a Cluster, Sentinels, or the embedded store. */
async function createStore(config: RedisConfig, persistence: EmbeddedPersistence | null): Promise<Store> {
  const topology = redisTopology(config);
  if (topology === 'embedded' && persistence) {
    logger.warn(
      `REDIS_URL is not set: using the EMBEDDED STORE, kept in ${persistence.dir} (loaded ${persistence.summary}). ` +
        'It serves ONE process: to run several instances, set REDIS_URL (e.g. redis://127.0.0.1:6379).',
    );
    return persistence.store;
  }
  if (topology === 'embedded') {
    logger.warn(
      'REDIS_URL and DATA_DIR are not set: using the EMBEDDED IN-PROCESS STORE in memory only. Sessions and messages ' +
        'are lost on restart. Set DATA_DIR (e.g. ./data) or REDIS_URL (e.g. redis://127.0.0.1:6379) to keep them.',
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
      provide: EMBEDDED_PERSISTENCE,
      inject: [redisConfig.KEY],
      useFactory: (config: RedisConfig): EmbeddedPersistence | null =>
        redisTopology(config) !== 'embedded' || !config.dataDir ? null : EmbeddedPersistence.open(config.dataDir, { logger }),
    },
    {
      provide: REDIS_CLIENT,
      inject: [redisConfig.KEY, EMBEDDED_PERSISTENCE],
      useFactory: createStore,
    },
  ],
  exports: [REDIS_CLIENT, RedisKeys, RedisHealthIndicator],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS_CLIENT) private readonly client: Store,
    @Inject(EMBEDDED_PERSISTENCE) private readonly persistence: EmbeddedPersistence | null,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
    // Last, after every other module's shutdown writes: flushed, fsynced, DATA_DIR unlocked.
    await this.persistence?.close();
  }
}
