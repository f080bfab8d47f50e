import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { LiveEventsService } from './live-events.service';
import { SseConnectionsService } from './sse-connections.service';
import { SseStream } from './sse-stream';

/** GET /api/events: one identity's live events as SSE until the client leaves. */
@Injectable()
export class LiveEventsStreamService {
  constructor(
    private readonly events: LiveEventsService,
    private readonly connections: SseConnectionsService,
  ) {}

  async follow(userId: string, res: Response): Promise<void> {
    const stream = new SseStream(res);
    this.connections.track(stream);
    const stop = await this.events.listen(userId, (type, json) => stream.write(`event: ${type}\ndata: ${json}\n\n`));
    stream.onClose(stop);
    stream.event('ready', {});
  }
}
