import { Injectable, Logger } from '@nestjs/common';
import { RedisKeys } from '../redis/redis-keys';
import type { LiveEventDto } from './dto/live-event.dto';
import { PubSubService } from './pubsub.service';
import type { StoreTransaction } from '../redis/store';

/** "type\njson" per event, one per line pair: JSON text never holds a raw newline. */
function messageOf(events: LiveEventDto[]): string {
  let message = '';
  for (const event of events) message += `${message ? '\n' : ''}${event.type}\n${JSON.stringify(event)}`;
  return message;
}

/**
 * Announces changes to an identity's sessions to all its open tabs, on every instance: one pub/sub
 * channel per identity, subscribed while that identity has a GET /api/events open here.
 */
@Injectable()
export class LiveEventsService {
  private readonly logger = new Logger(LiveEventsService.name);

  constructor(
    private readonly pubsub: PubSubService,
    private readonly keys: RedisKeys,
  ) {}

  /**
   * Fire and forget: a missed announcement never fails the change itself. Several events given
   * together go out in one message (one PUBLISH), in order.
   */
  announce(userId: string, ...events: LiveEventDto[]): void {
    this.pubsub.publish(this.keys.userEvents(userId), messageOf(events)).catch((error: Error) => {
      this.logger.warn(`Could not announce ${events.map((e) => e.type).join(', ')} of ${events[0].session_id}: ${error.message}`);
    });
  }

  /**
   * The same announcement, queued in the caller's transaction: sent with its commands (no write of
   * its own) and heard only once they ran; nothing is announced when the transaction fails.
   */
  announceIn(tx: StoreTransaction, userId: string, ...events: LiveEventDto[]): StoreTransaction {
    return tx.publish(this.keys.userEvents(userId), messageOf(events));
  }

  /** Calls `handler` with each event of this identity (its type and JSON text) until the returned function runs. */
  listen(userId: string, handler: (type: string, json: string) => void): Promise<() => void> {
    return this.pubsub.listen(this.keys.userEvents(userId), (message) => {
      for (let at = 0; at < message.length; ) {
        const cut = message.indexOf('\n', at);
        if (cut <= at) return;
        const end = message.indexOf('\n', cut + 1);
        handler(message.slice(at, cut), message.slice(cut + 1, end < 0 ? message.length : end));
        at = end < 0 ? message.length : end + 1;
      }
    });
  }
}
