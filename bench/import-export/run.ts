/**
 * Import and export at size: a generated ChatGPT-format conversations.json of SIZE_MB (default 500)
 * is POSTed to /api/import of nono-chat (its own process, a private redis-server), then everything
 * is read back through GET /api/export. Prints messages/s of each and the server's peak RSS during
 * each (target: import ≥ 20,000 messages/s, RSS ≤ 300 MB). The baseline is this process reading
 * and parsing the same file without storing anything (the floor any import pays), so the ratio
 * shows what storing costs on top.
 *
 *   npm run bench:import-export          SIZE_MB=50 for a quick run; RUNS (default 3);
 *                                        BENCH_SKIP_BUILD=1 reuses the last server build
 */
import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonElementSplitter, parseElement } from '../../server/transfer/json-elements';
import { guestIdentity } from '../common/api';
import { buildServer, startNono, startRedis } from '../common/processes';
import { percentile, table } from '../common/stats';
import { writeChatGptFile } from './chatgpt-file';

const SIZE_MB = Number(process.env.SIZE_MB ?? 500);
const RUNS = Number(process.env.RUNS ?? 3);
const MB = 1024 * 1024;

interface Generated {
  conversations: number;
  messages: number;
}

/** The file for this size, generated once and kept in the temp folder for later runs. */
async function benchFile(): Promise<{ path: string } & Generated> {
  const path = join(tmpdir(), `nono-bench-chatgpt-${SIZE_MB}mb.json`);
  const meta = `${path}.meta.json`;
  if (existsSync(path) && existsSync(meta)) return { path, ...(JSON.parse(readFileSync(meta, 'utf8')) as Generated) };
  process.stdout.write(`writing a ${SIZE_MB} MB ChatGPT-format file to ${path} …\n`);
  const counts = await writeChatGptFile(path, SIZE_MB * MB);
  writeFileSync(meta, JSON.stringify(counts));
  return { path, ...counts };
}

/** The server's peak resident memory since the last reset, in MB (Linux: /proc). */
function peakRssMb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

/**
 * CPU seconds (user + system) a process has used so far (Linux: /proc). On a shared machine wall
 * time follows the load; messages per CPU second of the server and of redis-server do not as much.
 */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Starts measuring a new peak (writing 5 to clear_refs resets VmHWM to the current RSS). */
function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

