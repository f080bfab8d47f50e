import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import Redis from 'ioredis';
import { redisConfig, RedisConfig } from '../config/config';
import { EmbeddedPersistence } from './embedded-persistence';
import { MemoryRedis } from './memory-redis';
import { EMBEDDED_PERSISTENCE, REDIS_CLIENT } from './redis.constants';
import { RedisKeys } from './redis-keys';
import { RedisHealthIndicator } from './redis.health';
import type { Store } from './store';
import { sendTransactionsWhenReady } from './ready-transactions';
import { defineStoreScripts } from './store-scripts';

const logger = new Logger('Redis');

/**
 * Settings that fail fast while Redis is away (a request gets 503 in about a second instead of
 * ioredis' default ~10 s of queued retries) and reconnect by themselves when it returns.
 */
export function createRedisClient(url: string): Redis {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    commandTimeout: 1500,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    lazyConnect: false,
    // Commands issued in the same tick by concurrent requests go out in one write (MULTIs are sent
    // whole as before; only their relative order to plain commands of the same tick may change,
    // and no caller depends on it: dependent commands are always awaited first).
    enableAutoPipelining: true,
  });
  defineStoreScripts(client);
  sendTransactionsWhenReady(client);
  let lastLogged = 0;
  client.on('error', (error: Error) => {
    // One line per few seconds while Redis is down, not one per retry.
    if (Date.now() - lastLogged > 5000) {
      lastLogged = Date.now();
      logger.error(`Redis connection problem: ${error.message}`);
    }
  });
  client.on('ready', () => logger.log('Redis connection ready'));
  return client;
}

export async function waitUntilReady(client: Redis, ms: number): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    client.once('ready', done);
    function done() {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    }
  });
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
        config.url || !config.dataDir ? null : EmbeddedPersistence.open(config.dataDir, { logger }),
    },
    {
      provide: REDIS_CLIENT,
      inject: [redisConfig.KEY, EMBEDDED_PERSISTENCE],
      useFactory: async (config: RedisConfig, persistence: EmbeddedPersistence | null): Promise<Store> => {
        if (persistence) {
          logger.warn(
            `REDIS_URL is not set: using the EMBEDDED STORE, kept in ${persistence.dir} (loaded ${persistence.summary}). ` +
              'It serves ONE process: to run several instances, set REDIS_URL (e.g. redis://127.0.0.1:6379).',
          );
          return persistence.store;
        }
        if (!config.url) {
          logger.warn(
            'REDIS_URL and DATA_DIR are not set: using the EMBEDDED IN-PROCESS STORE in memory only. Sessions and messages ' +
              'are lost on restart. Set DATA_DIR (e.g. ./data) or REDIS_URL (e.g. redis://127.0.0.1:6379) to keep them.',
          );
          return new MemoryRedis();
        }
        const client = createRedisClient(config.url);
        // Start even when Redis is down (health says "not ready"); wait briefly so the first requests find it.
        await waitUntilReady(client, 2000);
        return client;
      },
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
