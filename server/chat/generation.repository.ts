import { Inject, Injectable } from '@nestjs/common';
import { PubSubService } from '../events/pubsub.service';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { RedisKeys } from '../redis/redis-keys';
import type { Store } from '../redis/store';

export type StopListener = (userId: string, sessionId: string) => void;

/**
 * The Redis side of "one generation per session, stoppable from any instance": a lock key per
 * session (SET NX PX holding `<instance id>:<random>`, renewed and released only by its owner, each
 * an atomic compare-and-act, see store-scripts.ts), a liveness key per instance, and a pub/sub
 * channel announcing stops.
 */
@Injectable()
export class GenerationRepository {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Store,
    private readonly keys: RedisKeys,
    private readonly pubsub: PubSubService,
  ) {}

  /** True when this caller now holds the session's lock. */
  async acquire(userId: string, sessionId: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.keys.generationLock(userId, sessionId), token, 'PX', ttlMs, 'NX')) === 'OK';
  }

  /** Extends the holder's lock, or takes it again when it expired meanwhile; false when someone else holds it. */
  async renew(userId: string, sessionId: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.renewLock(this.keys.generationLock(userId, sessionId), token, ttlMs)) > 0;
  }

  /** Deletes the lock if `token` still holds it. */
  async release(userId: string, sessionId: string, token: string): Promise<boolean> {
    return (await this.redis.releaseLock(this.keys.generationLock(userId, sessionId), token)) === 1;
  }

  /** The token holding the session's lock, or null. */
  holder(userId: string, sessionId: string): Promise<string | null> {
    return this.redis.get(this.keys.generationLock(userId, sessionId));
  }

  async markAlive(instanceId: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.keys.instanceAlive(instanceId), '1', 'PX', ttlMs);
  }

  async markGone(instanceId: string): Promise<void> {
    await this.redis.del(this.keys.instanceAlive(instanceId));
  }

  async isAlive(instanceId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.instanceAlive(instanceId))) === 1;
  }

  async publishStop(userId: string, sessionId: string): Promise<void> {
    await this.pubsub.publish(this.keys.stopChannel(), JSON.stringify([userId, sessionId]));
  }

  /** Calls `listener` for every stop announced by any instance (including this one). */
  async onStop(listener: StopListener): Promise<void> {
    await this.pubsub.listen(this.keys.stopChannel(), (message) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(message);
      } catch {
        return;
      }
      if (Array.isArray(parsed) && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') listener(parsed[0], parsed[1]);
    });
  }
}
