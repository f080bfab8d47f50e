/**
 * Reading history: GET a 200-message history (the active path of a session that also has 50 side
 * branches: earlier answers regenerated and questions edited) through nono-chat (auth, ownership, TTL renewal, the
 * JSON API shape) versus a bare express + ioredis handler doing the same LRANGE, in one run, with
 * the same load generator (autocannon). Prints the throughput ratio (target ≥ 0.75) and each
 * server's CPU time per request (from /proc), which shows the cost gap even when the load generator,
 * sharing the machine's cores, is what limits throughput.
 *
 *   npm run bench:history      (BENCH_SKIP_BUILD=1 reuses the last build)
 */
import { RedisKeys } from '../../server/redis/redis-keys';
import { buildServer, cpuMs, startFakeModel, startNode, startNono, startRedis } from '../common/processes';
import { table } from '../common/stats';
import { guestIdentity, postJson } from '../common/api';

// autocannon ships no types; only this much of its result is used.
interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  throughput: { average: number };
  non2xx: number;
  errors: number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: Record<string, unknown>) => Promise<CannonResult>;

const MESSAGES = 200;
/** Side branches beside the active path (half regenerated answers, half edited questions). */
const SIDE_BRANCHES = 50;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);

async function main(): Promise<void> {
  const serverMain = buildServer();
  const redis = await startRedis();
  const fake = await startFakeModel({ chunkDelayMs: 0 });
  const nono = await startNono(serverMain, redis.url, fake.url);
  let baseline: Awaited<ReturnType<typeof startNode>> | undefined;
  try {
    const { auth, userId, sessionId } = await fillHistory(nono.url);
    const key = new RedisKeys({ keyPrefix: 'bench', url: redis.url }).messages(userId, sessionId);
    baseline = await startNode(
      // BENCH_PROFILE=<dir>: the baseline's CPU profile too, beside nono-chat's.
      [
        ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []),
        ...['-r', 'ts-node/register/transpile-only', 'bench/history/baseline-server.ts'],
      ],
      { ...process.env, REDIS_URL: redis.url, HISTORY_KEY: key },
      /^BASELINE_URL=(\S+)/,
      'baseline server',
    );
    const targets = {
      baseline: { url: `${baseline.url}/history`, headers: {}, pid: baseline.child.pid! },
      'nono-chat': { url: `${nono.url}/api/sessions/${sessionId}/messages?limit=${MESSAGES}`, headers: auth, pid: nono.child.pid! },
    };
    for (const [name, target] of Object.entries(targets)) {
      const body = await (await fetch(target.url, { headers: target.headers })).text();
      const count = (JSON.parse(body) as { messages: unknown[] }).messages.length;
      process.stdout.write(`${name}: ${count} messages, ${body.length} bytes per response\n`);
      await autocannon({ url: target.url, headers: target.headers, connections: CONNECTIONS, duration: 2 }); // warm-up
    }
    const totals: Record<string, CannonResult[]> = { baseline: [], 'nono-chat': [] };
    const cpu: Record<string, number> = { baseline: 0, 'nono-chat': 0 };
    const redisCpu: Record<string, number> = { baseline: 0, 'nono-chat': 0 };
    // Interleaved, so drift in the machine's load affects both alike.
    for (let round = 0; round < 2; round++) {
      for (const [name, target] of Object.entries(targets)) {
        const before = cpuMs(target.pid);
        const redisBefore = cpuMs(redis.pid);
        totals[name].push(await autocannon({ url: target.url, headers: target.headers, connections: CONNECTIONS, duration: SECONDS }));
        cpu[name] += cpuMs(target.pid) - before;
        redisCpu[name] += cpuMs(redis.pid) - redisBefore;
      }
    }
    report(totals, cpu, redisCpu);
  } finally {
    await baseline?.stop();
    await nono.stop();
    await fake.stop();
    await redis.stop();
  }
}

/** `cpu`, `redisCpu`: ms of CPU each server process, and Redis, used while it was measured. */
function report(totals: Record<string, CannonResult[]>, cpu: Record<string, number>, redisCpu: Record<string, number>): void {
  const rows = [['', 'req/s', 'p50 latency', 'p99 latency', 'MB/s', 'CPU/request', 'Redis CPU/request', 'non-2xx', 'errors']];
  const rps: Record<string, number> = {};
  for (const [name, results] of Object.entries(totals)) {
    const avg = (f: (r: CannonResult) => number) => results.reduce((n, r) => n + f(r), 0) / results.length;
    rps[name] = avg((r) => r.requests.average);
    rows.push([
      name,
      rps[name].toFixed(0),
      `${avg((r) => r.latency.p50).toFixed(1)} ms`,
      `${avg((r) => r.latency.p99).toFixed(1)} ms`,
      (avg((r) => r.throughput.average) / 1e6).toFixed(1),
      `${((cpu[name] * 1000) / results.reduce((n, r) => n + r.requests.total, 0)).toFixed(0)} µs`,
      `${((redisCpu[name] * 1000) / results.reduce((n, r) => n + r.requests.total, 0)).toFixed(0)} µs`,
      String(results.reduce((n, r) => n + r.non2xx, 0)),
      String(results.reduce((n, r) => n + r.errors, 0)),
    ]);
  }
  process.stdout.write(`\nGET a ${MESSAGES}-message history (${SIDE_BRANCHES} side branches), ${CONNECTIONS} connections, 2 × ${SECONDS} s each\n${table(rows)}\n`);
  process.stdout.write(`\nthroughput ratio nono-chat / baseline: ${(rps['nono-chat'] / rps.baseline).toFixed(2)} (target ≥ 0.75)\n`);
}

/**
 * One identity, one session, 200 messages on the active path written through the chat API (100
 * answered turns); in the first 100 turns, every other one also leaves a side branch: its answer
 * regenerated, or its question edited (sent again beside itself).
 */
async function fillHistory(url: string): Promise<{ auth: Record<string, string>; userId: string; sessionId: string }> {
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) => postJson(url, path, body, headers);
  const { userId, auth } = await guestIdentity(url);
  const session = await post('/api/sessions', {}, auth);
  const path = `/api/sessions/${session.session_id}`;
  let lastAnswer: string | null = null;
  let branches = 0;
  for (let i = 0; i < MESSAGES / 2; i++) {
    const content = `Question ${i}: how would you plan a three-day trip with a small budget, good food and some museums?`;
    let turn = await post(`${path}/messages`, { content }, auth);
    if (branches < SIDE_BRANCHES && i % 2 === 0) {
      branches++;
      if (i % 4 === 0) turn = await post(`${path}/regenerate`, {}, auth);
      else turn = await post(`${path}/messages`, { content: `${content} (edited)`, parent_id: lastAnswer }, auth);
    }
    lastAnswer = (turn.assistant_message as { id: string }).id;
  }
  return { auth, userId, sessionId: session.session_id as string };
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
