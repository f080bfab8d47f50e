import { Global, Module } from '@nestjs/common';
import { LiveEventsController } from './live-events.controller';
import { LiveEventsStreamService } from './live-events-stream.service';
import { LiveEventsService } from './live-events.service';
import { PubSubService } from './pubsub.service';
import { SseConnectionsService } from './sse-connections.service';

/** The instance's subscriber connection, live events (GET /api/events) and its open event streams. */
@Global()
@Module({
  controllers: [LiveEventsController],
  providers: [PubSubService, LiveEventsService, LiveEventsStreamService, SseConnectionsService],
  exports: [PubSubService, LiveEventsService, SseConnectionsService],
})
export class EventsModule {}
