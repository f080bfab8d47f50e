import { existsSync, fsyncSync, closeSync, openSync, readdirSync, readFileSync, renameSync, statSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { countLines, readRecords, StoreRecord } from './embedded-records';
import { SNAPSHOT_HEADER } from './embedded-snapshot';
import type { PersistenceLogger } from './embedded-persistence';
import { Database } from './memory-data';
import { MemoryRedis, WRITES } from './memory-redis';

export const SNAPSHOT_FILE = 'snapshot.db';

export function logFile(dir: string, generation: number): string {
  return join(dir, `appendonly.${generation}.log`);
}

export interface Loaded {
  db: Database;
  /** The log generation to append to. */
  generation: number;
  logBytes: number;
  snapshotBytes: number;
  records: number;
  ms: number;
}

const writes = new Set<string>(WRITES);
const isWrite = (name: string) => writes.has(name);
const isSnapshotRecord = (name: string) => name === SNAPSHOT_HEADER || writes.has(name);

type Command = (...args: unknown[]) => Promise<unknown>;

/** Runs each record on its own clock, as it ran the first time (errors then are errors now). */
function replay(store: MemoryRedis, records: StoreRecord[], from = 0): void {
  let time = 0;
  store.db.now = () => time;
  for (let i = from; i < records.length; i++) {
    const { command, args } = records[i];
    time = records[i].time;
    (store[command as keyof MemoryRedis] as Command).apply(store, args).catch(() => undefined);
  }
  store.db.now = Date.now;
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

/** Moves `file` from `offset` on to `<file>.damaged-<time>` (durably) and cuts it there. */
function moveAside(file: string, offset: number): { aside: string; bytes: number; lines: number } {
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
  return { aside, bytes: tail.length, lines: countLines(tail) };
}

function logGenerations(dir: string): number[] {
  return readdirSync(dir)
    .map((name) => /^appendonly\.(\d+)\.log$/.exec(name))
    .filter((match) => match !== null)
    .map((match) => Number(match[1]))
    .sort((a, b) => a - b);
}

/** The snapshot's log generation, from its header record (undefined when there is none). */
function snapshotGeneration(records: StoreRecord[]): number | undefined {
  const header = records[0];
  const log = (header?.args[0] as { log?: unknown } | undefined)?.log;
  return header?.command === SNAPSHOT_HEADER && Number.isInteger(log) && (log as number) >= 0 ? (log as number) : undefined;
}

/**
 * Rebuilds the store from `dir`: the snapshot, then every log from the snapshot's generation on.
 * Replay stops at the first damaged record: what came before is kept, the damaged part (and any
 * later log, which builds on it) is moved aside as `*.damaged-<time>`, and the logger says so.
 */
export function loadDataDir(dir: string, logger: PersistenceLogger): Loaded {
  const started = performance.now();
  const db = new Database();
  const store = new MemoryRedis(db);
  let damaged: string | undefined;
  let records = 0;
  const report = (file: string, size: number, kept: number, damage: { offset: number; reason: string }) => {
    const moved = moveAside(file, damage.offset);
    damaged = file;
    logger.error(
      `${file} is damaged at byte ${damage.offset} of ${size} (${damage.reason}). Kept the ${kept} records before it; ` +
        `moved the rest (${moved.bytes} bytes, ${moved.lines} records) to ${moved.aside}.`,
    );
  };

  const snapshot = join(dir, SNAPSHOT_FILE);
  if (existsSync(`${snapshot}.tmp`)) unlinkSync(`${snapshot}.tmp`);
  let generation = 0;
  let snapshotBytes = 0;
  if (existsSync(snapshot)) {
    const size = statSync(snapshot).size;
    const read = readRecords(snapshot, isSnapshotRecord);
    const header = snapshotGeneration(read.records);
    const damage = header === undefined ? { offset: 0, reason: 'no snapshot header' } : read.damage;
    generation = header ?? 0;
    if (header !== undefined) replay(store, read.records, 1);
    snapshotBytes = damage?.offset ?? size;
    records += header === undefined ? 0 : read.records.length - 1;
    if (damage) report(snapshot, size, header === undefined ? 0 : read.records.length - 1, damage);
  }

  let logBytes = 0;
  for (const n of logGenerations(dir)) {
    const file = logFile(dir, n);
    if (existsSync(snapshot) && n < generation) {
      unlinkSync(file); // written into the snapshot already (a compaction ended before removing it)
      continue;
    }
    if (damaged) {
      const moved = moveAside(file, 0);
      logger.error(`Moved ${file} (${moved.bytes} bytes, ${moved.lines} records) to ${moved.aside}: it continues the damaged ${damaged}.`);
      continue;
    }
    const size = statSync(file).size;
    const read = readRecords(file, isWrite);
    replay(store, read.records);
    records += read.records.length;
    logBytes += read.size;
    generation = n;
    if (read.damage) report(file, size, read.records.length, read.damage);
  }
  db.sweep();
  void store.quit();
  return { db, generation, logBytes, snapshotBytes, records, ms: Math.round(performance.now() - started) };
}