function postFile(url: string, path: string, auth: Record<string, string>): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/import`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json', 'Content-Length': statSync(path).size },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode !== 200) reject(new Error(`import: ${res.statusCode} ${text.slice(0, 500)}`));
        else resolve(JSON.parse(text));
      });
    });
    req.on('error', reject);
    createReadStream(path).pipe(req);
  });
}

/** Reads the whole NDJSON export, counting lines and messages without keeping it. */
async function readExport(url: string, auth: Record<string, string>): Promise<{ sessions: number; bytes: number }> {
  const res = await fetch(`${url}/api/export`, { headers: auth });
  if (!res.ok || !res.body) throw new Error(`export: ${res.status}`);
  let sessions = 0;
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    for (const byte of chunk) if (byte === 0x0a) sessions++;
  }
  return { sessions, bytes };
}

/** The baseline: read and parse the file here, storing nothing. */
async function parseOnly(path: string): Promise<number> {
  const started = performance.now();
  const splitter = new JsonElementSplitter(64 * MB);
  for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024 })) for (const element of splitter.push(chunk as Buffer)) parseElement(element);
  splitter.end();
  return (performance.now() - started) / 1000;
}

/** The heap cap docker-compose.yml gives the server (NODE_OPTIONS): with Redis the process keeps no data of its own. */
const HEAP_CAP = '--max-old-space-size=512';

const median = (xs: number[]) => percentile(xs, 50);
const spread = (xs: number[], digits = 0) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;

async function main(): Promise<void> {
  const file = await benchFile();
  const size = statSync(file.path).size;
  process.stdout.write(`file: ${(size / MB).toFixed(0)} MB, ${file.conversations} conversations, ${file.messages} messages (with branches)\n`);
  const serverMain = buildServer();
  // As docker-compose.yml runs it (BENCH_NONO_NODE_ARGS overrides; "" runs with V8's default heap).
  process.env.BENCH_NONO_NODE_ARGS ??= HEAP_CAP;
  process.stdout.write(`server node options: ${process.env.BENCH_NONO_NODE_ARGS || '(none: V8 default heap)'}\n`);
  const redis = await startRedis();
  const nono = await startNono(serverMain, redis.url, 'http://127.0.0.1:9', {
    LOG_LEVEL: 'warn',
    MAX_SESSIONS_PER_IDENTITY: '0',
    MAX_MESSAGES_PER_SESSION: '0',
  });
  const pid = nono.child.pid!;
  process.stdout.write(`server RSS when started: ${rssMb(pid).toFixed(0)} MB\n`);
  const rows: Array<Record<string, number>> = [];
  try {
    for (let run = 1; run <= RUNS; run++) {
      const baseline = await parseOnly(file.path);
      const { auth } = await guestIdentity(nono.url);
      resetPeak(pid);
      let started = performance.now();
      const [serverCpu, redisCpu] = [cpuSeconds(pid), cpuSeconds(redis.pid)];
      const report = await postFile(nono.url, file.path, auth);
      const importSeconds = (performance.now() - started) / 1000;
      const importRss = peakRssMb(pid);
      const importServerCpu = cpuSeconds(pid) - serverCpu;
      const importRedisCpu = cpuSeconds(redis.pid) - redisCpu;
      if (report.imported !== file.conversations) throw new Error(`imported ${report.imported} of ${file.conversations} conversations`);
      resetPeak(pid);
      started = performance.now();
      const exportCpuBefore = cpuSeconds(pid);
      const exported = await readExport(nono.url, auth);
      const exportSeconds = (performance.now() - started) / 1000;
      const exportRss = peakRssMb(pid);
      const exportServerCpu = cpuSeconds(pid) - exportCpuBefore;
      if (exported.sessions !== file.conversations) throw new Error(`exported ${exported.sessions} of ${file.conversations} sessions`);
      rows.push({
        baseline: file.messages / baseline,
        import: file.messages / importSeconds,
        stored: report.messages / importSeconds,
        importCpu: file.messages / importServerCpu,
        importRedisCpu: file.messages / importRedisCpu,
        importRss,
        export: report.messages / exportSeconds,
        exportCpu: report.messages / exportServerCpu,
        exportRss,
        importSeconds,
        exportSeconds,
      });
      process.stdout.write(
        `run ${run}: import ${importSeconds.toFixed(1)} s (${report.messages} stored; CPU: server ${importServerCpu.toFixed(1)} s, redis ${importRedisCpu.toFixed(1)} s), ` +
          `peak RSS ${importRss.toFixed(0)} MB; load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}; ` +
          `export ${exportSeconds.toFixed(1)} s (${(exported.bytes / MB).toFixed(0)} MB), peak RSS ${exportRss.toFixed(0)} MB\n`,
      );
      await redis.client.flushall();
    }
  } finally {
    await nono.stop();
    await redis.stop();
  }
  const col = (name: string) => rows.map((r) => r[name]);
  const rate = (name: string) => [`${median(col(name)).toFixed(0)}/s`, spread(col(name))];
  const mb = (name: string) => [`${median(col(name)).toFixed(0)} MB`, spread(col(name))];
  process.stdout.write(
    `\n${SIZE_MB} MB ChatGPT file, ${RUNS} runs (median, min–max):\n` +
      table([
        ['', 'median', 'min–max'],
        ['baseline: parse only, messages/s', ...rate('baseline')],
        ['import, messages read/s', ...rate('import')],
        ['import, messages stored/s', ...rate('stored')],
        ['import, messages per server CPU second', ...rate('importCpu')],
        ['import, messages per redis-server CPU second', ...rate('importRedisCpu')],
        ['import, server peak RSS', ...mb('importRss')],
        ['export, messages/s', ...rate('export')],
        ['export, messages per server CPU second', ...rate('exportCpu')],
        ['export, server peak RSS', ...mb('exportRss')],
      ]) +
      `\nimport / baseline: ${(median(col('import')) / median(col('baseline'))).toFixed(2)}` +
      `\ntargets: import ≥ 20000 messages/s (${median(col('import')) >= 20_000 ? 'met' : 'NOT met'}), ` +
      `peak RSS ≤ 300 MB (${Math.max(...col('importRss'), ...col('exportRss')) <= 300 ? 'met' : 'NOT met'})\n`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
