import { Injectable } from '@nestjs/common';
import { PubSubService } from '../events/pubsub.service';
import { compareEntryIds, entryAfter, GenerationLogRepository, LogEntry, TERMINAL_EVENTS } from './generation-log.repository';
import { GenerationsService, LOCK_TTL_MS } from './generations.service';

/** When nothing arrives for this long, the stream is read again (a missed announcement, a gone owner). */
const CHECK_EVERY_MS = 2_000;

export interface FollowSink {
  entry(entry: LogEntry): void;
  /** The generation ended without a last event (its owner is gone). */
  abandoned(): void;
}

export interface Following {
  /** Entries already in the stream after the start point. */
  replayed: LogEntry[];
  /** True when there is nothing more to wait for (the last entry is the answer's end, or no stream). */
  over: boolean;
  /** Starts passing on new entries (those announced while the replay was read come first). */
  goLive(): void;
  close(): void;
}

/**
 * Follows a session's generation stream from any instance. The subscription to its announcements
 * and the read of what is already there go out together, so the replay is ready after one round
 * trip; going live waits for the subscription, reads once more what was written after the replay
 * (an entry announced before the subscription took effect is not lost) and then passes on announced
 * entries newer than the last one delivered (no gap, no duplicate; a start point inside a batch of
 * deltas skips the text up to it). A quiet stream is re-read every CHECK_EVERY_MS.
 */
@Injectable()
export class GenerationFollower {
  constructor(
    private readonly log: GenerationLogRepository,
    private readonly pubsub: PubSubService,
    private readonly generations: GenerationsService,
  ) {}

  async follow(userId: string, sessionId: string, after: string | undefined, sink: FollowSink): Promise<Following> {
    let last = after;
    let live = false;
    let closed = false;
    let quietSince = Date.now();
    const early: LogEntry[] = [];
    const deliver = (entries: LogEntry[]) => {
      for (const entry of entries) {
        if (closed || (last !== undefined && compareEntryIds(entry[0], last) <= 0)) continue;
        const fresh = entryAfter(entry, last);
        last = entry[0];
        quietSince = Date.now();
        sink.entry(fresh);
        if (TERMINAL_EVENTS.has(entry[1])) close();
      }
    };
    let unsubscribe: (() => void) | undefined;
    const listening = this.pubsub.listen(this.log.channel(userId, sessionId), (message) => {
      const entries = parse(message);
      if (live) deliver(entries);
      else early.push(...entries);
    });
    const subscribed = listening.then(
      (stop) => {
        unsubscribe = stop;
        if (closed) stop();
        return true;
      },
      // Without announcements the stream is still re-read every CHECK_EVERY_MS.
      () => false,
    );
    const catchUp = async () => {
      if (closed || !live) return;
      const entries = await this.log.read(userId, sessionId, last).catch(() => []);
      if (entries.length > 0) return deliver(entries);
      const quietFor = Date.now() - quietSince;
      if (quietFor > LOCK_TTL_MS && !(await this.generations.isRunning(userId, sessionId).catch(() => true))) {
        sink.abandoned();
        close();
      }
    };
    const timer = setInterval(() => void catchUp(), CHECK_EVERY_MS);
    timer.unref();
    const stopResync = this.pubsub.onResubscribed(() => void catchUp());
    function close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      stopResync();
      unsubscribe?.();
    }

    let replayed: LogEntry[];
    try {
      replayed = await this.log.read(userId, sessionId, after);
      // `after` may be a delta sent live inside a batch: the batch's first entry resumes after it.
      if (replayed.length > 0) replayed[0] = entryAfter(replayed[0], after);
    } catch (error) {
      close();
      throw error;
    }
    const lastReplayed = replayed.length > 0 ? replayed[replayed.length - 1] : after === undefined ? null : await this.log.last(userId, sessionId);
    const over = lastReplayed === null || TERMINAL_EVENTS.has(lastReplayed[1]);
    if (replayed.length > 0) last = replayed[replayed.length - 1][0];
    if (over) close();
    return {
      replayed,
      over,
      goLive: () => {
        void subscribed.then(async () => {
          if (closed) return;
          // Entries written between the replay's read and the subscription taking effect.
          const gap = await this.log.read(userId, sessionId, last).catch(() => []);
          live = true;
          deliver(gap);
          deliver(early.splice(0));
        });
      },
      close: () => close(),
    };
  }
}

function parse(message: string): LogEntry[] {
  try {
    const entries = JSON.parse(message) as unknown;
    return Array.isArray(entries) ? (entries as LogEntry[]) : [];
  } catch {
    return [];
  }
}
