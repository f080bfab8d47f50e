import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPersistence, PersistenceLogger } from './embedded-persistence';
import { readDataDir } from './embedded-load';
import { MemoryRedis } from './memory-redis';
import { encodeJsonRecord, FileFormat, MAGIC, RecordWriter } from './embedded-records';

type Rec = [time: number, command: string, args: unknown[]];

/** A log file's bytes holding `records`, in either format. */
function logBytes(format: FileFormat, records: Rec[]): Buffer {
  if (format === 'json') return Buffer.from(records.map(([t, c, a]) => encodeJsonRecord(t, c, a)).join(''));
  const w = new RecordWriter();
  w.magic();
  for (const [t, c, a] of records) w.record(t, c, a);
  return w.take();
}

/** One record's bytes (a frame, or a JSON line). */
const recordBytes = (format: FileFormat, record: Rec) => {
  const bytes = logBytes(format, [record]);
  return format === 'json' ? bytes : bytes.subarray(logBytes('binary', []).length);
};

class Lines implements PersistenceLogger {
  readonly lines: string[] = [];
  log = (m: string) => this.lines.push(`log: ${m}`);
  warn = (m: string) => this.lines.push(`warn: ${m}`);
  error = (m: string) => this.lines.push(`error: ${m}`);
}

let dir: string;
let logger: Lines;
const open = (options = {}) => EmbeddedPersistence.open(dir, { logger, ...options });
const logOf = (generation = 0) => join(dir, `appendonly.${generation}.log`);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nono-data-'));
  logger = new Lines();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** One of each data type, as the repositories write them. */
async function writeSample(p: EmbeddedPersistence): Promise<void> {
  const s = p.store;
  await s.set('lock', 'token', 'PX', 60_000, 'NX');
  await s.multi().hset('session', { name: 'Ünïcode "quoted"\nline', count: 2 }).expire('session', 3600).exec();
  await s.rpush('history', '', '{"role":"user","content":"hi"}', 'two');
  await s.rpop('history');
  await s.zadd('index', 5, 'a');
  await s.zadd('index', 1.5, 'b');
  await s.incrby('counter', 41);
  await s.incr('counter');
  await s.hset('gone', 'f', 'v');
  await s.del('gone');
}

