/**
 * CPU per streamed answer of two nono-chat builds, A/B in one run: both run against the same
 * redis-server and fake model server; their rounds alternate (ABAB…, after a warm-up of each), so
 * a change in the machine's load affects both alike. Medians and spread per build.
 *
 *   BENCH_A=<main.js> BENCH_B=<main.js> node -r ts-node/register/transpile-only bench/stream-overhead/cpu-ab.ts
 *   BENCH_ROUNDS=8 BENCH_STREAMS=50 (arriving evenly over 1 s; 30 chunks 50 ms apart)
 *   BENCH_FIRST_ANSWERS=1: new sessions every round, so each answer is its session's first (as in
 *   run.ts, whose levels take sessions in turn) and also names the session
 *
 * "Writes to Redis" are the socket reads redis-server processed (INFO stats): about one per write
 * of a client, however many commands it carries.
 */
import { Agent } from 'node:http';
import { resolve } from 'node:path';
import { guestIdentity, postJson } from '../common/api';
import { cpuMs, Running, startFakeModel, startNono, startRedis } from '../common/processes';
import { sseRequest } from '../common/sse-client';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 50);
const FIRST_ANSWERS = process.env.BENCH_FIRST_ANSWERS === '1';
const agent = new Agent({ keepAlive: true, maxSockets: Infinity, timeout: 4000 });

interface Build {
  name: string;
  nono: Running;
  auth: Record<string, string>;
  sessions: string[];
  cpu: number[];
  commands: number[];
  writes: number[];
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const fake = await startFakeModel({ chunks: 30, chunkDelayMs: 50 });
  const builds: Build[] = [];
  for (const [name, main] of [['A', process.env.BENCH_A!], ['B', process.env.BENCH_B!]]) {
    const nono = await startNono(resolve(main), redis.url, fake.url);
    const { auth } = await guestIdentity(nono.url);
    const sessions: string[] = [];
    for (let i = 0; i < STREAMS; i++) sessions.push((await postJson(nono.url, '/api/sessions', {}, auth)).session_id as string);
    builds.push({ name: `${name} ${main}`, nono, auth, sessions, cpu: [], commands: [], writes: [] });
  }
  const calls = async () => {
    let total = 0;
    for (const line of (await redis.client.info('commandstats')).split('\n')) {
      const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
      if (m && m[1] !== 'info') total += Number(m[2]);
    }
    return total;
  };
  // Socket reads Redis processed: about one per write a client made (a write carries every
  // command auto-pipelined in its tick); each costs the client a system call.
  const reads = async () => Number(/total_reads_processed:(\d+)/.exec(await redis.client.info('stats'))?.[1] ?? NaN);
  const round = async (b: Build, record: boolean) => {
    if (FIRST_ANSWERS) {
      // New sessions (made before the measurement): every answer is its session's first, which also names the session.
      b.sessions = [];
      for (let i = 0; i < STREAMS; i++) b.sessions.push((await postJson(b.nono.url, '/api/sessions', {}, b.auth)).session_id as string);
    }
    const pid = b.nono.child.pid!;
    const before = cpuMs(pid);
    const commandsBefore = await calls();
    const readsBefore = await reads();
    const runs: Array<Promise<unknown>> = [];
    for (let i = 0; i < STREAMS; i++) {
      runs.push(
        sseRequest({
          url: `${b.nono.url}/api/sessions/${b.sessions[i]}/messages`,
          headers: b.auth,
          body: { content: 'bench message' },
          agent,
          timeoutMs: 60_000,
          onEvent: () => undefined,
        }),
      );
      await new Promise((r) => setTimeout(r, 1000 / STREAMS));
    }
    await Promise.all(runs);
    await new Promise((r) => setTimeout(r, 300)); // the answers' last writes
    if (!record) return;
    b.cpu.push((cpuMs(pid) - before) / STREAMS);
    b.commands.push((await calls()) - commandsBefore);
    b.writes.push((await reads()) - readsBefore - 2);
  };
  for (const b of builds) await round(b, false);
  for (let r = 0; r < ROUNDS; r++) for (const b of r % 2 ? [...builds].reverse() : builds) await round(b, true);
  for (const b of builds) {
    const sorted = [...b.cpu].sort((x, y) => x - y);
    const cmds = [...b.commands].sort((x, y) => x - y);
    const writes = [...b.writes].sort((x, y) => x - y);
    process.stdout.write(
      `${b.name}\n  CPU per answer median ${sorted[sorted.length >> 1].toFixed(2)} ms, min ${sorted[0].toFixed(2)}, max ${sorted[sorted.length - 1].toFixed(2)}` +
        `  (${b.cpu.map((v) => v.toFixed(1)).join(' ')})\n  Redis commands per answer (median round) ${(cmds[cmds.length >> 1] / STREAMS).toFixed(1)},` +
        ` writes to Redis per answer ${(writes[writes.length >> 1] / STREAMS).toFixed(1)}\n`,
    );
  }
  for (const b of builds) await b.nono.stop();
  agent.destroy();
  await fake.stop();
  await redis.stop();
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
