import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { redisConfig, RedisConfig, redisTopology } from '../config/config';
import { REDIS_CLIENT } from './redis.constants';
import type { Store } from './store';

@Injectable()
export class RedisHealthIndicator {
  constructor(
    @Inject(REDIS_CLIENT) private readonly client: Store,
    @Inject(redisConfig.KEY) private readonly config: RedisConfig,
    private readonly health: HealthIndicatorService,
  ) {}

  async check(key = 'redis'): Promise<HealthIndicatorResult> {
    const indicator = this.health.check(key);
    const topology = redisTopology(this.config);
    // Without Redis settings the module provides the embedded store, which is always there.
    if (topology === 'embedded') return indicator.up({ store: 'embedded' });
    // A Cluster answers PING from one master, Sentinel mode from the current master.
    const shape = topology === 'single' ? {} : { topology };
    const started = Date.now();
    try {
      await Promise.race([
        this.client.ping(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 1000 ms')), 1000).unref()),
      ]);
      return indicator.up({ store: 'redis', ...shape, latency_ms: Date.now() - started });
    } catch (error) {
      return indicator.down({ store: 'redis', ...shape, message: `Redis is unreachable: ${(error as Error).message}` });
    }
  }
}
