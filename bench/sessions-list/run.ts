/**
 * Session listing cost vs. data size. One run, two databases side by side (1,000 and 1,000,000
 * sessions of other identities), each holding a user with 10 and a user with 10,000 sessions;
 * the same nono-chat app code serves each through real HTTP. Cases are measured in interleaved
 * rounds so machine noise hits all of them alike. Prints p50/p99 and the ratios (target ≤ 1.10×).
 *
 *   npm run bench:sessions-list        (BENCH_OTHER_SESSIONS=… to change the large database size)
 */
import { Agent, get } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp } from '../../server/app.factory';
import { RedisKeys } from '../../server/redis/redis-keys';
import { SessionsRepository } from '../../server/sessions/sessions.repository';
import { SESSION_FIELDS } from '../../server/sessions/session-record';
import { loadOtherSessions } from './load';
import { BenchRedis, startRedis } from './redis-server';

const SMALL_DB = 1_000;
const LARGE_DB = Number(process.env.BENCH_OTHER_SESSIONS ?? 1_000_000);
const FEW = 10;
const MANY = 10_000;
const ROUNDS = 10;
const PER_ROUND = 200; // 2,000 measured requests per case
const WARMUP = 300;
const TARGET = 1.1;

interface World {
  label: string;
  redis: BenchRedis;
  app: NestExpressApplication;
  base: string;
  tokens: { few: string; many: string };
  userIds: { few: string; many: string };
}

