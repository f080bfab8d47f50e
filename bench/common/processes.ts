import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '../sessions-list/redis-server';

export { freePort, startRedis } from '../sessions-list/redis-server';

/**
 * The processes a benchmark runs: nono-chat as built for production (its own process, so the load
 * generator never shares its event loop), the fake model server, and small baseline servers.
 */
const ROOT = resolve(__dirname, '../..');
// Inside this checkout (dist/ is ignored), not node_modules/.cache: node_modules may be shared by checkouts.
const SERVER_BUILD = resolve(ROOT, 'dist/bench-server');
const children = new Set<ChildProcess>();
process.once('exit', () => children.forEach((c) => c.kill('SIGKILL')));

export interface Running {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Builds the server with the Nest CLI (same output as `npm run build:server`) into a private folder.
 * BENCH_SERVER_MAIN=<path to main.js> runs that build instead (e.g. another commit's, to compare).
 */
export function buildServer(): string {
  if (process.env.BENCH_SERVER_MAIN) return resolve(process.env.BENCH_SERVER_MAIN);
  const main = resolve(SERVER_BUILD, 'main.js');
  if (process.env.BENCH_SKIP_BUILD === '1' && existsSync(main)) return main;
  process.stdout.write('building the server (nest build) …\n');
  execFileSync(process.execPath, ['node_modules/@nestjs/cli/bin/nest.js', 'build', '-p', 'bench/common/tsconfig.server.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  return main;
}

/** Spawns `node args…` and resolves once a stdout line matches `ready` (its first group is the URL). */
export function startNode(args: string[], env: NodeJS.ProcessEnv, ready: RegExp, label: string): Promise<Running> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const stop = () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    }).then(() => void children.delete(child));
  return new Promise((resolveReady, reject) => {
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const match = ready.exec(line);
      if (match) resolveReady({ url: match[1], child, stop });
    });
    child.once('exit', (code) => reject(new Error(`${label} exited (${code}) before it was ready:\n${stderr}`)));
  });
}

export interface FakeModelOptions {
  /** Answer with this many fixed chunks; absent: the echo answer, a chunk per word. */
  chunks?: number;
  chunkDelayMs: number;
}

export function startFakeModel(options: FakeModelOptions): Promise<Running> {
  const args = ['-r', 'ts-node/register/transpile-only', 'test/support/fake-openai-cli.ts', '--port', '0'];
  args.push('--chunk-delay-ms', String(options.chunkDelayMs));
  if (options.chunks) args.push('--chunks', String(options.chunks), '--chunk-text', 'tok ');
  return startNode(args, process.env, /^FAKE_OPENAI_URL=(\S+)/, 'fake model server');
}

export const RATE_LIMITS_OFF = {
  RATE_LIMIT_GUEST_PER_MINUTE: '0',
  RATE_LIMIT_LOGIN_PER_MINUTE: '0',
  RATE_LIMIT_MESSAGES_PER_MINUTE: '0',
  RATE_LIMIT_SESSIONS_PER_MINUTE: '0',
};

/** nono-chat from the benchmark build, on a free port, against `redisUrl` and `modelUrl`. */
export async function startNono(main: string, redisUrl: string, modelUrl: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<Running> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: 'bench',
    OPENAI_BASE_URL: modelUrl,
    OPENAI_MODEL: 'bench-model',
    OPENAI_API_KEY: 'bench-key',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    // Benches fill histories and open sessions faster than a person would; bench:auth sets its own.
    ...RATE_LIMITS_OFF,
    ...extraEnv,
  };
  // Its logs go nowhere: reading them would cost the load generator CPU.
  // BENCH_PROFILE=<dir> writes a CPU profile of nono-chat there when it stops.
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  // BENCH_NONO_NODE_ARGS: extra node options for nono-chat (e.g. "-r ./instrument.js").
  profile.push(...(process.env.BENCH_NONO_NODE_ARGS ?? '').split(' ').filter(Boolean));
  const child = spawn(process.execPath, [...profile, main], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  children.add(child);
  const url = `http://127.0.0.1:${port}`;
  // Generous: on a shared, loaded machine a start can take tens of seconds.
  await waitForHttp(`${url}/health/live`, child, 60_000);
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }).then(() => void children.delete(child)),
  };
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited (${child.exitCode}) before it answered`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** CPU time (user + system) a process has used, in ms, from /proc (Linux); NaN elsewhere. */
export function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}
