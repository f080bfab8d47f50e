/**
 * Streaming overhead of nono-chat: time to first and to last token of an answer streamed through
 * nono-chat (auth, session lookup, lock, stored user message, context, SDK, SSE, stored answer)
 * versus the same answer streamed straight from the same fake model server, with the same client
 * code, at 1, 100 and 1,000 concurrent streams in one run. nono-chat runs as its own process.
 *
 *   npm run bench:stream-overhead      (BENCH_SKIP_BUILD=1 reuses the last build)
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { SseEvent, sseRequest } from '../common/sse-client';
import { buildServer, startFakeModel, startNono, startRedis } from '../common/processes';
import { ms, percentile, signedMs, table } from '../common/stats';

const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 20);
const CHUNK_DELAY_MS = 10;
/** BENCH_LEVELS="100x10,1000x2" overrides: streams x rounds. */
const LEVELS = (process.env.BENCH_LEVELS ?? '1x40,100x6,1000x3').split(',').map((level) => {
  const [streams, rounds] = level.split('x').map(Number);
  return { streams, rounds };
});
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

async function main(): Promise<void> {
  const serverMain = buildServer();
  const redis = await startRedis();
  const fake = await startFakeModel({ chunks: CHUNKS, chunkDelayMs: CHUNK_DELAY_MS });
  const nono = await startNono(serverMain, redis.url, fake.url);
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
    const direct = () =>
      measure(`${fake.url}/chat/completions`, { Authorization: 'Bearer bench-key' }, directBody, isModelToken, (e) => e.data === '[DONE]');
    const viaNono = (i: number) =>
      measure(`${nono.url}/api/sessions/${sessions[i % SESSIONS]}/messages`, auth, { content: 'bench message' }, (e) => e.event === 'delta', (e) => e.event === 'done');

    process.stdout.write(`\n${CHUNKS} chunks, ${CHUNK_DELAY_MS} ms apart, per answer; nono-chat pid ${nono.child.pid}\n`);
    await round(100, () => direct());
    await round(100, (i) => viaNono(i));

    const rows = [['streams', 'path', 'ok', 'TTFT p50', 'TTFT p99', 'TTLT p50', 'TTLT p99', 'added TTFT p50/p99', 'added TTLT p50/p99', 'stream p50']];
    const cpu: string[] = [];
    let next = 0;
    for (const level of LEVELS) {
      const d: Sample[] = [];
      const n: Sample[] = [];
      let nonoCpu = 0;
      for (let r = 0; r < level.rounds; r++) {
        d.push(...(await round(level.streams, () => direct())));
        const before = cpuMs(nono.child.pid!);
        n.push(...(await round(level.streams, () => viaNono(next++))));
        nonoCpu += cpuMs(nono.child.pid!) - before;
      }
      cpu.push(`${level.streams} streams: ${(nonoCpu / n.length).toFixed(2)} ms`);
      rows.push(...report(level.streams, d, n));
    }
    process.stdout.write(`\n${table(rows)}\n\n`);
    process.stdout.write(`nono-chat CPU per streamed answer (user+system): ${cpu.join(', ')}\n`);
    for (const [message, count] of errors) process.stdout.write(`client errors: ${count} × ${message}\n`);
    process.stdout.write('Targets: added latency ≤ 5 ms p50 and ≤ 15 ms p99; all 1,000 concurrent streams complete.\n');
    process.stdout.write('All streams of a row start at once; "stream p50" is first to last token, once the answer flows.\n');
  } finally {
    agent.destroy();
    await nono.stop();
    await fake.stop();
    await redis.stop();
  }
}

/** CPU time (user + system) a process has used, in ms, from /proc (Linux). */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/** `count` streams started together and all in flight at once. */
function round(count: number, start: (i: number) => Promise<Sample>): Promise<Sample[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => start(i)));
}

function report(streams: number, direct: Sample[], nono: Sample[]): string[][] {
  const stats = (s: Sample[]) => {
    const ok = s.filter((x) => x.ok);
    const ttft = ok.map((x) => x.ttft);
    const ttlt = ok.map((x) => x.ttlt);
    const streaming = ok.map((x) => x.ttlt - x.ttft);
    return {
      ok: `${ok.length}/${s.length}`,
      f50: percentile(ttft, 50),
      f99: percentile(ttft, 99),
      l50: percentile(ttlt, 50),
      l99: percentile(ttlt, 99),
      d50: percentile(streaming, 50),
    };
  };
  const a = stats(direct);
  const b = stats(nono);
  return [
    [String(streams), 'direct', a.ok, ms(a.f50), ms(a.f99), ms(a.l50), ms(a.l99), '', '', ms(a.d50)],
    [
      '',
      'nono-chat',
      b.ok,
      ms(b.f50),
      ms(b.f99),
      ms(b.l50),
      ms(b.l99),
      `${signedMs(b.f50 - a.f50)} / ${signedMs(b.f99 - a.f99)}`,
      `${signedMs(b.l50 - a.l50)} / ${signedMs(b.l99 - a.l99)}`,
      ms(b.d50),
    ],
  ];
}

async function setUp(url: string): Promise<{ auth: Record<string, string>; sessions: string[]; systemPrompt: string }> {
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, any>;
  };
  const guest = await post('/api/auth/guest', {});
  const auth = { Authorization: `Bearer ${guest.token}` };
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
