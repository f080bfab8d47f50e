/**
 * Auth + rate limit cost: GET a page of sessions through the bearer guard and a rate limit counted in
 * Redis (the product's app) versus the same handler with both taken out (a bench-only app module),
 * in one run, with the same load generator (autocannon), rounds interleaved. Prints requests/s,
 * latency and each server's CPU time per request; target: the checks cost ≤ 10% of throughput.
 *
 *   npm run bench:auth     (BENCH_CONNECTIONS, BENCH_SECONDS, BENCH_ROUNDS to change the load)
 */
import { cpuMs, RATE_LIMITS_OFF, startNode, startRedis } from '../common/processes';
import { guestIdentity, postJson } from '../common/api';
import { table } from '../common/stats';

interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: Record<string, unknown>) => Promise<CannonResult>;

const SESSIONS = 20;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

interface Target {
  url: string;
  headers: Record<string, string>;
  pid: number;
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const env = {
    ...process.env,
    ...RATE_LIMITS_OFF,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: 'bench',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    // Far above what the run sends, so every request is counted and none refused.
    RATE_LIMIT_SESSIONS_PER_MINUTE: '1000000',
  };
  const start = (mode: string) =>
    startNode(['-r', 'ts-node/register/transpile-only', 'bench/auth/server.ts'], { ...env, BENCH_AUTH_MODE: mode }, /^BENCH_URL=(\S+)/, `${mode} server`);
  const [limited, bare] = [await start('limited'), await start('bare')];
  try {
    const { userId, auth } = await guestIdentity(limited.url);
    for (let i = 0; i < SESSIONS; i++) await postJson(limited.url, '/api/sessions', { display_name: `Session ${i}` }, auth);
    const targets: Record<string, Target> = {
      'without auth + limit': { url: `${bare.url}/bench/sessions`, headers: { 'X-Bench-User': userId }, pid: bare.child.pid! },
      'auth + rate limit': { url: `${limited.url}/bench/sessions`, headers: auth, pid: limited.child.pid! },
      'auth only': { url: `${limited.url}/bench/sessions-auth-only`, headers: auth, pid: limited.child.pid! },
    };
    for (const [name, target] of Object.entries(targets)) {
      const res = await fetch(target.url, { headers: target.headers });
      const body = (await res.json()) as { count: number };
      process.stdout.write(`${name}: ${res.status}, ${body.count} sessions per page, RateLimit-Limit ${res.headers.get('ratelimit-limit') ?? '-'}\n`);
      await autocannon({ url: target.url, headers: target.headers, connections: CONNECTIONS, duration: 2 }); // warm-up
    }
    const results: Record<string, CannonResult[]> = {};
    const cpu: Record<string, number> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, target] of Object.entries(targets)) {
        const before = cpuMs(target.pid);
        (results[name] ??= []).push(await autocannon({ url: target.url, headers: target.headers, connections: CONNECTIONS, duration: SECONDS }));
        cpu[name] = (cpu[name] ?? 0) + cpuMs(target.pid) - before;
      }
    }
    report(results, cpu);
  } finally {
    await limited.stop();
    await bare.stop();
    await redis.stop();
  }
}

function report(results: Record<string, CannonResult[]>, cpu: Record<string, number>): void {
  const rows = [['', 'req/s', 'p50 latency', 'p99 latency', 'CPU/request', 'non-2xx', 'errors']];
  const rps: Record<string, number> = {};
  for (const [name, runs] of Object.entries(results)) {
    const avg = (f: (r: CannonResult) => number) => runs.reduce((n, r) => n + f(r), 0) / runs.length;
    const total = runs.reduce((n, r) => n + r.requests.total, 0);
    rps[name] = avg((r) => r.requests.average);
    rows.push([
      name,
      rps[name].toFixed(0),
      `${avg((r) => r.latency.p50).toFixed(1)} ms`,
      `${avg((r) => r.latency.p99).toFixed(1)} ms`,
      `${((cpu[name] * 1000) / total).toFixed(0)} µs`,
      String(runs.reduce((n, r) => n + r.non2xx, 0)),
      String(runs.reduce((n, r) => n + r.errors, 0)),
    ]);
  }
  const [bare, limited, authOnly] = Object.keys(results);
  const cost = (name: string) => 1 - rps[name] / rps[bare];
  const cpuCost = (name: string) => cpu[name] / sum(results[name]) / (cpu[bare] / sum(results[bare])) - 1;
  const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
  process.stdout.write(`\nGET a page of ${SESSIONS} sessions, ${CONNECTIONS} connections, ${ROUNDS} × ${SECONDS} s each\n${table(rows)}\n`);
  process.stdout.write(
    `\nauth + rate limit cost: ${percent(cost(limited))} of throughput, ${percent(cpuCost(limited))} more CPU per request (target ≤ 10%)\n` +
      `auth alone: ${percent(cost(authOnly))} of throughput, ${percent(cpuCost(authOnly))} more CPU per request\n`,
  );
}

function sum(runs: CannonResult[]): number {
  return runs.reduce((n, r) => n + r.requests.total, 0);
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
