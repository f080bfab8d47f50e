/**
 * Streaming overhead of nono-chat: time to first and to last token of an answer streamed through
 * nono-chat (auth, session lookup, lock, stored user message, context, SDK, SSE, stored answer)
 * versus the same answer streamed straight from the same fake model server and through a bare
 * node:http relay (relay-server.ts), with the same client code. nono-chat and the relay run as their
 * own processes.
 *
 * Load model. "N concurrent streams" means N answers held open at the same time, as N people
 * reading answers would: the N requests arrive at a steady rate over ARRIVAL_WINDOW_MS (stream i
 * starts at i × window / N), and each answer streams CHUNKS chunks CHUNK_DELAY_MS apart (a fixed
 * token rate), so an answer lasts longer than the window and all N overlap. The direct and the
 * nono-chat runs of a level use the identical arrival schedule. The peak number of streams open at
 * once is measured and printed. For transparency a "burst" row also starts N streams in the same
 * millisecond (the worst case: every answer's set-up work queued at once).
 *
 *   npm run bench:stream-overhead      (BENCH_SKIP_BUILD=1 reuses the last build)
 *   BENCH_LEVELS="1x8,100x3,1000x2"    streams x rounds;  BENCH_BURST=1000 (0: no burst row)
 *   BENCH_CHUNKS=30 BENCH_CHUNK_DELAY_MS=50 BENCH_ARRIVAL_WINDOW_MS=1000
 *   BENCH_SUSTAINED=1000 (0: skip) BENCH_SUSTAINED_WINDOW_MS=10000 BENCH_SUSTAINED_CHUNK_DELAY_MS=400
 */
import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { SseEvent, sseRequest } from '../common/sse-client';
import { buildServer, cpuMs, startFakeModel, startNode, startNono, startRedis } from '../common/processes';
import { ms, percentile, signedMs, table } from '../common/stats';
import { guestIdentity, postJson } from '../common/api';
import type { BenchRedis } from '../sessions-list/redis-server';

const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 30);
/** 50 ms apart: 20 chunks a second, the pace of a typical hosted model streaming a few tokens a chunk. */
const CHUNK_DELAY_MS = Number(process.env.BENCH_CHUNK_DELAY_MS ?? 50);
const ARRIVAL_WINDOW_MS = Number(process.env.BENCH_ARRIVAL_WINDOW_MS ?? 1000);
const LEVELS = (process.env.BENCH_LEVELS ?? '1x8,100x3,1000x2').split(',').map((level) => {
  const [streams, rounds] = level.split('x').map(Number);
  return { streams, rounds };
});
const BURST = Number(process.env.BENCH_BURST ?? 1000);
/** A last row: this many streams held open together at a tenth of the arrival rate (0: skip). */
const SUSTAINED = Number(process.env.BENCH_SUSTAINED ?? 1000);
const SUSTAINED_WINDOW_MS = Number(process.env.BENCH_SUSTAINED_WINDOW_MS ?? 10_000);
const SUSTAINED_CHUNK_DELAY_MS = Number(process.env.BENCH_SUSTAINED_CHUNK_DELAY_MS ?? 400);
const SESSIONS = 1000;

interface Sample {
  ok: boolean;
  ttft: number;
  ttlt: number;
}

// Idle sockets are closed here before the server's 5 s keep-alive timeout can race a new request.
const agent = new Agent({ keepAlive: true, maxSockets: Infinity, timeout: 4000 });

/** A chunk with text (not the empty role chunk, usage chunk or [DONE]). */
function isModelToken(e: SseEvent): boolean {
  const i = e.data.indexOf('"content":"');
  return i >= 0 && e.data.charCodeAt(i + 11) !== 34;
}

async function measure(url: string, headers: Record<string, string>, body: unknown, isToken: (e: SseEvent) => boolean, isEnd: (e: SseEvent) => boolean): Promise<Sample> {
  let first = 0;
  let last = 0;
  let ended = false;
  const res = await sseRequest({
    url,
    headers,
    body,
    agent,
    timeoutMs: 60_000,
    onEvent: (e) => {
      if (isToken(e)) {
        last = e.at;
        if (!first) first = e.at;
      } else if (isEnd(e)) ended = true;
    },
  }).catch((error: Error) => {
    errors.set(error.message, (errors.get(error.message) ?? 0) + 1);
    return undefined;
  });
  if (!res) return { ok: false, ttft: NaN, ttlt: NaN };
  return { ok: res.status >= 200 && res.status < 300 && first > 0 && ended, ttft: first - res.startedAt, ttlt: last - res.startedAt };
}

