import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { RedisKeys } from '../redis/redis-keys';
import type { Store } from '../redis/store';

export type StopListener = (userId: string, sessionId: string) => void;

/**
 * The Redis side of "one generation per session, stoppable from any instance": a lock key per
 * session (SET NX PX holding a random token) and a pub/sub channel announcing stops. Extending and
 * releasing check the token and act in one atomic step, so a holder whose lock expired (after a
 * long stall) never extends or deletes the lock someone else took since.
 */
@Injectable()
export class GenerationRepository implements OnModuleDestroy {
  private readonly logger = new Logger(GenerationRepository.name);
  private subscriber: Store | undefined;
  private readonly listeners = new Set<StopListener>();

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Store,
    private readonly keys: RedisKeys,
  ) {}

  /** True when this caller now holds the session's lock. */
  async acquire(userId: string, sessionId: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.keys.generationLock(userId, sessionId), token, 'PX', ttlMs, 'NX')) === 'OK';
  }

  /** Extends the lock while this holder still has it; false when it was lost. */
  async refresh(userId: string, sessionId: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.extendLock(this.keys.generationLock(userId, sessionId), token, ttlMs)) === 1;
  }

  /** Deletes the lock if this holder still has it. */
  async release(userId: string, sessionId: string, token: string): Promise<void> {
    await this.redis.releaseLock(this.keys.generationLock(userId, sessionId), token);
  }

  async isLocked(userId: string, sessionId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.generationLock(userId, sessionId))) === 1;
  }

  async publishStop(userId: string, sessionId: string): Promise<void> {
    await this.redis.publish(this.keys.stopChannel(), JSON.stringify([userId, sessionId]));
  }

  /** Calls `listener` for every stop announced by any instance (including this one). */
  async onStop(listener: StopListener): Promise<void> {
    this.listeners.add(listener);
    if (this.subscriber) return;
    // A subscribed connection can do nothing else, so stops get their own; it queues the
    // SUBSCRIBE until connected and re-subscribes after a reconnect.
    const subscriber = this.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.subscriber = subscriber;
    subscriber.on('error', (error: Error) => this.logger.warn(`Stop channel connection: ${error.message}`));
    subscriber.on('message', (channel: string, message: string) => this.dispatch(channel, message));
    await subscriber.subscribe(this.keys.stopChannel());
  }

  private dispatch(channel: string, message: string): void {
    if (channel !== this.keys.stopChannel()) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (!Array.isArray(parsed) || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string') return;
    for (const listener of this.listeners) listener(parsed[0], parsed[1]);
  }

  async onModuleDestroy(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (!subscriber) return;
    try {
      await subscriber.quit();
    } catch {
      subscriber.disconnect();
    }
  }
}
