import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type Redis from 'ioredis';
import { writeBackup } from '../server/backup/backup';
import type { BackupGroup } from '../server/backup/backup-format';
import { sessionsSettings } from '../server/config/config';
import { RedisKeys } from '../server/redis/redis-keys';
import { SessionsRepository } from '../server/sessions/sessions.repository';
import { restoreBackup } from '../server/backup/restore';
import { backupCommand } from '../server/cli/backup';
import { restoreCommand } from '../server/cli/restore';
import { CliCommand, runCli } from '../server/cli/run-cli';
import { parseEnv } from '../server/config/env';
import { MemoryRedis } from '../server/redis/memory-redis';
import { ChatHarness, startChatHarness } from './support/fake-openai-harness';
import { startTestApp } from './support/app';
import { apiView } from './support/api-view';
import { Guest, newGuest } from './support/guest';
import { deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from './support/redis';
import { openTestRedis } from './support/store';
import { storeContents, withoutTtls } from './support/store-contents';

/**
 * What a restore must reproduce: the contents without TTLs and without the instances' liveness
 * marks (`instance:<id>`, renewed every few seconds by a running server and gone seconds after).
 */
function comparable(contents: Awaited<ReturnType<typeof storeContents>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(withoutTtls(contents)).filter(([key]) => !key.startsWith('instance:')));
}

/** Runs an admin command as `npm run …` would, on the test Redis under `prefix`. */
async function cli(command: CliCommand, args: string[], prefix: string, redisUrl: string | null = TEST_REDIS_URL, more: Record<string, string> = {}) {
  const [stdout, stderr] = [new PassThrough(), new PassThrough()];
  const env = parseEnv({ REDIS_URL: redisUrl ?? undefined, REDIS_KEY_PREFIX: prefix, ...more });
  const code = await runCli(command, args, { stdout, stderr }, env);
  return { code, stdout: String(stdout.read() ?? ''), stderr: String(stderr.read() ?? '') };
}

