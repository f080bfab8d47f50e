/**
 * The Redis commands of one streamed answer, as redis-server sees them (MONITOR on a private
 * redis-server): the session's second answer (its first also names the session; MONITOR_FIRST=1
 * for that one).
 *
 *   BENCH_SERVER_MAIN=<main.js> node -r ts-node/register/transpile-only bench/stream-overhead/monitor-one.ts
 */
import { Agent } from 'node:http';
import { guestIdentity, postJson } from '../common/api';
import { buildServer, startFakeModel, startNono, startRedis } from '../common/processes';
import { sseRequest } from '../common/sse-client';

async function main(): Promise<void> {
  const redis = await startRedis();
  const fake = await startFakeModel({ chunks: 30, chunkDelayMs: 50 });
  const nono = await startNono(buildServer(), redis.url, fake.url);
  const agent = new Agent({ keepAlive: true });
  const { auth } = await guestIdentity(nono.url);
  const session = (await postJson(nono.url, '/api/sessions', {}, auth)).session_id as string;
  const send = () =>
    sseRequest({ url: `${nono.url}/api/sessions/${session}/messages`, headers: auth, body: { content: 'bench message' }, agent, timeoutMs: 60_000, onEvent: () => undefined });
  // MONITOR_FIRST=1: the session's first answer (which also names the session) instead.
  if (!process.env.MONITOR_FIRST) {
    await send();
    await new Promise((r) => setTimeout(r, 1500));
  }
  const monitor = await redis.client.monitor();
  const lines: string[] = [];
  monitor.on('monitor', (time: string, args: string[]) => lines.push(`${time} ${args.map((a) => (a.length > 60 ? a.slice(0, 57) + '…' : a)).join(' ')}`));
  await send();
  await new Promise((r) => setTimeout(r, process.env.MONITOR_FIRST ? 1000 : 500));
  monitor.disconnect();
  const counts = new Map<string, number>();
  for (const line of lines) {
    const name = line.split(' ')[1].toUpperCase();
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  if (process.env.MONITOR_LINES) process.stdout.write(lines.join('\n') + '\n');
  process.stdout.write(`${lines.length} commands: ${[...counts].sort((a, b) => b[1] - a[1]).map(([n, c]) => `${n} ${c}`).join(', ')}\n`);
  agent.destroy();
  await nono.stop();
  await fake.stop();
  await redis.stop();
  process.exit(0);
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
