/**
 * Slow, multi-process: a Redis of its own killed with SIGKILL and restarted under running answers,
 * and the built server stopped with SIGTERM under 20 running answers.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import request from 'supertest';
import { sseRequest, SseResponse } from '../bench/common/sse-client';
import { startTestApp, TestApp } from './support/app';
import { eventually, TEST_MODEL_ENV } from './support/fake-openai-harness';
import { FakeOpenAI, startFakeOpenAI } from './support/fake-openai';
import { newGuest } from './support/guest';
import { freePort } from './support/ports';
import { deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from './support/redis';

jest.setTimeout(240_000);

const ROOT = resolve(__dirname, '..');
const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');
const lastData = (res: SseResponse) => JSON.parse(res.events[res.events.length - 1]?.data ?? 'null');

/** A redis-server of this test's own, with the append-only file on, that can be killed and restarted. */
class OwnRedis {
  private child?: ChildProcess;
  readonly dir = mkdtempSync(join(tmpdir(), 'nono-redis-'));
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--appendonly', 'yes', '--dir', this.dir, '--save', '', '--enable-debug-command', 'yes'];
    this.child = spawn('redis-server', args, { stdio: 'ignore' });
    await eventually(async () => {
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG' ? true : undefined;
      } catch {
        return undefined;
      } finally {
        probe.disconnect();
      }
    }, 10_000);
  }

  async kill(): Promise<void> {
    const child = this.child!;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null) await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