describe('backup and restore (real Redis, the embedded store)', () => {
  let h: ChatHarness;
  let other: Guest;
  let redis: Redis;
  let dir: string;
  let file: string;
  let before: { me: Awaited<ReturnType<typeof apiView>>; other: Awaited<ReturnType<typeof apiView>> };
  const prefixes: string[] = [];
  const newPrefix = (label: string) => {
    const p = uniquePrefix(label);
    prefixes.push(p);
    return p;
  };

  beforeAll(async () => {
    h = await startChatHarness();
    redis = await openTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'nono-backup-test-'));
    file = join(dir, 'backup.ndjson');
    other = await newGuest(h.t.url);
    const chat = await h.newSession('default');
    h.fake.script({ text: 'First answer.' });
    await h.sendSse(chat, 'First question');
    h.fake.script({ text: 'Second answer.' });
    await h.sendSse(chat, 'Second question');
    const pinned = await h.newSession('default');
    await h.api().patch(`/api/sessions/${pinned}`).set(h.me.auth).send({ display_name: 'Kept', pinned: true }).expect(200);
    await h.newSession('default', other);
    // A key of no identity with a TTL, as limit counters are.
    await redis.set(`${h.t.prefix}:probe:counter`, '7', 'PX', 3_600_000);
    before = { me: await apiView(h.t.url, h.me), other: await apiView(h.t.url, other) };
  });
  afterAll(async () => {
    await h.close();
    for (const p of prefixes) await deleteKeysWithPrefix(p);
    await redis.quit();
    await rm(dir, { recursive: true, force: true });
  });

  it('a backup restored under another prefix answers the same API reads to the same tokens, with TTLs kept', async () => {
    const backup = await cli(backupCommand, ['--out', file], h.t.prefix);
    expect(backup).toMatchObject({ code: 0, stderr: '' });
    expect(backup.stdout).toMatch(/^Backed up \d+ keys in \d+ groups/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ format: 'nono-chat-backup', version: 1, prefix: h.t.prefix, created_at: expect.any(Number) });
    expect(lines[lines.length - 1]).toMatchObject({ end: true });

    const b = newPrefix('restoreB');
    const restored = await cli(restoreCommand, [file], b);
    expect(restored).toMatchObject({ code: 0, stderr: '' });
    const source = await storeContents(redis, h.t.prefix);
    const copy = await storeContents(redis, b);
    expect(comparable(copy)).toEqual(comparable(source));
    for (const [key, { pttl }] of Object.entries(source)) {
      if (pttl === -1) expect(copy[key].pttl).toBe(-1);
      // Roughly: the time between the two reads may pass, never a TTL restarted from its full length.
      else expect(Math.abs(copy[key].pttl - pttl)).toBeLessThan(60_000);
    }
    expect(Object.values(source).some((k) => k.pttl === -1) && Object.values(source).some((k) => k.pttl > 0)).toBe(true);

    const appB = await startTestApp({ REDIS_KEY_PREFIX: b });
    try {
      expect(await apiView(appB.url, h.me)).toEqual(before.me);
      expect(await apiView(appB.url, other)).toEqual(before.other);
      expect(before.me.sessions).toHaveLength(2);
      expect(Object.values(before.me.histories).some((page: any) => page.messages.length === 4)).toBe(true);
    } finally {
      await appB.close();
    }
  });

  it('restoring the same file again changes nothing', async () => {
    const c = newPrefix('twice');
    expect((await cli(restoreCommand, [file], c)).code).toBe(0);
    const once = comparable(await storeContents(redis, c));
    expect((await cli(restoreCommand, [file], c)).code).toBe(0);
    expect(comparable(await storeContents(redis, c))).toEqual(once);
    expect(Object.keys(once).length).toBeGreaterThan(5);
  });

  it('moves from Redis to the embedded store and back, the same keys and values', async () => {
    const memory = new MemoryRedis();
    const memPrefix = 'nono';
    await restoreBackup(memory, memPrefix, file);
    const source = comparable(await storeContents(redis, h.t.prefix));
    expect(comparable(await storeContents(memory, memPrefix))).toEqual(source);

    const fromMemory = join(dir, 'from-memory.ndjson');
    const out = (await import('node:fs')).createWriteStream(fromMemory);
    await writeBackup(memory, memPrefix, out);
    await new Promise((resolve) => out.end(resolve));
    const d = newPrefix('frommem');
    await restoreBackup(redis, d, fromMemory);
    expect(comparable(await storeContents(redis, d))).toEqual(source);
    await memory.quit();
  });

  it('keys whose TTL ran out since the backup are not restored', async () => {
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    const edited = lines.map((line) => {
      const value = JSON.parse(line);
      if (value.keys?.[0]?.key === 'probe:counter') value.keys[0].expires_at = Date.now() - 1000;
      return JSON.stringify(value);
    });
    const stale = join(dir, 'stale.ndjson');
    await writeFile(stale, `${edited.join('\n')}\n`);
    const e = newPrefix('expired');
    const result = await cli(restoreCommand, [stale], e);
    // The edited key, and maybe an instance's liveness mark that lapsed meanwhile.
    expect(Number(/(\d+) keys had expired since and were skipped/.exec(result.stdout)?.[1])).toBeGreaterThanOrEqual(1);
    expect(await redis.exists(`${e}:probe:counter`)).toBe(0);
    expect(await redis.exists(`${e}:{u:${h.me.user_id}}:identity`)).toBe(1);
  });

  it('a cut-short or damaged file is refused naming the line, and nothing is restored', async () => {
    const text = await readFile(file, 'utf8');
    const lines = text.trimEnd().split('\n');
    const cases: Array<[string, string, RegExp]> = [
      ['cut mid-line', text.slice(0, text.indexOf('\n', text.indexOf('\n') + 1) + 1) + lines[2].slice(0, 40), /Line 3 of .*not valid JSON.*cut short/],
      ['cut at a line end', `${lines.slice(0, -1).join('\n')}\n`, /ends without its end line/],
      ['a bad value', lines.map((l, i) => (i === 1 ? l.replace(/"type":"(hash|string|list|zset)"/, '"type":"list"') : l)).join('\n'), /Line 2 of .*key .*a list value must be/],
      ['not a backup', '{"hello":1}\n', /Line 1 of .*is this a nono-chat backup/],
    ];
    for (const [label, content, message] of cases) {
      const bad = join(dir, `bad-${label.replace(/ /g, '-')}.ndjson`);
      await writeFile(bad, content);
      const target = newPrefix('bad');
      const result = await cli(restoreCommand, [bad], target);
      expect({ label, code: result.code }).toEqual({ label, code: 1 });
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(/Nothing was restored/);
      expect(await storeContents(redis, target)).toEqual({});
    }
  });

  it('without REDIS_URL and DATA_DIR the commands explain that a memory-only embedded store cannot be reached from outside the server', async () => {
    const result = await cli(backupCommand, ['--out', join(dir, 'x.ndjson')], 'nono', null, { DATA_DIR: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/REDIS_URL is not set and DATA_DIR is empty.*memory only.*running server process/);
    expect((await cli(backupCommand, [], 'nono')).stderr).toMatch(/Usage: npm run backup -- --out FILE/);
  });
});