const errors = new Map<string, number>();

/**
 * A fake model server with a nono-chat and a bare node:http relay in front of it, with the ways to
 * stream one answer each way.
 */
interface Setup {
  direct: () => Promise<Sample>;
  viaRelay: () => Promise<Sample>;
  viaNono: (i: number) => Promise<Sample>;
  pid: number;
  relayPid: number;
  stop(): Promise<void>;
}

async function startPair(serverMain: string, redisUrl: string, chunkDelayMs: number): Promise<Setup> {
  const fake = await startFakeModel({ chunks: CHUNKS, chunkDelayMs });
  const nono = await startNono(serverMain, redisUrl, fake.url).catch(async (error: Error) => {
    await fake.stop();
    throw error;
  });
  const relay = await startNode(
    // BENCH_PROFILE=<dir>: a CPU profile of the relay too, beside nono-chat's.
    [
      ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`, '--cpu-prof-name=relay.cpuprofile'] : []),
      '-r',
      'ts-node/register/transpile-only',
      'bench/stream-overhead/relay-server.ts',
    ],
    { ...process.env, MODEL_URL: fake.url },
    /^RELAY_URL=(\S+)/,
    'relay server',
  ).catch(async (error: Error) => {
    await nono.stop();
    await fake.stop();
    throw error;
  });
  const stop = async () => {
    await relay.stop();
    await nono.stop();
    await fake.stop();
  };
  try {
    const { auth, sessions, systemPrompt } = await setUp(nono.url);
    const directBody = {
      model: 'bench-model',
      messages: [
        { role: 'system', content: systemPrompt },
        { role: 'user', content: 'bench message' },
      ],
      stream: true,
      stream_options: { include_usage: true },
    };
    return {
      pid: nono.child.pid!,
      relayPid: relay.child.pid!,
      stop,
      direct: () =>
        measure(`${fake.url}/chat/completions`, { Authorization: 'Bearer bench-key' }, directBody, isModelToken, (e) => e.data === '[DONE]'),
      viaRelay: () =>
        measure(relay.url, {}, { content: 'bench message' }, (e) => e.event === 'delta', (e) => e.event === 'done'),
      viaNono: (i: number) =>
        measure(`${nono.url}/api/sessions/${sessions[i % SESSIONS]}/messages`, auth, { content: 'bench message' }, (e) => e.event === 'delta', (e) => e.event === 'done'),
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

interface Plan {
  label: string;
  streams: number;
  rounds: number;
  window: number;
}

/** Runs each plan's rounds, direct, through the relay and through nono-chat in turn; adds its rows and CPU figures. */
async function runPlans(pair: Setup, plans: Plan[], rows: string[][], cpu: string[][], redis: BenchRedis): Promise<void> {
  let next = 0;
  for (const plan of plans) {
    const d: Run = { samples: [], peak: 0 };
    const b: Run = { samples: [], peak: 0 };
    const n: Run = { samples: [], peak: 0 };
    let nonoCpu = 0;
    let relayCpu = 0;
    let redisCommands = 0;
    const perCommand = new Map<string, number>();
    const offsets = schedule(plan.streams, plan.window);
    for (let r = 0; r < plan.rounds; r++) {
      merge(d, await runSchedule(offsets, () => pair.direct()));
      const relayBefore = cpuMs(pair.relayPid);
      merge(b, await runSchedule(offsets, () => pair.viaRelay()));
      relayCpu += cpuMs(pair.relayPid) - relayBefore;
      const before = cpuMs(pair.pid);
      const statsBefore = await commandStats(redis);
      merge(n, await runSchedule(offsets, () => pair.viaNono(next++)));
      nonoCpu += cpuMs(pair.pid) - before;
      for (const [name, calls] of await commandStats(redis)) {
        const added = calls - (statsBefore.get(name) ?? 0) - (name === 'info' ? 1 : 0);
        if (added <= 0) continue;
        redisCommands += added;
        perCommand.set(name, (perCommand.get(name) ?? 0) + added);
      }
    }
    const perNono = nonoCpu / n.samples.length;
    const perRelay = relayCpu / b.samples.length;
    const answers = n.samples.length;
    const busiest = [...perCommand].sort((a, b) => b[1] - a[1]).slice(0, 6);
    cpu.push([
      plan.label,
      `${perNono.toFixed(2)} ms`,
      `${perRelay.toFixed(2)} ms`,
      `${(perNono / perRelay).toFixed(1)}×`,
      (redisCommands / answers).toFixed(1),
      busiest.map(([name, calls]) => `${name} ${(calls / answers).toFixed(1)}`).join(', '),
    ]);
    rows.push(...report(plan.label, d, b, n));
  }
}

/** Warms each path up (JIT, connection pools) with 100 streams before anything is measured. */
async function warmUp(pair: Setup): Promise<void> {
  await runSchedule(schedule(100, ARRIVAL_WINDOW_MS), () => pair.direct());
  await runSchedule(schedule(100, ARRIVAL_WINDOW_MS), () => pair.viaRelay());
  await runSchedule(schedule(100, ARRIVAL_WINDOW_MS), (i) => pair.viaNono(i));
}

async function main(): Promise<void> {
  const serverMain = buildServer();
  const redis = await startRedis();
  const rows = [['streams', 'path', 'ok', 'failed', 'peak open', 'TTFT p50', 'TTFT p99', 'TTLT p50', 'TTLT p99', 'added TTFT p50/p99', 'added TTLT p50/p99']];
  const cpu = [['streams', 'nono-chat', 'relay', 'ratio', 'Redis cmds/answer', 'most frequent (per answer)']];
  try {
    const pair = await startPair(serverMain, redis.url, CHUNK_DELAY_MS);
    try {
      process.stdout.write(
        `\n${CHUNKS} chunks ${CHUNK_DELAY_MS} ms apart per answer (~${CHUNKS * CHUNK_DELAY_MS} ms); a level's streams arrive evenly over ` +
          `${ARRIVAL_WINDOW_MS} ms; nono-chat pid ${pair.pid}\n`,
      );
      await warmUp(pair);
      const plans: Plan[] = LEVELS.map((l) => ({ label: String(l.streams), streams: l.streams, rounds: l.rounds, window: l.streams > 1 ? ARRIVAL_WINDOW_MS : 0 }));
      if (BURST > 0) plans.push({ label: `${BURST} burst`, streams: BURST, rounds: 1, window: 0 });
      await runPlans(pair, plans, rows, cpu, redis);
    } finally {
      await pair.stop();
    }
    if (SUSTAINED > 0) {
      // Long answers at a slower arrival rate: as many streams open at once, far fewer set-ups a second.
      const slow = await startPair(serverMain, redis.url, SUSTAINED_CHUNK_DELAY_MS);
      try {
        await warmUp(slow);
        await runPlans(slow, [{ label: `${SUSTAINED} held`, streams: SUSTAINED, rounds: 1, window: SUSTAINED_WINDOW_MS }], rows, cpu, redis);
      } finally {
        await slow.stop();
      }
    }
    process.stdout.write(`\n${table(rows)}\n\n`);
    process.stdout.write(`CPU per streamed answer of ${CHUNKS} chunks (user+system, from /proc):\n${table(cpu)}\n\n`);
    for (const [message, count] of errors) process.stdout.write(`client errors: ${count} × ${message}\n`);
    process.stdout.write(
      'Targets: added latency (nono-chat minus direct) ≤ 5 ms p50 and ≤ 15 ms p99; nono-chat CPU per answer ≤ 3× the relay\'s; ' +
        '1,000 concurrent streams held and completed.\n"relay": a bare node:http server that opens the same upstream stream, ' +
        'parses each event and re-emits its text as an SSE event (bench/stream-overhead/relay-server.ts).\n',
    );
    process.stdout.write(
      '"peak open": most streams open at the same moment (request sent, response not yet ended). "burst": all start in the same ms.\n',
    );
    if (SUSTAINED > 0) {
      process.stdout.write(
        `"${SUSTAINED} held": ${SUSTAINED} streams arriving over ${SUSTAINED_WINDOW_MS / 1000} s, answers of ${CHUNKS} chunks ` +
          `${SUSTAINED_CHUNK_DELAY_MS} ms apart (~${(CHUNKS * SUSTAINED_CHUNK_DELAY_MS) / 1000} s), so all are open at once ` +
          `at ${Math.round((SUSTAINED * 1000) / SUSTAINED_WINDOW_MS)} new answers/s.\n`,
      );
    }
  } finally {
    agent.destroy();
    await redis.stop();
  }
}