interface Case {
  name: string;
  world: World;
  user: 'few' | 'many';
  limit: number;
  expect: number;
  /** true: the bare baseline — the same Redis reads straight from a client, no app, no HTTP. */
  bare?: boolean;
  samples: number[];
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const log = (text: string) => process.stdout.write(`${text}\n`);

function fetchJson(url: string, token?: string, method = 'GET'): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent, method, headers: token ? { Authorization: `Bearer ${token}` } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function bootWorld(label: string, others: number): Promise<World> {
  const redis = await startRedis();
  Object.assign(process.env, { REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'bench', LOG_LEVEL: 'silent', SESSION_TTL_SECONDS: '3600' });
  const app = await createApp();
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  const started = performance.now();
  await loadOtherSessions(redis.client, app.get(RedisKeys), others, 3600, label === 'small' ? 's' : 'l');
  const repo = app.get(SessionsRepository);
  const tokens = { few: '', many: '' };
  const userIds = { few: '', many: '' };
  for (const [user, count] of [['few', FEW], ['many', MANY]] as const) {
    const guest = (await fetchJson(`${base}/api/auth/guest`, undefined, 'POST')).body;
    tokens[user] = guest.token;
    userIds[user] = guest.user_id;
    const now = Date.now();
    for (let i = 0; i < count; i += 250) {
      const batch = Array.from({ length: Math.min(250, count - i) }, (_, k) =>
        repo.create(guest.user_id, { display_name: `Chat ${i + k}`, persona: 'default', metadata: { topic: 'bench' } }, now - count + i + k),
      );
      await Promise.all(batch);
    }
  }
  const keys = await redis.client.dbsize();
  log(`  ${label} database: ${others.toLocaleString('en')} other sessions, ${keys.toLocaleString('en')} keys, loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { label, redis, app, base, tokens, userIds };
}

/** What the repository does for a first page, minus everything else: one range, one pipeline. */
async function bareListing(c: Case): Promise<number> {
  const keys = c.world.app.get(RedisKeys);
  const userId = c.world.userIds[c.user];
  const client = c.world.redis.client;
  const flat = await client.zrevrangebyscore(keys.sessionIndex(userId), '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, c.limit + 1);
  const pipe = client.pipeline();
  for (let i = 0; i < flat.length; i += 2) pipe.hmget(keys.session(userId, flat[i]), ...SESSION_FIELDS);
  const results = (await pipe.exec()) ?? [];
  return Math.min(c.limit, results.length);
}

async function measure(c: Case, n: number, keep: boolean): Promise<void> {
  if (c.bare) {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const count = await bareListing(c);
      const ms = performance.now() - t0;
      if (count !== c.expect) throw new Error(`${c.name}: got ${count} sessions`);
      if (keep) c.samples.push(ms);
    }
    return;
  }
  const url = `${c.world.base}/api/sessions?limit=${c.limit}`;
  const token = c.world.tokens[c.user];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetchJson(url, token);
    const ms = performance.now() - t0;
    if (res.status !== 200 || res.body.count !== c.expect) throw new Error(`${c.name}: got ${res.status} with ${res.body?.count} sessions`);
    if (keep) c.samples.push(ms);
  }
}

const dbLabel = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

function pct(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function report(cases: Case[]): boolean {
  const row = (cells: string[]) => log(cells.map((c, i) => (i === 0 ? c.padEnd(42) : c.padStart(10))).join(''));
  log('');
  row(['case (GET /api/sessions)', 'page', 'requests', 'p50 ms', 'p99 ms']);
  for (const c of cases) row([c.name, String(c.expect), String(c.samples.length), pct(c.samples, 0.5).toFixed(3), pct(c.samples, 0.99).toFixed(3)]);
  const find = (world: string, user: string, limit: number, bare = false) =>
    cases.find((c) => c.world.label === world && c.user === user && c.limit === limit && Boolean(c.bare) === bare)!;
  const big = dbLabel(LARGE_DB);
  // Each row: nono-chat's ratio, and where it depends on the database size, the same ratio for the
  // bare Redis reads of that page (no app, no HTTP): what the database size alone costs.
  const comparisons: Array<[string, Case, Case, boolean, [Case, Case]?]> = [
    [`user with 10: ${big} vs 1k db`, find('small', 'few', 50), find('large', 'few', 50), true, [find('small', 'few', 50, true), find('large', 'few', 50, true)]],
    [`user with 10,000: ${big} vs 1k db`, find('small', 'many', 50), find('large', 'many', 50), true, [find('small', 'many', 50, true), find('large', 'many', 50, true)]],
    ['10,000 vs 10 sessions, same page (10 items), 1k db', find('small', 'few', 50), find('small', 'many', FEW), true],
    [`10,000 vs 10 sessions, same page (10 items), ${big} db`, find('large', 'few', 50), find('large', 'many', FEW), true],
    ['10,000 vs 10 sessions, limit=50 (50 vs 10 items), 1k db', find('small', 'few', 50), find('small', 'many', 50), false],
    [`10,000 vs 10 sessions, limit=50 (50 vs 10 items), ${big} db`, find('large', 'few', 50), find('large', 'many', 50), false],
  ];
  log('');
  const ratioRow = (cells: string[]) => log(cells.map((c, i) => (i === 0 ? c.padEnd(58) : c.padStart(12))).join(''));
  ratioRow(['ratio (GET /api/sessions)', 'p50', 'p99', 'target', 'bare p50', 'bare p99']);
  let ok = true;
  const ratio = (a: Case, b: Case, p: number) => pct(b.samples, p) / pct(a.samples, p);
  for (const [label, base, other, judged, bare] of comparisons) {
    const r50 = ratio(base, other, 0.5);
    if (judged && r50 > TARGET) ok = false;
    ratioRow([
      label,
      `${r50.toFixed(2)}×`,
      `${ratio(base, other, 0.99).toFixed(2)}×`,
      judged ? `≤ ${TARGET.toFixed(2)}×` : 'info',
      bare ? `${ratio(bare[0], bare[1], 0.5).toFixed(2)}×` : '',
      bare ? `${ratio(bare[0], bare[1], 0.99).toFixed(2)}×` : '',
    ]);
  }
  log('bare: the same Redis reads of that page (ZREVRANGEBYSCORE + pipelined HMGET) from a plain client, no app, no HTTP.');
  const p50 = (c: Case) => pct(c.samples, 0.5);
  const appGrowth = p50(find('large', 'many', 50)) - p50(find('small', 'many', 50));
  const bareGrowth = p50(find('large', 'many', 50, true)) - p50(find('small', 'many', 50, true));
  log('');
  log(`p50 added by the ${big} db to a page of 50: through the app ${appGrowth.toFixed(3)} ms, bare Redis reads ${bareGrowth.toFixed(3)} ms`);
  log(ok ? `p50 ratios within ${TARGET.toFixed(2)}×: listing cost does not grow with the data.` : `Some p50 ratio is above ${TARGET.toFixed(2)}×.`);
  return ok;
}

async function main(): Promise<void> {
  log(`sessions-list: page of 50, ${ROUNDS * PER_ROUND} requests per case after ${WARMUP} warm-up, interleaved`);
  const worlds: World[] = [];
  try {
    worlds.push(await bootWorld('small', SMALL_DB));
    worlds.push(await bootWorld('large', LARGE_DB));
    const cases: Case[] = [];
    for (const world of worlds) {
      const db = world.label === 'small' ? '1k' : dbLabel(LARGE_DB);
      cases.push({ name: `${db} db, user with 10, limit=50`, world, user: 'few', limit: 50, expect: FEW, samples: [] });
      cases.push({ name: `${db} db, user with 10,000, limit=50`, world, user: 'many', limit: 50, expect: 50, samples: [] });
      cases.push({ name: `${db} db, user with 10,000, limit=10`, world, user: 'many', limit: FEW, expect: FEW, samples: [] });
      cases.push({ name: `${db} db, user with 10: bare Redis`, world, user: 'few', limit: 50, expect: FEW, bare: true, samples: [] });
      cases.push({ name: `${db} db, user with 10,000: bare Redis`, world, user: 'many', limit: 50, expect: 50, bare: true, samples: [] });
    }
    for (const c of cases) await measure(c, WARMUP, false);
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order each round so no case always runs first (or last) in a round.
      for (let k = 0; k < cases.length; k++) await measure(cases[(k + round) % cases.length], PER_ROUND, true);
    }
    const ok = report(cases);
    // A benchmark reports; it does not fail the build (the machine's noise is not the code's fault).
    void ok;
  } finally {
    agent.destroy();
    for (const world of worlds) {
      await world.app.close();
      await world.redis.stop();
    }
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
