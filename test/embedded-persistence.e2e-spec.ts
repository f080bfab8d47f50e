import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startFakeOpenAI, FakeOpenAI } from './support/fake-openai';
import { newGuest } from './support/guest';
import { serverCommand, SERVER_BASE_ENV, ServerProcess, startServerProcess } from './support/server-process';

/** The built server (or the sources when dist/ is stale) on the embedded store, stopped by kill -9 and started again. */
describe('the embedded store across a kill -9', () => {
  let fake: FakeOpenAI;
  let work: string;
  let dataDir: string;
  let env: Record<string, string>;
  const running: ServerProcess[] = [];

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    work = mkdtempSync(join(tmpdir(), 'nono-work-'));
    dataDir = join(work, 'store');
    env = {
      DATA_DIR: dataDir,
      OPENAI_BASE_URL: fake.url,
      OPENAI_MODEL: 'test-model',
      OPENAI_API_KEY: 'test-key',
      LOG_FORMAT: 'json',
      RATE_LIMIT_GUEST_PER_MINUTE: '0',
      RATE_LIMIT_MESSAGES_PER_MINUTE: '0',
      RATE_LIMIT_SESSIONS_PER_MINUTE: '0',
    };
  });

  afterAll(async () => {
    for (const server of running) server.child.kill('SIGKILL');
    await Promise.all(running.map((s) => s.exited));
    await fake.close();
    rmSync(work, { recursive: true, force: true });
  });

  const start = async () => {
    const server = await startServerProcess(env, work);
    running.push(server);
    return server;
  };

  it('brings back the identity, its session, the history and the TTL; a second process on the same DATA_DIR is refused', async () => {
    const first = await start();
    const me = await newGuest(first.url);
    const api = request(first.url);
    const session = (await api.post('/api/sessions').set(me.auth).send({ display_name: 'Kept' }).expect(201)).body;
    for (const content of ['first question', 'second question']) {
      fake.script({ text: `answer to ${content}` });
      await api.post(`/api/sessions/${session.session_id}/messages`).set(me.auth).send({ content }).expect(201);
    }
    const before = (await api.get(`/api/sessions/${session.session_id}`).set(me.auth).expect(200)).body;
    const history = (await api.get(`/api/sessions/${session.session_id}/messages`).set(me.auth).expect(200)).body;
    expect(history.messages).toHaveLength(4);
    // Writes reach the disk within a second (appendfsync everysec); then the process dies without a word.
    await new Promise((r) => setTimeout(r, 1500));
    first.child.kill('SIGKILL');
    await first.exited;
    expect(first.child.signalCode).toBe('SIGKILL');

    const second = await start();
    expect(second.output()).toContain(`kept in ${dataDir}`);
    const again = request(second.url);
    const after = (await again.get(`/api/sessions/${session.session_id}`).set(me.auth).expect(200)).body;
    expect(after).toMatchObject({ session_id: session.session_id, display_name: 'Kept', message_count: 4, created_at: before.created_at });
    expect(after.expires_at).not.toBeNull();
    // The TTL went on from where it was (a read may renew it), not from zero and not removed.
    expect(Date.parse(after.expires_at)).toBeGreaterThanOrEqual(Date.parse(before.expires_at));
    expect(Date.parse(after.expires_at) - Date.now()).toBeLessThanOrEqual(3600_000);
    expect((await again.get(`/api/sessions/${session.session_id}/messages`).set(me.auth).expect(200)).body).toEqual(history);
    // Another identity still gets 404 for it.
    const other = await newGuest(second.url);
    await again.get(`/api/sessions/${session.session_id}`).set(other.auth).expect(404);

    const rival = spawnSync(process.execPath, serverCommand(), {
      cwd: work,
      env: { ...SERVER_BASE_ENV, ...env, PORT: '0', HOST: '127.0.0.1' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(rival.status).toBe(1);
    expect(rival.stderr).toContain(`DATA_DIR ${dataDir} is in use by another running nono-chat (pid ${second.child.pid}`);

    second.child.kill('SIGTERM');
    await second.exited;
    // A clean stop (Nest re-raises the signal once shut down) that released DATA_DIR.
    expect(second.output()).not.toMatch(/"level":50/);
    expect(existsSync(join(dataDir, 'lock'))).toBe(false);
    expect(readFileSync(join(dataDir, 'appendonly.0.log'), 'utf8')).toContain(me.user_id);
  }, 180_000);
});
