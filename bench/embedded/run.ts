/**
 * The embedded store with persistence (DATA_DIR) vs. without (memory only) vs. Redis on this
 * machine, through the SessionsRepository the app uses (no HTTP, so the store's share of the cost
 * is what shows). Five rounds, the three stores in rotating order each round, so machine noise
 * hits all of them alike, each after a full garbage collection (the npm script passes --expose-gc); prints medians and min–max of the rate (wall clock) and of this
 * process's CPU time per append (user + system, so the log's write() calls count; steadier than the
 * rate on a busy machine; for Redis it leaves out the Redis server's own CPU). Then the start-up cost of 100,000 stored
 * messages: the store's load alone (log only, and after compaction into a snapshot), the compaction, and the whole
 * server (dist/server/main.js, when built) until /health/live answers.
 *
 *   npm run bench:embedded
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sessionsSettings } from '../../server/config/config';
import { EmbeddedPersistence, PersistenceLogger } from '../../server/redis/embedded-persistence';
import { MemoryRedis } from '../../server/redis/memory-redis';
import { createRedisClient, waitUntilReady } from '../../server/redis/redis.module';
import { RedisKeys } from '../../server/redis/redis-keys';
import type { Store } from '../../server/redis/store';
import type { StoredMessage } from '../../server/sessions/session.model';
import { SessionsRepository } from '../../server/sessions/sessions.repository';
import { startRedis } from '../sessions-list/redis-server';
import { table } from '../common/stats';
import { startServerProcess } from '../../test/support/server-process';

const ROUNDS = 5;
const LOAD_ROUNDS = 3;
const SESSIONS = 8; // one worker per session, all at once
const APPENDS = 10_000; // per store per round, one message each
const READS = 4_000; // history pages of 50
const STORED = 100_000; // messages for the start-up measurement
const CONTENT = 'A sentence of an ordinary chat message, repeated to a typical length. '.repeat(6);

const log = (text: string) => process.stdout.write(`${text}\n`);
const quiet: PersistenceLogger = { log: () => undefined, warn: log, error: log };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Opened {
  store: Store;
  close(): Promise<void>;
}

type Kind = 'memory' | 'persistent' | 'redis';

async function open(kind: Kind, redisUrl: string, round: number): Promise<Opened> {
  if (kind === 'memory') {
    const store = new MemoryRedis();
    return { store, close: () => store.quit().then(() => undefined) };
  }
  if (kind === 'persistent') {
    const dir = mkdtempSync(join(tmpdir(), 'nono-bench-'));
    const p = EmbeddedPersistence.open(dir, { logger: quiet });
    return { store: p.store, close: () => p.close().then(() => rmSync(dir, { recursive: true, force: true })) };
  }
  const client = createRedisClient(redisUrl);
  await waitUntilReady(client, 5000);
  const keys = await client.keys(`bench${round}:*`);
  if (keys.length > 0) await client.del(...keys);
  return { store: client, close: () => client.quit().then(() => undefined) };
}

function message(i: number): StoredMessage {
  return { id: `m_${i}`, role: i % 2 ? 'assistant' : 'user', content: `${i} ${CONTENT}`, created_at: Date.now(), persona: 'default' };
}

interface Rate {
  /** Calls per second. */
  perSecond: number;
  /** This process's CPU time per call, µs. */
  cpuMicros: number;
}

/** `total` calls of `call`, spread over one worker per session. */
async function rate(ids: string[], total: number, call: (id: string, i: number) => Promise<unknown>): Promise<Rate> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    ids.map(async (id, w) => {
      for (let i = w; i < total; i += ids.length) await call(id, i);
    }),
  );
  // Includes the write() of what the last turn logged.
  await new Promise((resolve) => setImmediate(resolve));
  const used = process.cpuUsage(cpu);
  return { perSecond: total / ((performance.now() - started) / 1000), cpuMicros: (used.user + used.system) / total };
}

interface Result {
  appends: number;
  reads: number;
  appendCpu: number;
}

