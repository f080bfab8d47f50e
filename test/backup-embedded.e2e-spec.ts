import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import request from 'supertest';
import { backupCommand } from '../server/cli/backup';
import { restoreCommand } from '../server/cli/restore';
import { CliCommand, runCli } from '../server/cli/run-cli';
import { parseEnv } from '../server/config/env';
import { readDataDir } from '../server/redis/embedded-load';
import { MemoryRedis } from '../server/redis/memory-redis';
import { apiView } from './support/api-view';
import { startTestApp } from './support/app';
import { FakeOpenAI, startFakeOpenAI } from './support/fake-openai';
import { Guest, newGuest } from './support/guest';
import { deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from './support/redis';
import { ServerProcess, startServerProcess } from './support/server-process';
import { storeContents, withoutTtls } from './support/store-contents';

/** Runs an admin command as `npm run …` would, with these settings (no REDIS_URL unless given). */
async function cli(command: CliCommand, args: string[], settings: Record<string, string>) {
  const [stdout, stderr] = [new PassThrough(), new PassThrough()];
  const code = await runCli(command, args, { stdout, stderr }, parseEnv(settings));
  return { code, stdout: String(stdout.read() ?? ''), stderr: String(stderr.read() ?? '') };
}

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** A DATA_DIR's contents under the default prefix, read from its files (without TTLs, which tick). */
async function dataDirContents(dir: string) {
  const store = new MemoryRedis(readDataDir(dir, quiet).db);
  try {
    // Without the instances' liveness marks (instance:<id>): they lapse seconds after a server stops.
    const contents = withoutTtls(await storeContents(store, 'nono'));
    return Object.fromEntries(Object.entries(contents).filter(([key]) => !key.startsWith('instance:')));
  } finally {
    await store.quit();
  }
}

/** Backup and restore of the embedded store's DATA_DIR: the way from one process to Redis and back. */
describe('backup and restore of the embedded store (DATA_DIR)', () => {
  let fake: FakeOpenAI;
  let work: string;
  let dataDir: string;
  let env: Record<string, string>;
  let server: ServerProcess;
  let me: Guest;
  let other: Guest;
  let file: string;
  let before: { me: Awaited<ReturnType<typeof apiView>>; other: Awaited<ReturnType<typeof apiView>> };
  const prefixes: string[] = [];
  const running: ServerProcess[] = [];

  const start = async (dir: string) => {
    const s = await startServerProcess({ ...env, DATA_DIR: dir }, work);
    running.push(s);
    return s;
  };
  const stop = async (s: ServerProcess) => {
    s.child.kill('SIGTERM');
    await s.exited;
  };

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    work = mkdtempSync(join(tmpdir(), 'nono-embedded-backup-'));
    dataDir = join(work, 'data');
    file = join(work, 'backup.ndjson');
    env = {
      OPENAI_BASE_URL: fake.url,
      OPENAI_MODEL: 'test-model',
      OPENAI_API_KEY: 'test-key',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_GUEST_PER_MINUTE: '0',
      RATE_LIMIT_MESSAGES_PER_MINUTE: '0',
      RATE_LIMIT_SESSIONS_PER_MINUTE: '0',
    };
    server = await start(dataDir);
    me = await newGuest(server.url);
    other = await newGuest(server.url);
    const api = request(server.url);
    const chat = (await api.post('/api/sessions').set(me.auth).send({ display_name: 'Chat' }).expect(201)).body.session_id;
    for (const content of ['First question', 'Second question']) {
      fake.script({ text: `Answer to ${content}.` });
      await api.post(`/api/sessions/${chat}/messages`).set(me.auth).send({ content }).expect(201);
    }
    const pinned = (await api.post('/api/sessions').set(me.auth).send({}).expect(201)).body.session_id;
    await api.patch(`/api/sessions/${pinned}`).set(me.auth).send({ display_name: 'Kept', pinned: true }).expect(200);
    await api.post('/api/sessions').set(other.auth).send({ display_name: 'Theirs' }).expect(201);
    before = { me: await apiView(server.url, me), other: await apiView(server.url, other) };
  }, 180_000);

  afterAll(async () => {
    for (const s of running) s.child.kill('SIGKILL');
    await Promise.all(running.map((s) => s.exited));
    await fake.close();
    for (const p of prefixes) await deleteKeysWithPrefix(p);
    rmSync(work, { recursive: true, force: true });
  });

  it('backs up a DATA_DIR while its server runs; restored into Redis it answers the same API reads', async () => {
    const backup = await cli(backupCommand, ['--out', file], { DATA_DIR: dataDir });
    expect(backup).toMatchObject({ code: 0, stderr: '' });
    expect(backup.stdout).toMatch(
      new RegExp(`^Backed up \\d+ keys in \\d+ groups from the embedded store in ${dataDir} \\(read from its files while nono-chat, pid ${server.child.pid}, keeps running\\)`),
    );
    // The backup took no lock: the server still holds DATA_DIR and goes on serving.
    expect(readdirSync(dataDir)).toContain('lock');
    await request(server.url).get('/api/sessions').set(me.auth).expect(200);

    const prefix = uniquePrefix('fromembedded');
    prefixes.push(prefix);
    expect(await cli(restoreCommand, [file], { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix })).toMatchObject({ code: 0, stderr: '' });
    const app = await startTestApp({ REDIS_KEY_PREFIX: prefix });
    try {
      expect(await apiView(app.url, me)).toEqual(before.me);
      expect(await apiView(app.url, other)).toEqual(before.other);
      expect(before.me.sessions).toHaveLength(2);
      expect(Object.values(before.me.histories).some((page: any) => page.messages.length === 4)).toBe(true);
    } finally {
      await app.close();
    }
  }, 120_000);

  it('refuses to restore into a DATA_DIR its server holds, saying to stop the server; nothing is written', async () => {
    const result = await cli(restoreCommand, [file], { DATA_DIR: dataDir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`DATA_DIR ${dataDir} is in use by the running nono-chat (pid ${server.child.pid})`);
    expect(result.stderr).toMatch(/stop the server, run this command again, then start the server/);
    expect(await apiView(server.url, me)).toEqual(before.me);
  });

  it('with the server stopped, restores into a DATA_DIR (twice changes nothing) that a server then serves as before', async () => {
    await stop(server);
    const target = join(work, 'restored');
    const first = await cli(restoreCommand, [file], { DATA_DIR: target });
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(new RegExp(`^Restored \\d+ keys in \\d+ groups into the embedded store in ${target}, prefix "nono"`));
    // Written, fsynced and unlocked when the command ends.
    expect(existsSync(join(target, 'lock'))).toBe(false);
    const once = await dataDirContents(target);
    expect(once).toEqual(await dataDirContents(dataDir));
    expect((await cli(restoreCommand, [file], { DATA_DIR: target })).code).toBe(0);
    expect(await dataDirContents(target)).toEqual(once);

    const again = await start(target);
    expect(await apiView(again.url, me)).toEqual(before.me);
    expect(await apiView(again.url, other)).toEqual(before.other);
    await stop(again);
  }, 180_000);

  it('says what to set when there is no DATA_DIR to read', async () => {
    const memoryOnly = await cli(backupCommand, ['--out', join(work, 'x.ndjson')], { DATA_DIR: '' });
    expect(memoryOnly.code).toBe(1);
    expect(memoryOnly.stderr).toMatch(/DATA_DIR is empty.*memory only.*Set DATA_DIR to the server's data directory/);
    const missing = await cli(backupCommand, ['--out', join(work, 'x.ndjson')], { DATA_DIR: join(work, 'nowhere') });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/DATA_DIR .*nowhere does not exist/);
    expect(existsSync(join(work, 'x.ndjson'))).toBe(false);
  });
});
