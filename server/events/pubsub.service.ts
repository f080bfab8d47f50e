import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { REDIS_CLIENT } from '../redis/redis.constants';
import type { Store } from '../redis/store';

export type MessageHandler = (message: string) => void;

interface Subscription {
  handlers: Set<MessageHandler>;
  subscribed: Promise<unknown>;
}

/**
 * The instance's one subscriber connection, shared by everything that listens (stops, generation
 * events, live events): channels are subscribed while someone listens and dropped after. ioredis
 * re-subscribes by itself after a reconnect; `onResubscribed` lets listeners catch up on what they
 * missed meanwhile.
 */
@Injectable()
export class PubSubService implements OnModuleDestroy {
  private readonly logger = new Logger(PubSubService.name);
  private subscriber: Store | undefined;
  private readonly channels = new Map<string, Subscription>();
  private readonly reconnectListeners = new Set<() => void>();

  constructor(@Inject(REDIS_CLIENT) private readonly redis: Store) {}

  async publish(channel: string, message: string): Promise<void> {
    await this.redis.publish(channel, message);
  }

  /** Calls `handler` for each message on `channel` from the time the returned promise resolves; returns the unsubscribe. */
  async listen(channel: string, handler: MessageHandler): Promise<() => void> {
    const subscriber = this.connection();
    let entry = this.channels.get(channel);
    if (!entry) {
      entry = { handlers: new Set(), subscribed: subscriber.subscribe(channel) };
      this.channels.set(channel, entry);
    }
    entry.handlers.add(handler);
    try {
      await entry.subscribed;
    } catch (error) {
      this.drop(channel, handler);
      throw error;
    }
    return () => this.drop(channel, handler);
  }

  /** Runs `listener` each time the subscriber connection is back after a drop; returns the removal. */
  onResubscribed(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  private drop(channel: string, handler: MessageHandler): void {
    const entry = this.channels.get(channel);
    if (!entry?.handlers.delete(handler) || entry.handlers.size > 0) return;
    this.channels.delete(channel);
    this.subscriber?.unsubscribe(channel).catch(() => undefined);
  }

  /** Whether the subscriber connection is up now. */
  private subscriberReady = false;

  private connection(): Store {
    if (this.subscriber) return this.subscriber;
    // A subscribed connection can do nothing else; it queues SUBSCRIBE until connected. No reply
    // timeout: a SUBSCRIBE answered late (a busy start) must not drop a channel for good.
    const subscriber = this.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined });
    this.subscriber = subscriber;
    let dropped = false;
    this.subscriberReady = false;
    subscriber.on('error', (error: Error) => this.logger.warn(`Subscriber connection: ${error.message}`));
    subscriber.on('close', () => {
      dropped = true;
      this.subscriberReady = false;
    });
    subscriber.on('ready', () => {
      this.subscriberReady = true;
      if (!dropped) return;
      dropped = false;
      for (const listener of this.reconnectListeners) listener();
    });
    subscriber.on('message', (channel: string, message: string) => {
      const entry = this.channels.get(channel);
      if (entry) for (const handler of entry.handlers) handler(message);
    });
    return subscriber;
  }

  async onModuleDestroy(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    this.channels.clear();
    if (!subscriber) return;
    // QUIT waits for an answer: on a connection that is not up (the store is unreachable) it would
    // wait for ever, queued, since this connection has no reply timeout.
    if (!this.subscriberReady) return subscriber.disconnect();
    try {
      await subscriber.quit();
    } catch {
      subscriber.disconnect();
    }
  }
}