async function measure(kind: Kind, redisUrl: string, round: number): Promise<Result> {
  // The data an in-process store left behind is garbage now: collect it here, not during the next
  // store's measurement (which would charge whichever store happens to come next).
  global.gc?.();
  const opened = await open(kind, redisUrl, round);
  const repo = new SessionsRepository(opened.store, new RedisKeys({ keyPrefix: `bench${round}` }), sessionsSettings(3600));
  const user = `u_${round}`;
  const ids: string[] = [];
  for (let s = 0; s < SESSIONS; s++) ids.push((await repo.create(user, { display_name: `s${s}`, persona: 'default', metadata: {} })).id);
  const appends = await rate(ids, APPENDS, (id, i) => repo.appendMessages(user, id, [message(i)]));
  const reads = await rate(ids, READS, (id) => repo.listMessages(user, id, 50));
  await opened.close();
  log(
    `  round ${round + 1} ${kind}: ${Math.round(appends.perSecond)} appends/s (${appends.cpuMicros.toFixed(1)} µs CPU each), ` +
      `${Math.round(reads.perSecond)} reads/s`,
  );
  return { appends: appends.perSecond, reads: reads.perSecond, appendCpu: appends.cpuMicros };
}

async function throughput(redisUrl: string): Promise<void> {
  const kinds: Kind[] = ['memory', 'persistent', 'redis'];
  const results = new Map<Kind, Result[]>(kinds.map((k) => [k, []]));
  log('Warm-up (not counted):');
  for (const kind of kinds) await measure(kind, redisUrl, 9);
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < kinds.length; k++) {
      const kind = kinds[(k + round) % kinds.length];
      results.get(kind)!.push(await measure(kind, redisUrl, round));
    }
  }
  const cell = (xs: number[], digits = 0) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
  const base = results.get('memory')!;
  const rows = [
    ['store', 'appends/s median (min–max)', 'CPU µs per append', 'history reads/s median (min–max)', 'appends/s vs memory', 'CPU per append vs memory', 'reads vs memory'],
  ];
  for (const kind of kinds) {
    const r = results.get(kind)!;
    const ratio = (pick: (x: Result) => number) => `${((median(r.map(pick)) / median(base.map(pick)) - 1) * 100).toFixed(0)}%`;
    rows.push([
      kind,
      cell(r.map((x) => x.appends)),
      `${cell(r.map((x) => x.appendCpu), 1)}${kind === 'redis' ? ' (client only)' : ''}`,
      cell(r.map((x) => x.reads)),
      ratio((x) => x.appends),
      kind === 'redis' ? '' : ratio((x) => x.appendCpu),
      ratio((x) => x.reads),
    ]);
  }
  // Per round, persistent against the memory run next to it (same machine state).
  const paired = results.get('persistent')!.map((r, i) => r.appends / base[i].appends - 1);
  const pairedCpu = results.get('persistent')!.map((r, i) => r.appendCpu / base[i].appendCpu - 1);
  const pct = (xs: number[]) => `${(median(xs) * 100).toFixed(0)}% (${(Math.min(...xs) * 100).toFixed(0)}…${(Math.max(...xs) * 100).toFixed(0)}%)`;
  log(`\nThroughput: ${SESSIONS} sessions at once, ${APPENDS} appends (1 message, ~${CONTENT.length} chars) then ${READS} pages of 50, ${ROUNDS} rounds`);
  log(table(rows));
  log(`Persistence, round by round against memory: appends/s ${pct(paired)}, CPU per append ${pct(pairedCpu)}`);
  log('(A round logs ~20 MB, below the 64 MB at which a log is first compacted: the compaction is timed on its own below.)');
}

/** A DATA_DIR holding STORED messages (as the app writes them, two per append), log only. */
async function fill(dir: string): Promise<void> {
  const p = EmbeddedPersistence.open(dir, { logger: quiet, compactMinBytes: Number.MAX_SAFE_INTEGER });
  const repo = new SessionsRepository(p.store, new RedisKeys({ keyPrefix: 'nono' }), sessionsSettings(3600));
  const ids: string[] = [];
  for (let s = 0; s < 20; s++) ids.push((await repo.create('u_fill', { display_name: `s${s}`, persona: 'default', metadata: {} })).id);
  await rate(ids, STORED / 2, (id, i) => repo.appendMessages('u_fill', id, [message(2 * i), message(2 * i + 1)]));
  await p.close();
}

