import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { EntryIdClock, GenerationLogRepository, LogEntry } from './generation-log.repository';

/** Deltas that arrive within this window go out as one stream entry (bounded added latency). */
export const FLUSH_WINDOW_MS = 20;
/** ...or sooner once this many are waiting. */
const FLUSH_MAX_DELTAS = 64;
/** How long the last events of an answer keep being retried while the store is away. */
export const FINAL_WRITE_RETRY_MS = 10_000;

const logger = new Logger('GenerationWriter');

/**
 * Writes one generation's events to its stream in batches: deltas are merged for up to
 * FLUSH_WINDOW_MS (or FLUSH_MAX_DELTAS), one MULTI per batch, never two writes in flight. While the
 * store is away nothing is dropped: the batch waits and is retried with backoff.
 */
export class GenerationWriter {
  private readonly clock = new EntryIdClock();
  private pending: LogEntry[] = [];
  private text = '';
  private deltas = 0;
  private timer?: NodeJS.Timeout;
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

  /** Starts the stream with its first event; the caller waits for it (followers read from here). */
  async start(event: string, data: unknown): Promise<void> {
    await this.log.start(this.userId, this.sessionId, [[this.clock.next(), event, JSON.stringify(data)]]);
    this.writes++;
  }

  delta(text: string): void {
    this.text += text;
    // The first text goes out at once (time to first token is what people notice); later deltas
    // are merged for up to FLUSH_WINDOW_MS.
    const first = !this.sentText;
    this.sentText = true;
    if (first || ++this.deltas >= FLUSH_MAX_DELTAS) this.schedule(0);
    else this.schedule(FLUSH_WINDOW_MS);
  }

  /** Writes what is left plus the last event, retrying for up to FINAL_WRITE_RETRY_MS; false when it could not. */
  async finish(event: string, data: unknown): Promise<boolean> {
    this.finishing = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
    this.takeText();
    this.pending.push([this.clock.next(), event, JSON.stringify(data)]);
    const deadline = Date.now() + FINAL_WRITE_RETRY_MS;
    for (let wait = 50; ; wait = Math.min(wait * 2, 1000)) {
      if (await this.write(true)) return true;
      if (Date.now() + wait > deadline) return false;
      await sleep(wait);
    }
  }

  private schedule(delayMs: number): void {
    // After finish() began, only it writes (a flush queued just before must not race it).
    if (this.writing || this.finishing) return;
    if (this.timer && delayMs > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writing = this.flush().finally(() => (this.writing = undefined));
    }, delayMs);
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
    this.pending.push([this.clock.next(), 'delta', `{"text":${JSON.stringify(this.text)}}`]);
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
