/**
 * Resuming answers: time from a reconnect (GET /api/sessions/{id}/generation with Last-Event-ID)
 * to the first replayed event, while RUNNING answers stream at the same time; and the Redis
 * commands one answer costs (from the Redis server's own INFO commandstats).
 *
 *   npm run bench:resume      (BENCH_SKIP_BUILD=1 reuses the last build)
 *   BENCH_RUNNING=100 BENCH_SAMPLES=300 BENCH_CHUNK_DELAY_MS=50
 */
import Redis from 'ioredis';
import { SseEvent, sseRequest } from '../common/sse-client';
import { buildServer, startFakeModel, startNono, startRedis } from '../common/processes';
import { ms, percentile, table } from '../common/stats';
import { guestIdentity, postJson } from '../common/api';

const RUNNING = Number(process.env.BENCH_RUNNING ?? 100);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 300);
const CHUNK_DELAY_MS = Number(process.env.BENCH_CHUNK_DELAY_MS ?? 50);

async function commandsOfOneAnswer(redisUrl: string, nonoUrl: string, label: string): Promise<string[]> {
  const admin = new Redis(redisUrl);
  const me = await guestIdentity(nonoUrl);
  const session = await postJson(nonoUrl, '/api/sessions', {}, me.auth);
  await admin.config('RESETSTAT');
  const started = Date.now();
  await postJson(nonoUrl, `/api/sessions/${session.session_id}/messages`, { content: 'count for me' }, me.auth);
  const seconds = (Date.now() - started) / 1000;
  const stats = await admin.info('commandstats');
  admin.disconnect();
  const calls: Record<string, number> = {};
  for (const [, name, n] of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[name] = Number(n);
  // The instance says it is alive once a second (one SET), whatever it does.
  calls.set = Math.max(0, (calls.set ?? 0) - Math.round(seconds));
  delete calls.info;
  delete calls.config;
  const total = Object.values(calls).reduce((a, b) => a + b, 0);
  const detail = Object.entries(calls)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
  return [label, `${seconds.toFixed(1)} s`, String(total), detail];
}

async function main(): Promise<void> {
  const serverMain = buildServer();
  const redis = await startRedis();
  const slow = await startFakeModel({ chunks: 600, chunkDelayMs: CHUNK_DELAY_MS });
  const fast = await startFakeModel({ chunks: 200, chunkDelayMs: 0 });
  const nono = await startNono(serverMain, redis.url, slow.url, { LOG_LEVEL: 'warn' });
  const nonoFast = await startNono(serverMain, redis.url, fast.url, { LOG_LEVEL: 'warn', REDIS_KEY_PREFIX: 'bench-fast' });
  try {
    const rows = [['answer', 'took', 'Redis commands', 'by command']];
    rows.push(await commandsOfOneAnswer(redis.url, nonoFast.url, '200 chunks, no delay'));
    const short = await startFakeModel({ chunks: 100, chunkDelayMs: CHUNK_DELAY_MS });
    const nonoShort = await startNono(serverMain, redis.url, short.url, { LOG_LEVEL: 'warn', REDIS_KEY_PREFIX: 'bench-short' });
    rows.push(await commandsOfOneAnswer(redis.url, nonoShort.url, `100 chunks, ${CHUNK_DELAY_MS} ms apart`));
    await nonoShort.stop();
    await short.stop();
    console.log('\nRedis commands per answer (send in JSON mode; MULTI/EXEC counted as commands):');
    console.log(table(rows));

    // RUNNING answers streaming at once; resumes sample them while they run.
    const me = await guestIdentity(nono.url);
    const ids: string[] = [];
    for (let i = 0; i < RUNNING; i++) ids.push((await postJson(nono.url, '/api/sessions', {}, me.auth)).session_id as string);
    const firstIds = new Map<string, string>();
    const streams = ids.map((id) =>
      sseRequest({
        url: `${nono.url}/api/sessions/${id}/messages`,
        headers: me.auth,
        body: { content: 'go' },
        timeoutMs: 600_000,
        onEvent: (event: SseEvent) => {
          if (event.event === 'user_message' && event.id) firstIds.set(id, event.id);
        },
      }),
    );
    while (firstIds.size < RUNNING) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1000));
    const samples: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const id = ids[i % RUNNING];
      let first = 0;
      const res = await sseRequest({
        url: `${nono.url}/api/sessions/${id}/generation`,
        method: 'GET',
        headers: { ...me.auth, 'Last-Event-ID': firstIds.get(id)! },
        timeoutMs: 10_000,
        onEvent: (event, abort) => {
          first = event.at;
          abort();
        },
      });
      if (!first) throw new Error(`resume of ${id} sent no event (status ${res.status})`);
      samples.push(first - res.startedAt);
    }
    console.log(`\nReconnect to first replayed event, ${RUNNING} answers streaming (${CHUNK_DELAY_MS} ms chunks), ${SAMPLES} resumes:`);
    console.log(
      table([
        ['p50', 'p90', 'p99', 'max'],
        [ms(percentile(samples, 50)), ms(percentile(samples, 90)), ms(percentile(samples, 99)), ms(Math.max(...samples))],
      ]),
    );
    for (const id of ids) await postJson(nono.url, `/api/sessions/${id}/stop`, {}, me.auth).catch(() => undefined);
    await Promise.all(streams);
  } finally {
    await nono.stop();
    await nonoFast.stop();
    await slow.stop();
    await fast.stop();
    await redis.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(error);
    process.exit(1);
  },
);