const bytesIn = (dir: string) => readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);

const cpuMs = (used: NodeJS.CpuUsage) => (used.user + used.system) / 1000;

async function timeLoads(dir: string, label: string): Promise<void> {
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < LOAD_ROUNDS; i++) {
    const started = performance.now();
    const before = process.cpuUsage();
    const p = EmbeddedPersistence.open(dir, { logger: quiet, compactMinBytes: Number.MAX_SAFE_INTEGER });
    cpu.push(cpuMs(process.cpuUsage(before)));
    times.push(performance.now() - started);
    if (i === 0) log(`  ${label}: ${(bytesIn(dir) / 1e6).toFixed(1)} MB on disk, loaded ${p.summary}`);
    await p.close();
  }
  const list = (xs: number[]) => xs.map((t) => t.toFixed(0)).join(', ');
  log(`  ${label}: store load median ${median(times).toFixed(0)} ms (${list(times)}); CPU median ${median(cpu).toFixed(0)} ms (${list(cpu)})`);
}

/** The compaction that turns the log into a snapshot (the store goes on serving meanwhile). */
async function timeCompaction(dir: string): Promise<void> {
  const p = EmbeddedPersistence.open(dir, { logger: quiet, compactMinBytes: Number.MAX_SAFE_INTEGER });
  const started = performance.now();
  const before = process.cpuUsage();
  await p.compact();
  const used = cpuMs(process.cpuUsage(before));
  log(`  compaction into a snapshot: ${(performance.now() - started).toFixed(0)} ms, ${used.toFixed(0)} ms CPU of this process (encoding, writes, fsync)`);
  await p.close();
}

async function timeServerStarts(dir: string): Promise<void> {
  const main = join(__dirname, '../../dist/server/main.js');
  if (!existsSync(main)) {
    log('  whole server: skipped (run `npx nest build` first)');
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'nono-bench-cwd-'));
  const env = { DATA_DIR: dir, LOG_LEVEL: 'warn' };
  for (const [label, settings] of [['memory only, empty', { ...env, DATA_DIR: '' }], [`${STORED} messages`, env]] as const) {
    const times: number[] = [];
    for (let i = 0; i < LOAD_ROUNDS; i++) {
      const started = performance.now();
      const server = await startServerProcess(settings, work);
      times.push(performance.now() - started);
      server.child.kill('SIGTERM');
      await server.exited;
    }
    log(`  whole server (${label}): spawn → /health/live median ${median(times).toFixed(0)} ms (${times.map((t) => t.toFixed(0)).join(', ')})`);
  }
  rmSync(work, { recursive: true, force: true });
}

async function startup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nono-bench-100k-'));
  log(`\nStart-up with ${STORED} messages (20 sessions)`);
  await fill(dir);
  // The slowest start for this many messages: a snapshot holds the same data in fewer bytes and
  // records than the log it replaces, so a start after kill -9 (snapshot + the log since) lies
  // between this and the next one.
  await timeLoads(dir, 'log only (no compaction yet)');
  await timeCompaction(dir);
  await timeLoads(dir, 'after compaction (snapshot)');
  await timeServerStarts(dir);
  rmSync(dir, { recursive: true, force: true });
}

/** How fast this machine is right now: decoding 50 MB of UTF-8 (a large part of loading a snapshot). */
function calibrate(): string {
  const bytes = Buffer.alloc(50 << 20, 97);
  const started = performance.now();
  bytes.toString('utf8');
  return `${(performance.now() - started).toFixed(0)} ms to decode 50 MB of UTF-8 now`;
}

async function main(): Promise<void> {
  log(`Embedded store bench, Node ${process.version}, ${new Date().toISOString()} (the machine may be shared: compare within this run only)`);
  log(`Machine: ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)}, ${calibrate()}`);
  const redis = await startRedis();
  try {
    await throughput(redis.url);
  } finally {
    await redis.stop();
  }
  await startup();
  log(`Machine at the end: load average ${loadavg()[0].toFixed(1)}, ${calibrate()}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
