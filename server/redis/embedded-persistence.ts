import type { ServerResponse } from 'node:http';
import { closeSync, fsync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, statSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { lockDataDir } from './data-dir-lock';
import { MAGIC, RecordWriter } from './embedded-records';
import { loadDataDir, logFile, SNAPSHOT_FILE } from './embedded-load';
import { captureData, snapshotChunks } from './embedded-snapshot';
import { Database } from './memory-data';
import { MemoryRedis, WriteCommand } from './memory-redis';

export interface PersistenceLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface PersistenceOptions {
  logger: PersistenceLogger;
  /**
   * The log is compacted into a snapshot once it is larger than this and than the snapshot
   * (default 64 MB, Redis' `auto-aof-rewrite-min-size`): each rewrite re-encodes all the data, so
   * small stores are not rewritten every few megabytes, and a start never replays more than this
   * or one snapshot's worth of log.
   */
  compactMinBytes?: number;
  /** How often written records are fsynced (Redis' `appendfsync everysec`). */
  fsyncIntervalMs?: number;
}

const fsyncAsync = promisify(fsync);

/** Pending bytes that are written at once rather than at the end of the event-loop turn. */
const WRITE_AT_BYTES = 1 << 20;

/**
 * Keeps the embedded store's data in a directory: every write command is appended to a log
 * (`appendonly.<n>.log`, embedded-records.ts: one record per transaction or command, encoded into
 * one buffer; all records of an event-loop turn written together at its end, or sooner once a
 * megabyte is pending; fsynced once a second) and from time to time the live data is rewritten as
 * `snapshot.db` and the log started afresh. On open, the snapshot and the logs after it are
 * replayed (embedded-load.ts). Clean shutdown (close()) writes and fsyncs everything.
 *
 * What a reply acknowledges is in the log before the reply leaves (writeBeforeReplies, as Redis
 * writes its AOF buffer before it answers): kill -9 loses no acknowledged write, and a backup
 * started after a reply, which reads the files of the running server, holds what it acknowledged.
 * Writes no reply waits for (background work) can be missing after kill -9 by the last event-loop
 * turn's; after a power loss the last second's.
 */
export class EmbeddedPersistence {
  readonly store: MemoryRedis;
  private readonly db: Database;
  private fd: number;
  private generation: number;
  /** Bytes of log since the snapshot (compaction's measure). */
  private logBytes: number;
  /** Bytes in the current log file (where a failed write is cut back to). */
  private written: number;
  private snapshotBytes: number;
  /** Room for what is written at once, so a busy store does not grow the buffer again every second. */
  private readonly pending = new RecordWriter(WRITE_AT_BYTES + (WRITE_AT_BYTES >> 2));
  private flushScheduled = false;
  private unsynced = false;
  private writeFailing = false;
  private compacting?: Promise<void>;
  /** The once-a-second fsync while it runs (the file is closed only after it). */
  private syncing?: Promise<void>;
  private readonly timer: NodeJS.Timeout;
  private readonly compactMinBytes: number;
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly release: () => void,
    private readonly logger: PersistenceLogger,
    options: PersistenceOptions,
  ) {
    const loaded = loadDataDir(dir, logger);
    this.db = loaded.db;
    this.store = new MemoryRedis(this.db);
    this.generation = loaded.generation;
    this.logBytes = loaded.logBytes;
    this.snapshotBytes = loaded.snapshotBytes;
    this.fd = openSync(logFile(dir, this.generation), 'a');
    this.written = statSync(logFile(dir, this.generation)).size;
    if (this.written === 0) this.written = writeMagic(this.fd);
    this.compactMinBytes = options.compactMinBytes ?? 64 * 1024 * 1024;
    this.db.onWrite = (command, args) => this.append(command, args);
    this.db.onTransaction = (phase) => this.transaction(phase);
    this.timer = setInterval(() => this.tick(), options.fsyncIntervalMs ?? 1000);
    this.timer.unref();
    this.summary = `${this.db.data.size} keys from ${loaded.records} records in ${loaded.ms} ms`;
  }

  /** What open() loaded, for the start log. */
  readonly summary: string;

  /**
   * Loads `dir` (created if missing) and keeps it up to date from now on. Throws when another
   * running process holds it, or it cannot be created or read.
   */
  static open(dir: string, options: PersistenceOptions): EmbeddedPersistence {
    const path = resolve(dir);
    try {
      mkdirSync(path, { recursive: true });
    } catch (error) {
      throw new Error(
        `Cannot create DATA_DIR ${path}: ${(error as Error).message}. Set DATA_DIR to a writable directory, ` +
          'DATA_DIR= (empty) to keep data in memory only, or REDIS_URL.',
      );
    }
    const release = lockDataDir(path);
    try {
      return new EmbeddedPersistence(path, release, options.logger, options);
    } catch (error) {
      release();
      throw error;
    }
  }

  private append(command: WriteCommand, args: unknown[]): void {
    if (this.pending.inFrame) {
      this.pending.command(command, args);
      return;
    }
    this.pending.record(this.db.now(), command, args);
    this.recorded();
  }

  /** A transaction's writes go into one record (nothing when it wrote nothing). */
  private transaction(phase: 'begin' | 'end'): void {
    if (phase === 'begin') this.pending.begin(this.db.now());
    else if (this.pending.end()) this.recorded();
  }

  private recorded(): void {
    if (this.pending.size >= WRITE_AT_BYTES && !this.writeFailing) this.flush();
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /**
   * Makes `res` write the pending records to the log before any of its bytes are sent (status line
   * and headers included), so a client never learns of a write the files do not hold yet. Costs a
   * size check per reply when nothing is pending; while writing fails, the once-a-second retry is
   * left to do it (the reply is not held back: the data is in memory, as the error log says).
   */
  writeBeforeReplies(res: ServerResponse): void {
    const { writeHead, write, end } = res;
    const persistence = this;
    const before = () => {
      if (persistence.pending.size > 0 && !persistence.writeFailing) persistence.flush();
    };
    // Node sends the headers of a reply without an explicit writeHead through this.writeHead too.
    res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      before();
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as ServerResponse['writeHead'];
    res.write = function (this: ServerResponse, ...args: unknown[]) {
      before();
      return (write as (...a: unknown[]) => boolean).apply(this, args);
    } as ServerResponse['write'];
    res.end = function (this: ServerResponse, ...args: unknown[]) {
      before();
      return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as ServerResponse['end'];
  }

  /** Writes pending records to the log (into the OS; the fsync follows within a second). */
  flush(): void {
    this.flushScheduled = false;
    if (this.pending.size === 0) return;
    const bytes = this.pending.bytes();
    try {
      for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done);
    } catch (error) {
      this.writeFailed(error as Error, bytes.length);
      return;
    }
    this.pending.clear();
    this.logBytes += bytes.length;
    this.written += bytes.length;
    this.unsynced = true;
    if (this.writeFailing) this.logger.log(`Writing ${this.currentLog()} works again`);
    this.writeFailing = false;
  }

  /** Keeps the records (retried on the next flush) and cuts any half-written one off the log. */
  private writeFailed(error: Error, bytes: number): void {
    try {
      ftruncateSync(this.fd, this.written);
    } catch {
      // the retry rewrites the records anyway; a torn tail is caught on the next start
    }
    if (!this.writeFailing) {
      this.logger.error(`Cannot write ${bytes} bytes to ${this.currentLog()}: ${error.message}. Data is kept in memory and retried every second.`);
    }
    this.writeFailing = true;
  }

  private currentLog(): string {
    return logFile(this.dir, this.generation);
  }

  private tick(): void {
    this.flush();
    this.pending.shrink();
    // One fsync at a time: a slow disk makes the next one wait for its tick.
    if (this.unsynced && !this.syncing) {
      this.unsynced = false;
      const file = this.currentLog();
      this.syncing = fsyncAsync(this.fd)
        .catch((error: Error) => this.logger.error(`fsync of ${file} failed: ${error.message}`))
        .finally(() => (this.syncing = undefined));
    }
    if (this.shouldCompact()) void this.compact();
  }

  private shouldCompact(): boolean {
    return !this.compacting && !this.writeFailing && this.logBytes > Math.max(this.compactMinBytes, this.snapshotBytes);
  }

  /**
   * Rewrites the live data as the snapshot and starts a new log. The data is captured in one
   * synchronous step (so it matches the log switch exactly); writing it happens in the background.
   */
  compact(): Promise<void> {
    this.compacting ??= this.writeSnapshot()
      .catch((error: Error) => this.logger.error(`Compaction failed, the log keeps growing: ${error.message}`))
      .finally(() => (this.compacting = undefined));
    return this.compacting;
  }

  private async writeSnapshot(): Promise<void> {
    this.flush();
    const next = this.generation + 1;
    const time = this.db.now();
    let copies: ReturnType<typeof captureData>;
    try {
      copies = captureData(this.db, time);
    } catch (error) {
      this.logger.error(`Compaction skipped, the log keeps growing: ${(error as Error).message}`);
      return;
    }
    const previous = this.fd;
    const fd = openSync(logFile(this.dir, next), 'a'); // throws before anything changed
    let header: number;
    try {
      header = writeMagic(fd);
    } catch (error) {
      closeSync(fd);
      await unlink(logFile(this.dir, next)).catch(() => undefined);
      this.logger.error(`Compaction skipped, the log keeps growing: ${(error as Error).message}`);
      return;
    }
    this.fd = fd;
    this.generation = next;
    this.logBytes = 0;
    this.written = header;
    await this.syncing; // an fsync of `previous` still running must end before it is closed
    await fsyncAsync(previous)
      .catch((error: Error) => this.logger.error(`fsync of ${logFile(this.dir, next - 1)} failed: ${error.message}`))
      .finally(() => closeSync(previous));
    const tmp = join(this.dir, `${SNAPSHOT_FILE}.tmp`);
    try {
      this.snapshotBytes = await writeDurably(tmp, snapshotChunks(copies, time, next));
      await rename(tmp, join(this.dir, SNAPSHOT_FILE));
      syncDir(this.dir);
    } catch (error) {
      // The old snapshot and every log since are still there, so nothing is lost.
      this.logger.error(`Compaction failed, the log keeps growing: ${(error as Error).message}`);
      await unlink(tmp).catch(() => undefined);
      return;
    }
    for (const old of olderLogs(this.dir, next)) await unlink(join(this.dir, old)).catch(() => undefined);
  }

  /** Writes and fsyncs everything, and frees DATA_DIR for the next process. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.compacting;
    await this.syncing;
    this.flush();
    this.db.onWrite = undefined;
    this.db.onTransaction = undefined;
    try {
      fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
      this.release();
    }
  }
}

/** The header of a new log file; its size. */
function writeMagic(fd: number): number {
  for (let done = 0; done < MAGIC.length; ) done += writeSync(fd, MAGIC, done);
  return MAGIC.length;
}

/** Writes the chunks (encoded one at a time, so requests are served in between), then fsyncs. */
async function writeDurably(file: string, chunks: Iterable<Buffer>): Promise<number> {
  const handle = await open(file, 'w');
  let bytes = 0;
  try {
    for (const chunk of chunks) {
      for (let done = 0; done < chunk.length; ) done += (await handle.write(chunk, done)).bytesWritten;
      bytes += chunk.length;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  return bytes;
}

/** Makes a rename in `dir` durable. */
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function olderLogs(dir: string, generation: number): string[] {
  return readdirSync(dir).filter((name) => {
    const match = /^appendonly\.(\d+)\.log$/.exec(name);
    return match !== null && Number(match[1]) < generation;
  });
}