/** Calls per command so far (INFO commandstats of the bench's private redis-server). */
async function commandStats(redis: BenchRedis): Promise<Map<string, number>> {
  const stats = new Map<string, number>();
  for (const line of (await redis.client.info('commandstats')).split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (match) stats.set(match[1], Number(match[2]));
  }
  return stats;
}

interface Run {
  samples: Sample[];
  /** Most streams open at the same moment. */
  peak: number;
}

function merge(into: Run, run: Run): void {
  into.samples.push(...run.samples);
  into.peak = Math.max(into.peak, run.peak);
}

/** Start offsets (ms) of `count` streams arriving evenly over `windowMs` (0: all at once). */
function schedule(count: number, windowMs: number): number[] {
  return Array.from({ length: count }, (_, i) => (count > 1 ? (i * windowMs) / count : 0));
}

/** Starts stream i at offsets[i] ms from now (late timers catch up, never drift); waits for all. */
async function runSchedule(offsets: number[], start: (i: number) => Promise<Sample>): Promise<Run> {
  const started: Array<Promise<Sample>> = [];
  let open = 0;
  let peak = 0;
  const t0 = performance.now();
  await new Promise<void>((allStarted) => {
    const tick = () => {
      const now = performance.now() - t0;
      while (started.length < offsets.length && offsets[started.length] <= now) {
        open++;
        peak = Math.max(peak, open);
        started.push(start(started.length).finally(() => open--));
      }
      if (started.length < offsets.length) setTimeout(tick, Math.max(0, offsets[started.length] - now));
      else allStarted();
    };
    tick();
  });
  return { samples: await Promise.all(started), peak };
}

