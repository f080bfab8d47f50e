import { existsSync, fsyncSync, closeSync, openSync, readdirSync, readFileSync, renameSync, statSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { countRecords, Damage, FileFormat, FileRead, formatOf, readRecords, StoreRecord } from './embedded-records';
import { SNAPSHOT_HEADER } from './embedded-snapshot';
import type { PersistenceLogger } from './embedded-persistence';
import { Database } from './memory-data';
import type { MemoryCommands } from './memory-commands';
import { MemoryRedis, WRITES } from './memory-redis';

export const SNAPSHOT_FILE = 'snapshot.db';

export function logFile(dir: string, generation: number): string {
  return join(dir, `appendonly.${generation}.log`);
}

export interface Loaded {
  db: Database;
  /** The log generation to append to (a new one when the last log is in the JSON-lines format). */
  generation: number;
  logBytes: number;
  snapshotBytes: number;
  records: number;
  ms: number;
}

const writes = new Set<string>(WRITES);
const isWrite = (name: string) => writes.has(name);
const isSnapshotRecord = (name: string) => name === SNAPSHOT_HEADER || writes.has(name);

type Command = (...args: unknown[]) => unknown;

/**
 * Runs records on their own clock, as they ran the first time (errors then are errors now, and
 * ignored again), as the file is read: set the store's clock with clock() first, and back to
 * Date.now when done. The commands are called directly, without a promise each.
 */
function replayer(store: MemoryRedis): { visit: (records: StoreRecord[]) => void; clock(): void; done(): void } {
  let time = 0;
  const now = () => time;
  const commands = store.commands;
  return {
    visit: (records) => {
      for (const { command, args, time: at } of records) {
        time = at;
        try {
          (commands[command as keyof MemoryCommands] as Command).apply(commands, args);
        } catch {
          // as it failed the first time
        }
      }
    },
    clock: () => (store.db.now = now),
    done: () => (store.db.now = Date.now),
  };
}

function formatOfFile(file: string): FileFormat {
  return formatOf(readFileSync(file)) ?? 'binary';
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

/** Moves `file` from `offset` on to `<file>.damaged-<time>` (durably) and cuts it there. */
function moveAside(file: string, offset: number, format: FileFormat): { aside: string; bytes: number; lines: number } {
  const aside = `${file}.damaged-${stamp()}`;
  const tail = readFileSync(file).subarray(offset);
  if (offset === 0) renameSync(file, aside);
  else {
    const fd = openSync(aside, 'wx');
    try {
      for (let done = 0; done < tail.length; ) done += writeSync(fd, tail, done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    truncateSync(file, offset);
  }
  return { aside, bytes: tail.length, lines: countRecords(tail, format) };
}

function logGenerations(dir: string): number[] {
  return readdirSync(dir)
    .map((name) => /^appendonly\.(\d+)\.log$/.exec(name))
    .filter((match) => match !== null)
    .map((match) => Number(match[1]))
    .sort((a, b) => a - b);
}

/** The snapshot's log generation, from its header record (undefined when it is not one). */
function snapshotGeneration(header: StoreRecord | undefined): number | undefined {
  const fields = header?.args[0];
  const log = fields instanceof Map ? (fields.get('log') as unknown) : (fields as { log?: unknown } | undefined)?.log;
  return header?.command === SNAPSHOT_HEADER && Number.isInteger(log) && (log as number) >= 0 ? (log as number) : undefined;
}

export interface LoadOptions {
  /**
   * Read only (a backup of a DATA_DIR another process may be using): nothing is moved aside,
   * removed or cut; damage is reported and reading stops there. An incomplete last record of the
   * newest log is what a running server may be writing at this moment: it is left out quietly.
   */
  readOnly?: boolean;
}

/**
 * Rebuilds the store from `dir`: the snapshot, then every log from the snapshot's generation on.
 * Replay stops at the first damaged record: what came before is kept, the damaged part (and any
 * later log, which builds on it) is moved aside as `*.damaged-<time>`, and the logger says so.
 */
export function loadDataDir(dir: string, logger: PersistenceLogger, options: LoadOptions = {}): Loaded {
  const readOnly = options.readOnly === true;
  const started = performance.now();
  const db = new Database();
  const store = new MemoryRedis(db);
  const replay = replayer(store);
  replay.clock();
  try {
    const loaded = load(dir, logger, readOnly, db, replay.visit);
    replay.done();
    db.sweep();
    return { ...loaded, ms: Math.round(performance.now() - started) };
  } finally {
    replay.done();
    void store.quit();
  }
}

function load(
  dir: string,
  logger: PersistenceLogger,
  readOnly: boolean,
  db: Database,
  visit: (records: StoreRecord[]) => void,
): Omit<Loaded, 'ms'> {
  let damaged: string | undefined;
  let records = 0;
  const report = (file: string, read: FileRead, kept: number, damage: Damage, last: boolean) => {
    damaged = file;
    if (readOnly) {
      if (last && damage.reason === 'the last record is incomplete') {
        logger.log(`${file}: left out its last ${read.fileSize - damage.offset} bytes, a record still being written or cut short.`);
      } else {
        logger.warn(
          `${file} is damaged at byte ${damage.offset} of ${read.fileSize} (${damage.reason}). Read the ${kept} records before it ` +
            'and nothing after; left the files as they are (the server moves the damaged part aside when it starts).',
        );
      }
      return;
    }
    const moved = moveAside(file, damage.offset, read.format);
    logger.error(
      `${file} is damaged at byte ${damage.offset} of ${read.fileSize} (${damage.reason}). Kept the ${kept} records before it; ` +
        `moved the rest (${moved.bytes} bytes, ${moved.lines} records) to ${moved.aside}.`,
    );
  };

  const snapshot = join(dir, SNAPSHOT_FILE);
  if (!readOnly && existsSync(`${snapshot}.tmp`)) unlinkSync(`${snapshot}.tmp`);
  let generation = 0;
  let snapshotBytes = 0;
  const hasSnapshot = existsSync(snapshot);
  if (hasSnapshot) {
    let header: number | undefined;
    const read = readRecords(snapshot, isSnapshotRecord, (batch) => {
      if (header !== undefined) return visit(batch);
      header = snapshotGeneration(batch[0]);
      return header === undefined || batch.length !== 1 ? 'no snapshot header' : undefined;
    });
    // A file that is not a snapshot at all (or has no records) counts as damaged from its start.
    const damage = header === undefined ? { offset: 0, reason: read.damage?.reason ?? 'no snapshot header' } : read.damage;
    generation = header ?? 0;
    snapshotBytes = damage?.offset ?? read.fileSize;
    const kept = header === undefined ? 0 : read.count - 1;
    records += kept;
    if (damage) report(snapshot, read, kept, damage, false);
  }

  let logBytes = 0;
  let lastFormat: FileFormat = 'binary';
  const generations = logGenerations(dir);
  const firstLog = generations.find((n) => n >= generation);
  if (readOnly && hasSnapshot && !damaged && firstLog !== undefined && firstLog !== generation) {
    // Logs are only removed once a newer snapshot is in place: this one was replaced while being read.
    throw new DataDirChanged();
  }
  for (const [i, n] of generations.entries()) {
    const file = logFile(dir, n);
    if (hasSnapshot && n < generation) {
      if (!readOnly) unlinkSync(file); // written into the snapshot already (a compaction ended before removing it)
      continue;
    }
    if (damaged) {
      if (readOnly) {
        logger.warn(`Left out ${file}: it continues the damaged ${damaged}.`);
        continue;
      }
      const moved = moveAside(file, 0, formatOfFile(file));
      logger.error(`Moved ${file} (${moved.bytes} bytes, ${moved.lines} records) to ${moved.aside}: it continues the damaged ${damaged}.`);
      continue;
    }
    const read = readRecords(file, isWrite, visit);
    records += read.count;
    logBytes += read.size;
    generation = n;
    lastFormat = read.format;
    if (read.damage) report(file, read, read.count, read.damage, i === generations.length - 1);
  }
  // Logs of the JSON-lines format are read, never continued: new records go to a new (binary) log.
  if (lastFormat === 'json' && existsSync(logFile(dir, generation)) && statSync(logFile(dir, generation)).size > 0) generation++;
  return { db, generation, logBytes, snapshotBytes, records };
}

/** Files of the directory were replaced or removed while it was being read (a compaction). */
class DataDirChanged extends Error {}

const READ_ATTEMPTS = 5;

/**
 * The data of `dir` as its files hold it now, read without the lock and without changing anything
 * (for a backup while a server runs). A running server's compaction may replace the snapshot and
 * remove logs meanwhile: then the directory is read again.
 */
export function readDataDir(dir: string, logger: PersistenceLogger): Loaded {
  for (let attempt = 1; ; attempt++) {
    const before = snapshotIdentity(dir);
    try {
      const loaded = loadDataDir(dir, logger, { readOnly: true });
      if (snapshotIdentity(dir) === before) return loaded;
    } catch (error) {
      const vanished = (error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof DataDirChanged;
      if (!vanished) throw error;
    }
    if (attempt === READ_ATTEMPTS) {
      throw new Error(`The files in ${dir} kept changing while being read (compactions of a running server); try again.`);
    }
  }
}

function snapshotIdentity(dir: string): string {
  try {
    const { ino, size, mtimeMs } = statSync(join(dir, SNAPSHOT_FILE));
    return `${ino}:${size}:${mtimeMs}`;
  } catch {
    return 'none';
  }
}
