import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { SseConnectionsService } from '../events/sse-connections.service';
import { sseEvent, SseStream } from '../events/sse-stream';
import { GenerationFollower } from './generation-follower';
import { LogEntry, TERMINAL_EVENTS } from './generation-log.repository';
import type { GenerationWriter } from './generation-writer';

const ABANDONED = {
  statusCode: 503,
  error: 'Service Unavailable',
  message: 'The server generating this answer went away; the answer was stopped. Regenerate to try again.',
  message_id: null,
};

function entryText([id, event, data]: LogEntry): string {
  return sseEvent(event, data, id);
}

/** Writes a session's generation events to an SSE response, each with its stream entry id as `id:`. */
@Injectable()
export class GenerationStreamer {
  constructor(
    private readonly follower: GenerationFollower,
    private readonly connections: SseConnectionsService,
  ) {}

  /**
   * The request that started a generation gets its events in process, straight from the writer
   * (the same events and ids as the stream has; no store round trip on the way). It may leave at any
   * time: the generation goes on, and GET .../generation resumes it.
   */
  serveLive(res: Response, writer: GenerationWriter, status: number): void {
    const sse = new SseStream(res, status);
    this.connections.track(sse);
    sse.onClose(() => writer.detach());
    writer.attach({ write: (chunk) => sse.write(chunk), end: (last) => sse.end(last) });
  }

  /** Replays the events after `after`, then follows live until the answer ends. False when there is nothing to send. */
  async stream(
    res: Response,
    userId: string,
    sessionId: string,
    after: string | undefined,
    status: number,
    /** A check (e.g. ownership) that runs meanwhile and must pass before anything is written. */
    check: Promise<unknown> = Promise.resolve(),
  ): Promise<boolean> {
    let sse: SseStream | undefined;
    const [checked, followed] = await Promise.allSettled([
      check,
      this.follower.follow(userId, sessionId, after, {
        entry: (entry) => {
          if (TERMINAL_EVENTS.has(entry[1])) sse?.end(entryText(entry));
          else sse?.write(entryText(entry));
        },
        abandoned: () => sse?.end(sseEvent('error', ABANDONED)),
      }),
    ]);
    if (followed.status === 'fulfilled' && checked.status === 'rejected') followed.value.close();
    if (checked.status === 'rejected') throw checked.reason;
    if (followed.status === 'rejected') throw followed.reason;
    const following = followed.value;
    if (following.over && following.replayed.length === 0) return false;
    sse = new SseStream(res, status);
    this.connections.track(sse);
    sse.onClose(() => following.close());
    // The replay goes out in one write; the end with it when the answer is already over.
    const replay = following.replayed.map(entryText).join('');
    if (following.over) sse.end(replay);
    else {
      if (replay) sse.write(replay);
      else sse.flushHeaders();
      following.goLive();
    }
    return true;
  }
}