function report(label: string, direct: Run, relay: Run, nono: Run): string[][] {
  const stats = (run: Run) => {
    const ok = run.samples.filter((x) => x.ok);
    const ttft = ok.map((x) => x.ttft);
    const ttlt = ok.map((x) => x.ttlt);
    return {
      ok: String(ok.length),
      failed: String(run.samples.length - ok.length),
      peak: String(run.peak),
      f50: percentile(ttft, 50),
      f99: percentile(ttft, 99),
      l50: percentile(ttlt, 50),
      l99: percentile(ttlt, 99),
    };
  };
  const a = stats(direct);
  const row = (name: string, b: ReturnType<typeof stats>) => [
    '',
    name,
    b.ok,
    b.failed,
    b.peak,
    ms(b.f50),
    ms(b.f99),
    ms(b.l50),
    ms(b.l99),
    `${signedMs(b.f50 - a.f50)} / ${signedMs(b.f99 - a.f99)}`,
    `${signedMs(b.l50 - a.l50)} / ${signedMs(b.l99 - a.l99)}`,
  ];
  return [
    [label, 'direct', a.ok, a.failed, a.peak, ms(a.f50), ms(a.f99), ms(a.l50), ms(a.l99), '', ''],
    row('relay', stats(relay)),
    row('nono-chat', stats(nono)),
  ];
}

async function setUp(url: string): Promise<{ auth: Record<string, string>; sessions: string[]; systemPrompt: string }> {
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) => postJson(url, path, body, headers);
  const { auth } = await guestIdentity(url);
  const sessions: string[] = [];
  for (let i = 0; i < SESSIONS; i += 50) {
    const batch = await Promise.all(Array.from({ length: 50 }, () => post('/api/sessions', {}, auth)));
    sessions.push(...batch.map((s) => s.session_id as string));
  }
  const personas = (await (await fetch(`${url}/api/personas`, { headers: auth })).json()) as Record<string, any>;
  const persona = personas.personas.find((p: { key: string }) => p.key === personas.default_persona);
  return { auth, sessions, systemPrompt: persona.system_prompt };
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
