import Redis from 'ioredis';
import request from 'supertest';
import { REDIS_CLIENT } from '../server/redis/redis.constants';
import { startTestApp, TestApp } from './support/app';
import { Guest, newGuest } from './support/guest';
import { TEST_REDIS_URL } from './support/redis';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sliding TTL, pinning and lazy pruning, with SESSION_TTL_SECONDS=1 so expiry happens in the test. */
describe('sessions: retention (SESSION_TTL_SECONDS=1)', () => {
  let t: TestApp;
  let me: Guest;
  let redis: Redis;
  beforeAll(async () => {
    t = await startTestApp({ SESSION_TTL_SECONDS: '1' });
    me = await newGuest(t.url);
    redis = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    await redis.quit();
    await t.close();
  });

  const create = async (name: string) =>
    (await request(t.url).post('/api/sessions').set(me.auth).send({ display_name: name }).expect(201)).body;
  const listIds = async () =>
    (await request(t.url).get('/api/sessions').set(me.auth).expect(200)).body.sessions.map((s: { session_id: string }) => s.session_id);

  it('expires_at, pin keeps, unpin restores, expired ones leave the list without a scan', async () => {
    const kept = await create('kept');
    const lapsed = await create('lapsed');
    const renewed = await create('renewed');
    expect(Date.parse(lapsed.expires_at) - Date.parse(lapsed.created_at)).toBe(1000);
    const pinned = (await request(t.url).patch(`/api/sessions/${kept.session_id}`).set(me.auth).send({ pinned: true }).expect(200)).body;
    expect(pinned.expires_at).toBeNull();

    // Reads renew: touch "renewed" every 400 ms while "lapsed" runs out.
    for (let i = 0; i < 4; i++) {
      await sleep(400);
      const got = (await request(t.url).get(`/api/sessions/${renewed.session_id}`).set(me.auth).expect(200)).body;
      expect(Date.parse(got.expires_at)).toBeGreaterThan(Date.now() + 800);
    }
    // Watch what the app sends to Redis while it lists: a range and reads, never KEYS or SCAN.
    const client = t.app.get<Redis>(REDIS_CLIENT);
    const source = `127.0.0.1:${client.stream.localPort}`;
    const monitor = await redis.monitor();
    const commands: string[] = [];
    monitor.on('monitor', (_time: string, args: string[], from: string) => {
      if (from.endsWith(source)) commands.push(String(args[0]).toLowerCase());
    });
    await sleep(50);
    const ids = await listIds();
    await sleep(100);
    monitor.disconnect();
    // Pinned sessions are listed first.
    expect(ids).toEqual([kept.session_id, renewed.session_id]);
    expect(commands).toContain('zrevrangebyscore');
    expect(commands).toContain('zrem'); // the lapsed entry was pruned on the way
    expect(commands.filter((c) => c === 'keys' || c === 'scan')).toEqual([]);
    expect(await redis.zscore(`${t.prefix}:{u:${me.user_id}}:sessions`, lapsed.session_id)).toBeNull();
    await request(t.url).get(`/api/sessions/${lapsed.session_id}`).set(me.auth).expect(404);

    // Pinned survives; unpinning starts the clock again.
    await sleep(1100);
    expect(await listIds()).toEqual([kept.session_id]);
    const unpinned = (await request(t.url).patch(`/api/sessions/${kept.session_id}`).set(me.auth).send({ pinned: false }).expect(200)).body;
    expect(unpinned.pinned).toBe(false);
    expect(Date.parse(unpinned.expires_at)).toBeGreaterThan(Date.now());
    await sleep(1200);
    expect(await listIds()).toEqual([]);
    await request(t.url).get(`/api/sessions/${kept.session_id}`).set(me.auth).expect(404);
  });
});