async function expectSample(p: EmbeddedPersistence): Promise<void> {
  const s = p.store;
  expect(await s.get('lock')).toBe('token');
  expect(await s.pttl('lock')).toBeGreaterThan(50_000);
  expect(await s.hgetall('session')).toEqual({ name: 'Ünïcode "quoted"\nline', count: '2' });
  expect(await s.pttl('session')).toBeGreaterThan(3_500_000);
  expect(await s.lrange('history', 0, -1)).toEqual(['', '{"role":"user","content":"hi"}']);
  expect(await s.zrevrangebyscore('index', '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, 10)).toEqual(['a', '5', 'b', '1.5']);
  expect(await s.get('counter')).toBe('42');
  expect(await s.exists('gone')).toBe(0);
  expect(await s.pttl('counter')).toBe(-1);
}

describe('the embedded store on disk', () => {
  it('gives back the same data after a clean close and reopen', async () => {
    const first = open();
    await writeSample(first);
    await first.close();
    const second = open();
    await expectSample(second);
    await second.close();
  });

  it('keeps what was written before an unclean stop (records reach the file within the event-loop turn)', async () => {
    const first = open();
    await writeSample(first);
    await new Promise((r) => setImmediate(r));
    // No close(): as after kill -9, only the file is left (the lock of this same process is taken over).
    const copy = mkdtempSync(join(tmpdir(), 'nono-copy-'));
    for (const name of readdirSync(dir)) if (name !== 'lock') writeFileSync(join(copy, name), readFileSync(join(dir, name)));
    await first.close();
    rmSync(dir, { recursive: true });
    dir = copy;
    const second = open();
    await expectSample(second);
    await second.close();
  });

  it('writes what a reply acknowledges to the log before the reply leaves (writeBeforeReplies): its status, body and streamed parts', async () => {
    const p = open();
    /** Whether the files, read as a backup reads them, hold `key` right now. */
    const onDisk = async (key: string) => {
      const copy = new MemoryRedis(readDataDir(dir, logger).db);
      try {
        return (await copy.get(key)) !== null;
      } finally {
        await copy.quit();
      }
    };
    const seen: Array<[string, boolean]> = [];
    const server = createServer((req, res) => {
      p.writeBeforeReplies(res);
      void (async () => {
        if (req.url === '/stream') {
          await p.store.set('first', '1');
          res.write('first\n'); // headers and the first part go out here
          seen.push(['first', await onDisk('first')]);
          await p.store.set('second', '2');
          res.end('second\n');
          seen.push(['second', await onDisk('second')]);
          return;
        }
        await p.store.set('created', 'yes');
        // Within the same turn as the write, so the end-of-turn write has not run yet.
        res.statusCode = 201;
        res.end('done');
        seen.push(['created', await onDisk('created')]);
      })();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${url}/create`)).status).toBe(201);
      expect(await (await fetch(`${url}/stream`)).text()).toBe('first\nsecond\n');
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(seen).toEqual([
      ['created', true],
      ['first', true],
      ['second', true],
    ]);
    await p.close();
  });

  it.each(['binary', 'json'] as const)('keeps TTLs as absolute times: time spent stopped counts, and what expired stays gone (%s log)', async (format) => {
    const now = Date.now();
    writeFileSync(
      logOf(),
      logBytes(format, [
        [now - 10_000, 'set', ['short', 'v', 'PX', 5_000, 'NX']],
        [now - 10_000, 'set', ['long', 'v', 'PX', 60_000, 'NX']],
        [now - 10_000, 'rpush', ['list', 'x']],
        [now - 10_000, 'pexpire', ['list', 30_000]],
        // Ran when "short" had expired, so it created it anew then: replay must do the same.
        [now - 4_000, 'set', ['short', 'again', 'PX', 1_000, 'NX']],
      ]),
    );
    const p = open();
    expect(await p.store.get('short')).toBeNull();
    expect(await p.store.get('long')).toBe('v');
    expect(await p.store.pttl('long')).toBeLessThanOrEqual(50_000);
    expect(await p.store.pttl('long')).toBeGreaterThan(40_000);
    expect(await p.store.pttl('list')).toBeLessThanOrEqual(20_000);
    await p.close();
  });

  it('keeps the records before a truncated last record, moves the damaged part aside and says so', async () => {
    const first = open();
    await writeSample(first);
    await first.close();
    const size = statSync(logOf()).size;
    appendFileSync(logOf(), recordBytes('binary', [Date.now(), 'set', ['late', 'v']]).subarray(0, 20));

    const second = open();
    await expectSample(second);
    expect(await second.store.get('late')).toBeNull();
    await second.close();

    expect(statSync(logOf()).size).toBe(size);
    const aside = readdirSync(dir).filter((name) => name.startsWith('appendonly.0.log.damaged-'));
    expect(aside).toHaveLength(1);
    expect(statSync(join(dir, aside[0])).size).toBe(20);
    const message = logger.lines.find((line) => line.startsWith('error:'));
    expect(message).toContain(`${logOf()} is damaged at byte ${size} of ${size + 20} (the last record is incomplete)`);
    expect(message).toMatch(/Kept the \d+ records before it; moved the rest \(20 bytes, 1 records\) to .*damaged-/);
  });

  it('reads a log of many megabytes, records across read chunks and one larger than a chunk, up to a torn last one', async () => {
    const now = Date.now();
    const text = (n: number, c: string) => `${c}é`.repeat(n);
    const records: Rec[] = [];
    for (let i = 0; i < 3000; i++) records.push([now, 'rpush', ['list', text(1000, String(i % 10))]]);
    records.push([now, 'hset', ['big', new Map([['field', text(3_000_000, 'x')]])]]);
    records.push([now, 'set', ['after', 'yes']]);
    const whole = logBytes('binary', records);
    const torn = recordBytes('binary', [now, 'set', ['late', text(2_000_000, 'y')]]);
    writeFileSync(logOf(), Buffer.concat([whole, torn.subarray(0, 1_500_000)]));

    const p = open();
    expect(await p.store.llen('list')).toBe(3000);
    expect(await p.store.lindex('list', 2999)).toBe(text(1000, '9'));
    expect(await p.store.hget('big', 'field')).toBe(text(3_000_000, 'x'));
    expect(await p.store.get('after')).toBe('yes');
    expect(await p.store.exists('late')).toBe(0);
    await p.close();
    expect(statSync(logOf()).size).toBe(whole.length);
    expect(logger.lines.join('\n')).toContain(`damaged at byte ${whole.length} of ${whole.length + 1_500_000} (the last record is incomplete)`);
  });

  it.each(['binary', 'json'] as const)('stops at a record whose checksum fails: earlier records kept, the rest moved aside (%s log)', async (format) => {
    const now = Date.now();
    const good = logBytes(format, [[now, 'set', ['a', '1']]]);
    const bad = Buffer.from(recordBytes(format, [now, 'set', ['b', '2']]));
    bad[bad.lastIndexOf('2')] = '3'.charCodeAt(0);
    writeFileSync(logOf(), Buffer.concat([good, bad, recordBytes(format, [now, 'set', ['c', '3']])]));
    const p = open();
    expect(await p.store.get('a')).toBe('1');
    expect(await p.store.exists('b', 'c')).toBe(0);
    // Writes after the damage go on in the cut log and survive the next start.
    await p.store.set('d', '4', 'NX');
    await p.close();
    expect(logger.lines.join('\n')).toContain(`damaged at byte ${good.length} of`);
    expect(logger.lines.join('\n')).toContain('(checksum mismatch). Kept the 1 records before it; moved the rest');
    const again = open();
    expect(await again.store.get('d')).toBe('4');
    await again.close();
  });

  it('compaction keeps the data, drops expired keys and starts an empty log', async () => {
    const p = open({ compactMinBytes: 0 });
    await writeSample(p);
    await p.store.set('soon', 'x', 'PX', 1, 'NX');
    for (let i = 0; i < 2500; i++) await p.store.rpush('history', `message ${i}`);
    await new Promise((r) => setTimeout(r, 5));
    const compacted = p.compact();
    // Written while the snapshot is being written: goes to the new log.
    await p.store.rpush('history', 'during');
    await compacted;
    expect(existsSync(logOf(0))).toBe(false);
    expect(readFileSync(logOf(1), 'utf8')).toContain('during');
    const snapshot = readFileSync(join(dir, 'snapshot.db'), 'utf8');
    expect(snapshot).not.toContain('soon');
    await p.store.rpush('history', 'after');
    await p.close();

    const again = open();
    const history = await again.store.lrange('history', 0, -1);
    expect(history).toHaveLength(2 + 2500 + 2);
    expect(history.slice(-3)).toEqual(['message 2499', 'during', 'after']);
    expect(await again.store.get('lock')).toBe('token');
    expect(await again.store.hgetall('session')).toEqual({ name: 'Ünïcode "quoted"\nline', count: '2' });
    await again.close();
  });

  it('replays logs a compaction left behind after the snapshot, and drops those the snapshot holds', async () => {
    const p = open({ compactMinBytes: 0 });
    await p.store.rpush('list', 'a');
    await p.compact();
    await p.store.rpush('list', 'b');
    await p.close();
    // As if the process died between writing the snapshot and removing the log it covers.
    writeFileSync(logOf(0), logBytes('binary', [[Date.now(), 'rpush', ['list', 'a']]]));
    const again = open();
    expect(await again.store.lrange('list', 0, -1)).toEqual(['a', 'b']);
    expect(existsSync(logOf(0))).toBe(false);
    await again.close();
  });

  it('logs a transaction as one record: a torn last record drops all of it, never a part', async () => {
    const p = open();
    await p.store.set('before', '1');
    const size = () => statSync(logOf()).size;
    await new Promise((r) => setImmediate(r));
    const beforeTx = size();
    await p.store.multi().rpush('list', 'a', 'b').hset('hash', 'f', 'v').expire('hash', 60).exec();
    // A transaction that only reads adds nothing.
    await p.store.multi().lrange('list', 0, -1).hgetall('hash').exec();
    await p.close();
    const afterTx = size();
    // Cut inside the transaction's record, after its first command's bytes.
    const bytes = readFileSync(logOf());
    expect(bytes.subarray(beforeTx, afterTx).includes('f')).toBe(true);
    writeFileSync(logOf(), bytes.subarray(0, afterTx - 6));
    const again = open();
    expect(await again.store.get('before')).toBe('1');
    expect(await again.store.exists('list', 'hash')).toBe(0);
    await again.close();
    expect(logger.lines.join('\n')).toContain(`damaged at byte ${beforeTx} of ${afterTx - 6} (the last record is incomplete). Kept the 1 records`);
  });

  it('writes a burst within one event-loop turn once a megabyte is pending, not only at its end', async () => {
    const p = open();
    const big = 'x'.repeat(100_000);
    for (let i = 0; i < 15; i++) await p.store.rpush('big', big);
    // Still the same turn (only promises in between), and already in the file.
    expect(statSync(logOf()).size).toBeGreaterThan(1_000_000);
    await p.close();
  });

  it('loads a DATA_DIR written in the JSON-lines format, continues in a new binary log, and compacts it into a binary snapshot', async () => {
    const now = Date.now();
    writeFileSync(
      join(dir, 'snapshot.db'),
      logBytes('json', [
        [now, '#snapshot', [{ log: 3 }]],
        [now, 'hset', ['session', { name: 'old', count: '1' }]],
        [now, 'rpush', ['history', 'one']],
        [now, 'pexpire', ['session', 600_000]],
      ]),
    );
    writeFileSync(logOf(3), logBytes('json', [[now, 'rpush', ['history', 'two']], [now, 'zadd', ['index', 2, 'a']]]));
    const p = open({ compactMinBytes: 0 });
    expect(await p.store.lrange('history', 0, -1)).toEqual(['one', 'two']);
    await p.store.rpush('history', 'three');
    await new Promise((r) => setImmediate(r));
    expect(readFileSync(logOf(4)).subarray(0, MAGIC.length)).toEqual(MAGIC);
    expect(readFileSync(logOf(3), 'utf8')).not.toContain('three');
    await p.close();

    const again = open({ compactMinBytes: 0 });
    expect(await again.store.lrange('history', 0, -1)).toEqual(['one', 'two', 'three']);
    await again.compact();
    await again.close();
    expect(readFileSync(join(dir, 'snapshot.db')).subarray(0, MAGIC.length)).toEqual(MAGIC);
    expect(readdirSync(dir).filter((n) => n.startsWith('appendonly.'))).toEqual(['appendonly.5.log']);
    const third = open();
    expect(await third.store.lrange('history', 0, -1)).toEqual(['one', 'two', 'three']);
    expect(await third.store.hgetall('session')).toEqual({ name: 'old', count: '1' });
    expect(await third.store.pttl('session')).toBeGreaterThan(500_000);
    expect(await third.store.zrevrangebyscore('index', '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, 10)).toEqual(['a', '2']);
    await third.close();
  });

  it('reads a DATA_DIR in use without changing it: no lock taken, a damaged tail left where it is and reported', async () => {
    const p = open({ compactMinBytes: 0 });
    await writeSample(p);
    await p.compact();
    await p.store.set('after', 'compaction');
    await new Promise((r) => setImmediate(r));
    // While p holds the directory:
    const read = readDataDir(dir, logger);
    const copy = new MemoryRedis(read.db);
    await expectSample({ store: copy } as unknown as EmbeddedPersistence);
    expect(await copy.get('after')).toBe('compaction');
    await copy.quit();
    await p.close();

    appendFileSync(logOf(1), recordBytes('binary', [Date.now(), 'set', ['late', 'v']]).subarray(0, 20));
    const files = () => readdirSync(dir).map((name) => `${name}:${statSync(join(dir, name)).size}`).sort();
    const listed = files();
    const quietly = readDataDir(dir, logger);
    expect(quietly.db.data.has('after')).toBe(true);
    expect(files()).toEqual(listed);
    expect(logger.lines.filter((l) => l.startsWith('warn:') || l.startsWith('error:'))).toEqual([]);

    // A log missing between the snapshot and a later one: the snapshot was replaced meanwhile, read again, then give up.
    writeFileSync(logOf(2), logBytes('binary', []));
    rmSync(logOf(1));
    expect(() => readDataDir(dir, logger)).toThrow(/kept changing while being read/);
  });

  it('refuses a DATA_DIR another running process holds, naming it', () => {
    writeFileSync(join(dir, 'lock'), `${process.ppid}\n`);
    expect(() => open()).toThrow(`DATA_DIR ${dir} is in use by another running nono-chat (pid ${process.ppid}`);
  });

  it('refuses a DATA_DIR this process already has open, and frees it on close', async () => {
    const p = open();
    expect(() => open()).toThrow(/is in use/);
    await p.close();
    expect(existsSync(join(dir, 'lock'))).toBe(false);
    await open().close();
  });

  it('takes over the lock of a process that is no longer running', async () => {
    writeFileSync(join(dir, 'lock'), '2147483646\n');
    const p = open();
    expect(readFileSync(join(dir, 'lock'), 'utf8').trim()).toBe(String(process.pid));
    await p.close();
  });
});
