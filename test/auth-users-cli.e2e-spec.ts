import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import request from 'supertest';
import { startTestApp, TestApp } from './support/app';
import { TEST_REDIS_URL } from './support/redis';

const ROOT = resolve(__dirname, '..');

/** Runs the users command as an administrator would, with the password on standard input. */
function users(args: string[], stdin: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'server/cli/users.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('npm run users -- add NAME', () => {
  let t: TestApp;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await startTestApp({ AUTH_MODE: 'accounts', REGISTRATION: 'closed' });
    env = { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: t.prefix, AUTH_MODE: 'accounts' };
  });
  afterAll(async () => {
    await t.close();
  });

  it('adds a user who can then log in, while registration is closed', async () => {
    const added = await users(['add', 'admin.one', '--password-stdin'], 'a long secret\n', env);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toMatch(/^Added user "admin.one" \(u_[A-Za-z0-9_-]{22}\)\.$/m);
    const res = await request(t.url).post('/api/auth/login').send({ username: 'admin.one', password: 'a long secret' }).expect(200);
    await request(t.url).get('/api/me').set('Authorization', `Bearer ${res.body.token}`).expect(200);
    await request(t.url).post('/api/auth/login').send({ username: 'admin.one', password: 'a long secret\n' }).expect(401);
  }, 60_000);

  it('refuses a taken name, a bad name, a short password and the embedded store, saying why', async () => {
    // Each run starts a TypeScript process; run them side by side.
    const [taken, badName, short, embedded, usage] = await Promise.all([
      users(['add', 'admin.one', '--password-stdin'], 'a long secret\n', env),
      users(['add', 'No Spaces'], 'a long secret\n', env),
      users(['add', 'shorty'], 'short\n', env),
      users(['add', 'someone'], 'a long secret\n', { REDIS_KEY_PREFIX: t.prefix }),
      users([], '', env),
    ]);
    expect(taken).toMatchObject({ code: 1, stderr: expect.stringMatching(/"admin.one" is taken/) });
    expect(badName).toMatchObject({ code: 1, stderr: expect.stringMatching(/lowercase letters, digits/) });
    expect(short).toMatchObject({ code: 1, stderr: expect.stringMatching(/at least 8 characters/) });
    expect(embedded).toMatchObject({ code: 1, stderr: expect.stringMatching(/REDIS_URL is not set/) });
    expect(usage).toMatchObject({ code: 1, stderr: expect.stringMatching(/Usage: npm run users -- add NAME/) });
  }, 120_000);
});
