import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { sseEvent } from '../events/sse-stream';
import type { StoreTransaction } from '../redis/store';
import { EntryIdClock, GenerationLogRepository, joinPieces, LogEntry } from './generation-log.repository';

/**
 * Deltas that arrive within this window go out as one stream entry (bounded added latency). Only
 * other tabs and resumes wait for it: the request that started the answer gets each delta at once.
 * At a typical 20 chunks a second that is one XADD and one PUBLISH per 4 chunks (at 100 ms it was
 * per 2: 28 of an answer's ~83 Redis commands for 30 chunks, 16 now).
 */
export const FLUSH_WINDOW_MS = 200;
/** ...or sooner once this many are waiting. */
const FLUSH_MAX_DELTAS = 64;
/** How long the last events of an answer keep being retried while the store is away. */
export const FINAL_WRITE_RETRY_MS = 10_000;

const logger = new Logger('GenerationWriter');

/**
 * One window timer for the batches of every generation in this process: each FLUSH_WINDOW_MS the
 * writers with deltas waiting flush together, in one callback, so their XADDs and PUBLISHes share
 * one write to Redis (auto-pipelining) instead of one write per generation per window. A delta
 * still waits at most FLUSH_WINDOW_MS (the next tick); with many answers running, Redis writes
 * per answer fall from one per window to a fraction of one, each a system call and a reply read.
 */
class FlushTicker {
  private readonly waiting = new Set<() => void>();
  private timer?: NodeJS.Timeout;

  add(flush: () => void): void {
    this.waiting.add(flush);
    this.timer ??= setTimeout(() => this.tick(), FLUSH_WINDOW_MS);
  }

