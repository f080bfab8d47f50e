import { Injectable, Logger } from '@nestjs/common';
import { RedisKeys } from '../redis/redis-keys';
import type { LiveEventDto } from './dto/live-event.dto';
import { PubSubService } from './pubsub.service';

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

  /** Fire and forget: a missed announcement never fails the change itself. */
  announce(userId: string, event: LiveEventDto): void {
    this.pubsub.publish(this.keys.userEvents(userId), `${event.type}\n${JSON.stringify(event)}`).catch((error: Error) => {
      this.logger.warn(`Could not announce ${event.type} of ${event.session_id}: ${error.message}`);
    });
  }

  /** Calls `handler` with each event of this identity (its type and JSON text) until the returned function runs. */
  listen(userId: string, handler: (type: string, json: string) => void): Promise<() => void> {
    return this.pubsub.listen(this.keys.userEvents(userId), (message) => {
      const cut = message.indexOf('\n');
      if (cut > 0) handler(message.slice(0, cut), message.slice(cut + 1));
    });
  }
}
