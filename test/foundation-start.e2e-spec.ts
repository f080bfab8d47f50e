import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { eventually } from './support/probe';
import { freePort } from './support/ports';
import { serverCommand } from './support/server-process';

const ROOT = resolve(__dirname, '..');
const BASE_ENV: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '/tmp',
  TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
  PERSONAS_FILE: join(ROOT, 'config/personas.yaml'),
};

/** A working directory without a .env, so a developer's own .env never changes these tests. */
const PLAIN_DIR = mkdtempSync(join(tmpdir(), 'nono-plain-'));
afterAll(() => rmSync(PLAIN_DIR, { recursive: true, force: true }));

/** Runs the server to completion (for starts that must fail). */
function startAndFail(env: Record<string, string>, cwd = PLAIN_DIR) {
  const run = spawnSync(process.execPath, serverCommand(), { cwd, env: { ...BASE_ENV, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { code: run.status, stderr: run.stderr, stdout: run.stdout };
}

interface Running {
  url: string;
}

interface Finished {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** milliseconds from SIGTERM to exit */
  stopMs: number;
}


/**
 * Starts the real server on a free port, waits until it answers, runs `use`, then stops it with
 * SIGTERM. Fails with the server's own output if it never comes up.
 */
async function withServer(env: Record<string, string>, cwd: string, use: (server: Running) => Promise<void>): Promise<Finished> {
  const port = await freePort();
  const child = spawn(process.execPath, serverCommand(), { cwd, env: { ...env, PORT: String(port), HOST: '127.0.0.1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  // 'close', not 'exit': only then has all of its output been read.
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  const url = `http://127.0.0.1:${port}`;
  let stopMs = 0;
  try {
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${stderr}${stdout}`);
      return (await fetch(`${url}/health/live`).catch(() => undefined))?.status === 200;
    }, 30_000);
    await use({ url });
  } finally {
    const stopping = Date.now();
    child.kill('SIGTERM');
    await exited;
    stopMs = Date.now() - stopping;
  }
  return { stdout, stderr, code: child.exitCode, signal: child.signalCode, stopMs };
}

function parseLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function requestIdOf(line: Record<string, unknown>): string | undefined {
  return (line.req as { id?: string } | undefined)?.id;
}

describe('starting the server', () => {
  it('PORT=abc stops the start with exit code 1 naming PORT and why', () => {
    const { code, stderr, stdout } = startAndFail({ PORT: 'abc' });
    expect(code).toBe(1);
    expect(stderr).toBe(
      'nono-chat cannot start. Invalid configuration:\n' +
        '  - PORT="abc" is not a whole number\n' +
        'See config/.env.example for every setting.\n',
    );
    expect(stdout).toBe('');
  });

  it('reports every bad variable of one start together', () => {
    const { code, stderr } = startAndFail({
      SESSION_TTL_SECONDS: '-5',
      REDIS_URL: 'redis//localhost',
      OPENAI_BASE_URL: 'ftp://models.example.com',
      LOG_LEVEL: 'loud',
      HOST: 'not a host',
    });
    expect(code).toBe(1);
    for (const name of ['SESSION_TTL_SECONDS', 'REDIS_URL', 'OPENAI_BASE_URL', 'LOG_LEVEL', 'HOST']) {
      expect(stderr).toMatch(new RegExp(`^  - ${name}[= ]`, 'm'));
    }
  });

  it('a missing persona file stops the start naming the file and PERSONAS_FILE', () => {
    const { code, stderr } = startAndFail({ PERSONAS_FILE: '/nonexistent/personas.yaml' });
    expect(code).toBe(1);
    expect(stderr).toContain('nono-chat cannot start. /nonexistent/personas.yaml: the persona file does not exist. Set PERSONAS_FILE');
  });

  describe('with a .env file, the embedded store and JSON logs', () => {
    let dir: string;
    let run: Finished;
    let logs: Array<Record<string, unknown>>;
    let health: { status: number; body: Record<string, unknown> };

    beforeAll(async () => {
      // The working directory holds a .env; the environment overrides PORT and HOST from it.
      dir = mkdtempSync(join(tmpdir(), 'nono-start-'));
      writeFileSync(
        join(dir, '.env'),
        `PORT=1\nHOST=0.0.0.0\nLOG_LEVEL=info\nOPENAI_MODEL=from-dotenv\nPERSONAS_FILE=${BASE_ENV.PERSONAS_FILE}\n`,
      );
      const { PATH, HOME, TS_NODE_PROJECT } = BASE_ENV;
      run = await withServer({ PATH, HOME, TS_NODE_PROJECT }, dir, async ({ url }) => {
        const res = await fetch(`${url}/health`);
        health = { status: res.status, body: (await res.json()) as Record<string, unknown> };
        // Bodies read to the end, so each response is complete (and logged) before the server stops.
        await (await fetch(`${url}/api/no-such-route`, { headers: { 'X-Request-Id': 'start-test-1', Authorization: 'Bearer very-secret' } })).text();
        await (await fetch(`${url}/`, { headers: { 'X-Request-Id': 'start-test-2' } })).text();
      });
      logs = parseLines(run.stdout);
    }, 60_000);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('starts, reads .env (the environment wins) and says where the data is kept and that it serves one process', () => {
      expect(run.stderr).toBe('');
      expect(health).toMatchObject({ status: 200, body: { details: { redis: { store: 'embedded' }, model: { default_model: 'from-dotenv', configured: false, hint: expect.stringContaining('OPENAI_API_KEY') } } } });
      const messages = logs.map((l) => String(l.msg ?? ''));
      expect(messages).toContain(`Read settings from ${join(dir, '.env')} (variables set in the environment take precedence)`);
      const store = messages.find((m) => m.includes('EMBEDDED STORE'));
      expect(store).toContain(`kept in ${join(dir, 'data')}`);
      expect(store).toContain('It serves ONE process: to run several instances, set REDIS_URL');
      expect(store).not.toContain('lost on restart');
      expect(messages.some((m) => /^Listening on http:\/\/127\.0\.0\.1:\d+ \(API docs at \/api\/docs\)$/.test(m))).toBe(true);
    });

    it('logs one JSON line per request with its request id, and no credentials', () => {
      const line = logs.find((l) => requestIdOf(l) === 'start-test-1');
      expect(line).toMatchObject({ level: 30, msg: 'request completed', service: 'nono-chat', res: { statusCode: 404 } });
      expect(line!.req).toMatchObject({ method: 'GET', url: '/api/no-such-route' });
      expect(line!.req).not.toHaveProperty('headers');
      expect(run.stdout).not.toContain('very-secret');
      expect(logs.some((l) => requestIdOf(l) === 'start-test-2')).toBe(true);
    });

    it('stops promptly on SIGTERM', () => {
      // Nest closes the app (Redis client, watchers) and then re-raises the signal.
      expect(String(run.signal ?? run.code)).toMatch(/^(SIGTERM|0)$/);
      expect(run.stopMs).toBeLessThan(5000);
    });
  });

  it('LOG_LEVEL=warn leaves out info lines such as the request log', async () => {
    const run = await withServer({ ...BASE_ENV, LOG_LEVEL: 'warn' }, PLAIN_DIR, async ({ url }) => {
      await fetch(`${url}/api/nope`);
    });
    const levels = parseLines(run.stdout).map((l) => l.level as number);
    expect(levels.length).toBeGreaterThan(0); // the embedded-store warning
    expect(levels.every((level) => level >= 40)).toBe(true);
  }, 60_000);
});