  remove(flush: () => void): void {
    this.waiting.delete(flush);
    if (this.waiting.size === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private tick(): void {
    this.timer = undefined;
    const due = [...this.waiting];
    this.waiting.clear();
    for (const flush of due) flush();
  }
}

const ticker = new FlushTicker();

/** Where the generation's events go live, in this process (the request that started it). */
export interface LiveSink {
  write(chunk: string): void;
  end(last: string): void;
}

/**
 * Writes one generation's events to its stream in batches: deltas are merged for up to
 * FLUSH_WINDOW_MS (or FLUSH_MAX_DELTAS), one write per batch, never two writes in flight. While the
 * store is away nothing is dropped: the batch waits and is retried with backoff.
 *
 * The request that started the generation gets every event at once, in process (`attach`), each
 * delta as its own event with its own id; the stream entry of a batch carries the id of its last
 * delta and the ids and lengths of the others, so a resume after any of them continues exactly
 * where that event ended (no gap, no duplicate).
 */
export class GenerationWriter {
  private readonly clock = new EntryIdClock();
  private pending: LogEntry[] = [];
  private text = '';
  private deltas = 0;
  private pieceIds: string[] = [];
  private pieceLengths: number[] = [];
  private sink?: LiveSink;
  private first = '';
  private timer?: NodeJS.Timeout;
  /** Waiting for the shared window tick (FlushTicker). */
  private ticking = false;
  private writing?: Promise<void>;
  private backoffMs = 50;
  private finishing = false;
  private sentText = false;
  /** Store round trips (MULTIs) this generation made for its events. */
  writes = 0;

  constructor(
    private readonly log: GenerationLogRepository,
    private readonly userId: string,
    private readonly sessionId: string,
  ) {}

  /**
   * Starts the stream with its first event; the caller waits for it (followers read from here).
   * `also`: more commands for the same transaction (see GenerationLogRepository.start).
   */
  async start(event: string, data: unknown, also?: (tx: StoreTransaction) => void): Promise<void> {
    const entry: LogEntry = [this.clock.next(), event, JSON.stringify(data)];
    await this.log.start(this.userId, this.sessionId, [entry], also);
    this.first = sseEvent(entry[1], entry[2], entry[0]);
    this.writes++;
  }

  /** Sends the events from the first one on to `sink` as they happen, until the last one or `detach`. */
  attach(sink: LiveSink): void {
    this.sink = sink;
    sink.write(this.first);
  }

  detach(): void {
    this.sink = undefined;
  }

  delta(text: string): void {
    const id = this.clock.next();
    this.sink?.write(`id: ${id}\nevent: delta\ndata: {"text":${JSON.stringify(text)}}\n\n`);
    this.pieceIds.push(id);
    this.pieceLengths.push(text.length);
    this.text += text;
    // The first text goes to the stream at once (a second tab or a resume shows it without delay);
    // later deltas are merged for up to FLUSH_WINDOW_MS.
    const first = !this.sentText;
    this.sentText = true;
    if (first || ++this.deltas >= FLUSH_MAX_DELTAS) this.schedule(0);
    else this.schedule(FLUSH_WINDOW_MS);
  }

  /** Writes what is left plus the last event, retrying for up to FINAL_WRITE_RETRY_MS; false when it could not. */
  async finish(event: string, data: unknown): Promise<boolean> {
    this.finishing = true;
    this.cancel();
    await this.writing;
    this.takeText();
    const last: LogEntry = [this.clock.next(), event, JSON.stringify(data)];
    this.pending.push(last);
    const sink = this.sink;
    this.sink = undefined;
    sink?.end(sseEvent(last[1], last[2], last[0]));
    const deadline = Date.now() + FINAL_WRITE_RETRY_MS;
    for (let wait = 50; ; wait = Math.min(wait * 2, 1000)) {
      if (await this.write(true)) return true;
      if (Date.now() + wait > deadline) return false;
      await sleep(wait);
    }
  }

  /** A flush after `delayMs`; a full window (the usual case) waits for the shared tick instead. */
  private schedule(delayMs: number): void {
    // After finish() began, only it writes (a flush queued just before must not race it).
    if (this.writing || this.finishing) return;
    if ((this.timer || this.ticking) && delayMs > 0) return;
    this.cancel();
    if (delayMs === FLUSH_WINDOW_MS) {
      this.ticking = true;
      ticker.add(this.due);
    } else this.timer = setTimeout(this.due, delayMs);
  }

  private readonly due = (): void => {
    this.timer = undefined;
    this.ticking = false;
    this.writing = this.flush().finally(() => (this.writing = undefined));
  };

  private cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.ticking) ticker.remove(this.due);
    this.ticking = false;
  }

  private async flush(): Promise<void> {
    this.takeText();
    if (await this.write(false)) this.backoffMs = 50;
    else this.backoffMs = Math.min(this.backoffMs * 2, 1000);
    // What arrived meanwhile (or a failed batch) goes out with the next window.
    if (this.pending.length > 0 || this.text) setImmediate(() => this.schedule(this.pending.length > 0 ? this.backoffMs : FLUSH_WINDOW_MS));
  }

  private takeText(): void {
    if (!this.text) return;
    const ids = this.pieceIds;
    const entry: LogEntry = [ids[ids.length - 1], 'delta', `{"text":${JSON.stringify(this.text)}}`];
    const pieces = joinPieces(ids, this.pieceLengths);
    if (pieces) entry.push(pieces);
    this.pending.push(entry);
    this.pieceIds = [];
    this.pieceLengths = [];
    this.text = '';
    this.deltas = 0;
  }

  private async write(finished: boolean): Promise<boolean> {
    const batch = this.pending;
    if (batch.length === 0) return true;
    try {
      await this.log.append(this.userId, this.sessionId, batch, finished);
    } catch (error) {
      // The batch was written but its reply was lost: its ids are taken, so the retry is refused.
      if (!/equal or smaller/.test((error as Error).message)) {
        logger.warn(`Events of session ${this.sessionId} not written yet (${(error as Error).message}); retrying`);
        return false;
      }
    }
    this.writes++;
    this.pending = this.pending.slice(batch.length);
    return true;
  }
}