describe('answers that survive: Redis killed and restarted', () => {
  let fake: FakeOpenAI;
  let redis: OwnRedis;
  let app: TestApp;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    redis = new OwnRedis(await freePort());
    await redis.start();
    app = await startTestApp({ OPENAI_BASE_URL: fake.url, ...TEST_MODEL_ENV, REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
    await fake?.close();
  });

  it('no acknowledged message is lost, reads answer 503 (never 404) meanwhile, sends work again within 10 s', async () => {
    const me = await newGuest(app.url);
    // Enough data that loading the append-only file takes a moment (reads meet LOADING, not only a refused connection).
    const admin = new Redis(redis.url);
    await admin.call('DEBUG', 'POPULATE', '300000', 'filler', '64');
    await admin.bgrewriteaof();
    await eventually(async () => ((await admin.info('persistence')).match(/aof_rewrite_in_progress:0/) ? true : undefined), 30_000);
    admin.disconnect();

    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await request(app.url).post('/api/sessions').set(me.auth).send({}).expect(201)).body.session_id);
    const text = words(40);
    fake.setDefault({ text, chunkDelayMs: 50 });
    const answers = ids.map((id) =>
      sseRequest({ url: `${app.url}/api/sessions/${id}/messages`, headers: me.auth, body: { content: `hello ${id}` }, timeoutMs: 60_000 }),
    );
    await fake.waitForChatRequest(ids.length, 10_000);
    await new Promise((r) => setTimeout(r, 300));

    await redis.kill();
    const statuses = new Set<number>();
    let polling = true;
    const poll = (async () => {
      while (polling) {
        statuses.add((await request(app.url).get(`/api/sessions/${ids[0]}`).set(me.auth)).status);
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    await new Promise((r) => setTimeout(r, 800));
    await redis.start();
    // Sends work again (an idle session: no answer holds its lock). The bound is loose for a loaded
    // machine but well below the ~27 s a lock without heartbeat used to block sends.
    const idle = (await eventually(async () => {
      const res = await request(app.url).post('/api/sessions').set(me.auth).send({});
      return res.status === 201 ? res : undefined;
    }, 20_000)).body.session_id as string;
    fake.setDefault({ text: 'back', chunkDelayMs: 0 });
    await eventually(async () => {
      const res = await request(app.url).post(`/api/sessions/${idle}/messages`).set(me.auth).send({ content: 'still there?' });
      return res.status === 201 ? true : undefined;
    }, 20_000);
    polling = false;
    await poll;

    expect([...statuses].filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(statuses.has(503)).toBe(true);

    // Every answer that began reached its end and is stored, with its user message, once.
    const results = await Promise.all(answers);
    for (const [i, res] of results.entries()) {
      expect(res.events[0].event).toBe('user_message');
      const history = (await request(app.url).get(`/api/sessions/${ids[i]}/messages`).set(me.auth).expect(200)).body.messages;
      expect(history.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
      expect(history[0].content).toBe(`hello ${ids[i]}`);
      const last = lastData(res);
      if (res.events[res.events.length - 1].event === 'done') expect(history[1]).toMatchObject({ id: last.id, content: last.content });
      expect(history[1].content).toBe(text);
    }
  });
});

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

describe('answers that survive: a server process stopped (SIGTERM) or lost (SIGKILL)', () => {
  const GRACE_SECONDS = 3;
  let fake: FakeOpenAI;
  const prefix = uniquePrefix('sigterm');
  const startServer = async () => {
    const port = await freePort();
    const env = {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      OPENAI_BASE_URL: fake.url,
      ...TEST_MODEL_ENV,
      SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS),
      LOG_LEVEL: 'warn',
      PERSONAS_FILE: join(ROOT, 'config/personas.yaml'),
      TITLE_MODEL: 'off',
    };
    const child = spawn(process.execPath, [join(ROOT, 'dist/server/main.js')], { cwd: ROOT, env });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    const closed = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    const url = `http://127.0.0.1:${port}`;
    await eventually(async () => ((await fetch(`${url}/health/live`).catch(() => undefined))?.status === 200 ? true : undefined), 30_000);
    return { child, url, closed, output: () => output };
  };
  beforeAll(async () => {
    const main = join(ROOT, 'dist/server/main.js');
    let built = 0;
    try {
      built = statSync(main).mtimeMs;
    } catch {
      // not built yet
    }
    if (built < newestSource(join(ROOT, 'server'))) {
      const build = spawnSync('npx', ['nest', 'build'], { cwd: ROOT, encoding: 'utf8', timeout: 200_000 });
      if (build.status !== 0) throw new Error(`nest build failed:\n${build.stdout}${build.stderr}`);
    }
    fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await fake?.close();
    await deleteKeysWithPrefix(prefix);
  });

  it('exits within grace + 2 s; every partial answer is stored as interrupted; no lock is left', async () => {
    const { child, url, closed, output: read } = await startServer();

    const me = await newGuest(url);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await request(url).post('/api/sessions').set(me.auth).send({}).expect(201)).body.session_id);
    // Far longer than the grace period.
    fake.setDefault({ text: words(400), chunkDelayMs: 50 });
    const answers = ids.map((id) => sseRequest({ url: `${url}/api/sessions/${id}/messages`, headers: me.auth, body: { content: 'long one' }, timeoutMs: 60_000 }));
    await fake.waitForChatRequest(20, 20_000);
    await new Promise((r) => setTimeout(r, 200));

    // The answers run ~20 s; every one ending interrupted shows the process stopped them after the
    // grace period instead of waiting (the exit time itself is not asserted: it varies with load).
    child.kill('SIGTERM');
    const code = await closed;
    expect({ code, output: code === 0 ? '' : read() }).toEqual({ code: 0, output: '' });

    // Every client heard a last event: its answer stored as interrupted, or "reconnect elsewhere".
    for (const res of await Promise.all(answers)) {
      const last = res.events[res.events.length - 1];
      expect(['done', 'interrupted']).toContain(last.event);
      if (last.event === 'done') expect(JSON.parse(last.data).status).toBe('interrupted');
    }
    const other = await startTestApp({ REDIS_KEY_PREFIX: prefix });
    try {
      for (const id of ids) {
        const history = (await request(other.url).get(`/api/sessions/${id}/messages`).set(me.auth).expect(200)).body.messages;
        expect(history.map((m: { role: string; status?: string }) => [m.role, m.status])).toEqual([
          ['user', undefined],
          ['assistant', 'interrupted'],
        ]);
        expect(history[1].content.length).toBeGreaterThan(0);
        await request(other.url).get(`/api/sessions/${id}/generation`).set(me.auth).expect(200);
      }
      const scanner = new Redis(TEST_REDIS_URL);
      const locks = await scanner.keys(`${prefix}:*:gen`);
      scanner.disconnect();
      expect(locks).toEqual([]);
    } finally {
      await other.close().catch(() => undefined);
    }
  });

  it('a lost server (SIGKILL) mid-answer: Stop elsewhere clears its lock at once, followers are told, sends work again', async () => {
    const lost = await startServer();
    const other = await startTestApp({ REDIS_KEY_PREFIX: prefix, OPENAI_BASE_URL: fake.url, ...TEST_MODEL_ENV });
    try {
      const me = await newGuest(lost.url);
      const id = (await request(lost.url).post('/api/sessions').set(me.auth).send({}).expect(201)).body.session_id as string;
      fake.setDefault({ text: words(400), chunkDelayMs: 50 });
      const answer = sseRequest({ url: `${lost.url}/api/sessions/${id}/messages`, headers: me.auth, body: { content: 'long one' }, timeoutMs: 30_000 });
      await fake.waitForChatRequest(1, 20_000);
      await new Promise((r) => setTimeout(r, 300));
      const follower = sseRequest({ url: `${other.url}/api/sessions/${id}/generation`, method: 'GET', headers: me.auth, timeoutMs: 30_000 });
      await new Promise((r) => setTimeout(r, 200));
      lost.child.kill('SIGKILL');
      await lost.closed;
      await answer;
      await request(other.url).post(`/api/sessions/${id}/messages`).set(me.auth).send({ content: 'next' }).expect(409);
      // Stop waits for the owner; once its liveness key is gone (at most 4 s) Stop clears the lock.
      await request(other.url).post(`/api/sessions/${id}/stop`).set(me.auth).expect(200, { stopped: true });
      const followed = await follower;
      expect(followed.events[followed.events.length - 1].event).toBe('error');
      fake.setDefault({ text: 'back', chunkDelayMs: 0 });
      await request(other.url).post(`/api/sessions/${id}/messages`).set(me.auth).send({ content: 'next' }).expect(201);
    } finally {
      await other.close().catch(() => undefined);
    }
  });
});