describe.each([
  ['Redis', async () => openTestRedis()],
  ['the embedded store', async () => new MemoryRedis()],
] as const)('a backup of %s taken while messages are added', (_name, open) => {
  it('holds each session with its message count, its messages and its index entry from the same instant', async () => {
    const prefix = uniquePrefix('live');
    const store = await open();
    const keys = new RedisKeys({ keyPrefix: prefix, url: undefined });
    const repo = new SessionsRepository(store, keys, sessionsSettings(3600));
    const users = Array.from({ length: 6 }, (_, i) => `u_live${String(i).padStart(18, '0')}`);
    const sessions: Array<[string, string]> = [];
    for (const u of users) for (let i = 0; i < 4; i++) sessions.push([u, (await repo.create(u, { display_name: `c${i}`, persona: 'default', metadata: {} })).id]);
    let writing = true;
    let n = 0;
    const writer = (async () => {
      while (writing) {
        const [u, id] = sessions[n++ % sessions.length];
        await repo.appendMessages(u, id, [{ id: `m_${n}`, role: 'user', content: `message ${n}`, created_at: Date.now() }]);
        // The embedded store answers in microtasks: let the backup's file I/O have its turn.
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    // Every session has messages before the backup starts; writes go on while it runs.
    while (n <= sessions.length) await new Promise((resolve) => setTimeout(resolve, 5));
    const writtenBefore = n;
    try {
      await writeBackup(store, prefix, out);
    } finally {
      writing = false;
      await writer;
    }
    const groups = Buffer.concat(chunks).toString().trimEnd().split('\n').slice(1, -1).map((l) => JSON.parse(l) as BackupGroup);
    expect(n).toBeGreaterThan(writtenBefore);
    let checked = 0;
    for (const group of groups.filter((g) => g.group?.startsWith('u:'))) {
      const byKey = new Map(group.keys.map((r) => [r.key, r.value]));
      const index = new Map((byKey.get(`{${group.group}}:sessions`) as Array<[string, string]>).map(([m, s]) => [m, s]));
      for (const [key, value] of byKey) {
        const id = /:s:([^:]+)$/.exec(key)?.[1];
        if (!id) continue;
        const hash = value as Record<string, string>;
        expect((byKey.get(`${key}:msgs`) as string[]).length - 1).toBe(Number(hash.message_count));
        expect(index.get(id)).toBe(hash.last_activity);
        checked++;
      }
    }
    expect(checked).toBe(sessions.length);
    if (store instanceof MemoryRedis) await store.quit();
    else {
      await deleteKeysWithPrefix(prefix);
      await store.quit();
    }
  });
});
