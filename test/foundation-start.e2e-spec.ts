import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { eventually } from './support/probe';

const ROOT = resolve(__dirname, '..');
const BUILT_MAIN = join(ROOT, 'dist/server/main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * How to start the server as `npm start` does: the build in dist/ when it is at least as new as the
 * sources (as after `npm run build` in `npm test`), else the sources through ts-node.
 */
function serverCommand(): string[] {
  try {
    if (statSync(BUILT_MAIN).mtimeMs >= newestSource(join(ROOT, 'server'))) return [BUILT_MAIN];
  } catch {
    // not built
  }
  return ['-r', require.resolve('ts-node/register/transpile-only'), join(ROOT, 'server/main.ts')];
}

const BASE_ENV: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '/tmp',
  TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
  PERSONAS_FILE: join(ROOT, 'config/personas.yaml'),
};

/** Runs the server to completion (for starts that must fail). */
function startAndFail(env: Record<string, string>, cwd = ROOT) {
  const run = spawnSync(process.execPath, serverCommand(), { cwd, env: { ...BASE_ENV, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { code: run.status, stderr: run.stderr, stdout: run.stdout };
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
    let lines: Array<Record<string, unknown>>;
    let stderr = '';
    let exitCode: number | null;

    beforeAll(async () => {
      // The working directory holds a .env; the environment overrides one of its values.
      dir = mkdtempSync(join(tmpdir(), 'nono-start-'));
      const port = 20000 + Math.floor(Math.random() * 20000);
      writeFileSync(join(dir, '.env'), `PORT=1\nHOST=127.0.0.1\nLOG_LEVEL=info\nOPENAI_MODEL=from-dotenv\nPERSONAS_FILE=${BASE_ENV.PERSONAS_FILE}\n`);
      const child = spawn(process.execPath, serverCommand(), {
        cwd: dir,
        env: { PATH: BASE_ENV.PATH, HOME: BASE_ENV.HOME, TS_NODE_PROJECT: BASE_ENV.TS_NODE_PROJECT, PORT: String(port) },
      });
      let out = '';
      child.stdout.on('data', (chunk) => (out += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const url = `http://127.0.0.1:${port}`;
      try {
        await eventually(() => out.includes('Listening on') || child.exitCode !== null, 30_000);
        if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}: ${stderr}`);
        const health = await fetch(`${url}/health`);
        lines = [{ health: await health.json(), status: health.status }];
        await fetch(`${url}/api/no-such-route`, { headers: { 'X-Request-Id': 'start-test-1', Authorization: 'Bearer very-secret' } });
        await fetch(`${url}/`, { headers: { 'X-Request-Id': 'start-test-2' } });
      } finally {
        child.kill('SIGTERM');
        exitCode = await new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (c) => r(c))));
      }
      lines.push(...out.trim().split('\n').map((line) => JSON.parse(line)));
    }, 60_000);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('starts, reads .env (the environment wins) and says the data is not kept', () => {
      expect(stderr).toBe('');
      expect(lines[0]).toMatchObject({ status: 200, health: { details: { redis: { store: 'embedded' }, model: { default_model: 'from-dotenv' } } } });
      const messages = lines.map((l) => String(l.msg ?? ''));
      expect(messages.some((m) => m.startsWith(`Read settings from ${join(dir, '.env')}`))).toBe(true);
      expect(messages.some((m) => m.includes('EMBEDDED IN-PROCESS STORE'))).toBe(true);
      expect(messages.some((m) => /^Listening on http:\/\/127\.0\.0\.1:\d+ /.test(m) && !m.includes(':1 '))).toBe(true);
    });

    it('logs one JSON line per request with its request id, and no credentials', () => {
      const request = lines.find((l) => (l.req as { id?: string } | undefined)?.id === 'start-test-1');
      expect(request).toMatchObject({ level: 30, msg: 'request completed', res: { statusCode: 404 } });
      const headers = (request!.req as { headers: Record<string, string> }).headers;
      expect(headers.authorization).toBe('[Redacted]');
      expect(JSON.stringify(lines)).not.toContain('very-secret');
      expect(lines.some((l) => (l.req as { id?: string } | undefined)?.id === 'start-test-2')).toBe(true);
    });

    it('shuts down cleanly on SIGTERM', () => {
      expect(exitCode).toBe(0);
    });
  });

  it('LOG_LEVEL=warn leaves out the request lines', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = spawn(process.execPath, serverCommand(), {
      cwd: ROOT,
      env: { ...BASE_ENV, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    try {
      await eventually(() => out.includes('EMBEDDED IN-PROCESS STORE') || child.exitCode !== null, 30_000);
      await eventually(async () => (await fetch(`http://127.0.0.1:${port}/api/nope`).catch(() => undefined))?.status === 404, 30_000);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(0) : child.once('exit', r)));
    }
    const levels = out.trim().split('\n').map((line) => (JSON.parse(line) as { level: number }).level);
    expect(levels.length).toBeGreaterThan(0);
    expect(levels.every((level) => level >= 40)).toBe(true);
  }, 60_000);
});
