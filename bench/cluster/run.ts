/**
 * One Redis versus a local Redis Cluster of three masters (each with a replica), in one run: sends
 * per second (POST a message, non-streaming, to a fast fake model) and session-list pages per second,
 * through one nono-chat instance on each store, with the same load generator (autocannon). Both
 * stores keep an append-only file, as the README recommends. Prints req/s, latency and the stores'
 * CPU time per request (all six cluster nodes summed).
 *
 * On one small machine the cluster's nodes share the cores with the app and the load generator, so
 * this shows the cost of the cluster's extra hops more than its capacity; across machines each
 * master takes a third of the keys.
 *
 *   npm run bench:cluster      (BENCH_SKIP_BUILD=1 reuses the last build)
 */
import { freePort } from '../../test/support/ports';
import { startLocalCluster } from '../../test/support/redis-cluster';
import { RedisProcesses } from '../../test/support/redis-processes';
import { guestIdentity, postJson } from '../common/api';
import { buildServer, cpuMs, Running, startFakeModel, startNono } from '../common/processes';
import { table } from '../common/stats';

// autocannon ships no types; only this much of its result is used.
interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}
interface CannonClient {
  setRequests(requests: Array<Record<string, unknown>>): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: Record<string, unknown>) => Promise<CannonResult>;

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
/** Identities, so keys spread over every master; each has SESSIONS sessions. */
const IDENTITIES = CONNECTIONS;
const SESSIONS = 20;

interface Identity {
  auth: Record<string, string>;
  sessionIds: string[];
}

async function main(): Promise<void> {
  const serverMain = buildServer();
  const single = new RedisProcesses();
  const cluster = await startLocalCluster();
  const started: Running[] = [];
  try {
    const port = await freePort();
    await single.start(port, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', single.dir]);
    const fake = await startFakeModel({ chunks: 4, chunkDelayMs: 0 });
    started.push(fake);
    const one = await startNono(serverMain, `redis://127.0.0.1:${port}`, fake.url);
    started.push(one);
    const many = await startNono(serverMain, '', fake.url, { REDIS_CLUSTER_NODES: cluster.seeds });
    started.push(many);
    const targets = {
      'one Redis': { nono: one, redisPids: [single.pid(port)] },
      'Cluster (3 masters)': { nono: many, redisPids: cluster.ports.map((p) => cluster.pid(p)) },
    };
    const results: Record<string, Record<string, CannonResult[]>> = {};
    const redisCpu: Record<string, number> = {};
    const identities: Record<string, Identity[]> = {};
    for (const [name, target] of Object.entries(targets)) {
      identities[name] = await fill(target.nono.url);
      results[name] = { sends: [], 'list pages': [] };
      redisCpu[name] = 0;
    }
    // Interleaved, so drift in the machine's load affects both alike.
    for (let round = 0; round < 2; round++) {
      for (const [name, target] of Object.entries(targets)) {
        for (const kind of ['sends', 'list pages'] as const) {
          const before = sum(target.redisPids.map(cpuMs));
          results[name][kind].push(await load(target.nono.url, identities[name], kind));
          redisCpu[`${name}/${kind}`] = (redisCpu[`${name}/${kind}`] ?? 0) + sum(target.redisPids.map(cpuMs)) - before;
        }
      }
    }
    report(results, redisCpu);
  } finally {
    for (const running of started.reverse()) await running.stop();
    await cluster.close();
    await single.close();
  }
}

const sum = (values: number[]) => values.reduce((n, v) => n + v, 0);

/** IDENTITIES identities with SESSIONS sessions each. */
async function fill(url: string): Promise<Identity[]> {
  const identities: Identity[] = [];
  for (let i = 0; i < IDENTITIES; i++) {
    const { auth } = await guestIdentity(url);
    const sessionIds: string[] = [];
    for (let s = 0; s < SESSIONS; s++) sessionIds.push((await postJson(url, '/api/sessions', {}, auth)).session_id as string);
    identities.push({ auth, sessionIds });
  }
  return identities;
}

/** Each connection acts as one identity: sends into its sessions in turn, or lists its first page. */
function load(url: string, identities: Identity[], kind: 'sends' | 'list pages'): Promise<CannonResult> {
  let next = 0;
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    setupClient(client: CannonClient) {
      const { auth, sessionIds } = identities[next++ % identities.length];
      const headers = { ...auth, 'content-type': 'application/json' };
      const body = JSON.stringify({ content: 'What should I pack for three days in Lisbon in spring?' });
      client.setRequests(
        kind === 'sends'
          ? sessionIds.map((id) => ({ method: 'POST', path: `/api/sessions/${id}/messages`, headers, body }))
          : [{ method: 'GET', path: '/api/sessions?limit=20', headers }],
      );
    },
  });
}

function report(results: Record<string, Record<string, CannonResult[]>>, redisCpu: Record<string, number>): void {
  const rows = [['store', 'workload', 'req/s', 'p50 latency', 'p99 latency', 'Redis CPU/request', 'non-2xx', 'errors']];
  for (const [name, kinds] of Object.entries(results)) {
    for (const [kind, runs] of Object.entries(kinds)) {
      const avg = (f: (r: CannonResult) => number) => sum(runs.map(f)) / runs.length;
      const total = sum(runs.map((r) => r.requests.total));
      rows.push([
        name,
        kind,
        avg((r) => r.requests.average).toFixed(0),
        `${avg((r) => r.latency.p50).toFixed(1)} ms`,
        `${avg((r) => r.latency.p99).toFixed(1)} ms`,
        `${((redisCpu[`${name}/${kind}`] * 1000) / total).toFixed(0)} µs`,
        String(sum(runs.map((r) => r.non2xx))),
        String(sum(runs.map((r) => r.errors))),
      ]);
    }
  }
  process.stdout.write(`\n${CONNECTIONS} connections (one identity each), 2 × ${SECONDS} s per row\n${table(rows)}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
