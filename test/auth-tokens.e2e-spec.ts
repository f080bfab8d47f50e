import Redis from 'ioredis';
import { createHash, randomBytes } from 'node:crypto';
import request from 'supertest';
import { startTestApp, TestApp } from './support/app';
import { newGuest } from './support/guest';
import { TEST_REDIS_URL, uniquePrefix } from './support/redis';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('personal API tokens', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('create (shown once) → works as a bearer token → listed without secrets, with last use → revoked at once', async () => {
    const owner = await newGuest(t.url);
    const created = await request(t.url).post('/api/tokens').set(owner.auth).send({ name: 'laptop script' }).expect(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^t_[A-Za-z0-9_-]{16}$/),
      name: 'laptop script',
      token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      created_at: expect.any(String),
      expires_at: null,
    });
    const me = await request(t.url).get('/api/me').set(bearer(created.body.token)).expect(200);
    expect(me.body.user_id).toBe(owner.user_id);
    const list = await request(t.url).get('/api/tokens').set(owner.auth).expect(200);
    expect(list.body.tokens).toEqual([
      { id: created.body.id, name: 'laptop script', created_at: created.body.created_at, last_used_at: expect.any(String), expires_at: null },
    ]);
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);
    await request(t.url).delete(`/api/tokens/${created.body.id}`).set(owner.auth).expect(204);
    await request(t.url).get('/api/me').set(bearer(created.body.token)).expect(401);
    expect((await request(t.url).get('/api/tokens').set(owner.auth).expect(200)).body.tokens).toEqual([]);
    await request(t.url).delete(`/api/tokens/${created.body.id}`).set(owner.auth).expect(404);
  });

  it('another identity\'s token id and malformed ids answer 404 and revoke nothing', async () => {
    const [owner, other] = await Promise.all([newGuest(t.url), newGuest(t.url)]);
    const created = (await request(t.url).post('/api/tokens').set(owner.auth).send({ name: 'ci' }).expect(201)).body;
    const res = await request(t.url).delete(`/api/tokens/${created.id}`).set(other.auth).expect(404);
    expect(res.body.message).toBe('API token not found');
    await request(t.url).delete('/api/tokens/..%2F*').set(other.auth).expect(404);
    await request(t.url).delete(`/api/tokens/t_${'x'.repeat(500)}`).set(owner.auth).expect(404);
    await request(t.url).get('/api/me').set(bearer(created.token)).expect(200);
    expect((await request(t.url).get('/api/tokens').set(other.auth).expect(200)).body.tokens).toEqual([]);
  });

  it('expires_in_days gives the token a fixed lifetime in the store', async () => {
    const owner = await newGuest(t.url);
    const created = (await request(t.url).post('/api/tokens').set(owner.auth).send({ name: 'short', expires_in_days: 2 }).expect(201)).body;
    const days = (Date.parse(created.expires_at) - Date.parse(created.created_at)) / 86_400_000;
    expect(days).toBe(2);
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const pttl = await redis.pttl(`${t.prefix}:token:${sha256(created.token)}`);
      expect(pttl).toBeGreaterThan(2 * 86_400_000 - 60_000);
      expect(pttl).toBeLessThanOrEqual(2 * 86_400_000);
    } finally {
      await redis.quit();
    }
  });

  it.each([
    [{}, /name must be a string/],
    [{ name: '' }, /name must be 1-100 characters/],
    [{ name: 'x'.repeat(101) }, /name must be 1-100 characters/],
    [{ name: 'a\nb' }, /control characters/],
    [{ name: 'ok', expires_in_days: 0 }, /expires_in_days must be a whole number of days between 1 and 3650/],
    [{ name: 'ok', expires_in_days: 1.5 }, /expires_in_days must be a whole number/],
    [{ name: 'ok', extra: 1 }, /property extra should not exist/],
  ])('400 for %j', async (body, message) => {
    const owner = await newGuest(t.url);
    const res = await request(t.url).post('/api/tokens').set(owner.auth).send(body).expect(400);
    expect(res.body.details.join('\n')).toMatch(message);
  });
});

describe('revocation across two instances on one Redis', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const prefix = uniquePrefix('two');
    a = await startTestApp({ REDIS_KEY_PREFIX: prefix });
    b = await startTestApp({ REDIS_KEY_PREFIX: prefix });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('a token signed out on one instance stops working on the other within a second', async () => {
    const guest = await newGuest(a.url);
    await request(b.url).get('/api/me').set(guest.auth).expect(200); // now in b's token cache
    await request(a.url).post('/api/auth/logout').set(guest.auth).expect(204);
    await request(a.url).get('/api/me').set(guest.auth).expect(401);
    await sleep(1050);
    await request(b.url).get('/api/me').set(guest.auth).expect(401);
  });

  it('an API token revoked on one instance stops working on the other within a second', async () => {
    const guest = await newGuest(a.url);
    const created = (await request(a.url).post('/api/tokens').set(guest.auth).send({ name: 'x' }).expect(201)).body;
    await request(b.url).get('/api/me').set(bearer(created.token)).expect(200);
    await request(b.url).delete(`/api/tokens/${created.id}`).set(guest.auth).expect(204);
    await sleep(1050);
    await request(a.url).get('/api/me').set(bearer(created.token)).expect(401);
    await request(b.url).get('/api/me').set(guest.auth).expect(200);
  });
});

describe('token lifetimes', () => {
  it('a login token slides with use and lapses after TOKEN_TTL_SECONDS idle', async () => {
    const t = await startTestApp({ TOKEN_TTL_SECONDS: '2' });
    try {
      const guest = await newGuest(t.url);
      // Used every half second for 3 s: longer than its lifetime, but each use renews it.
      for (let i = 0; i < 6; i++) {
        await request(t.url).get('/api/me').set(guest.auth).expect(200);
        await sleep(500);
      }
      await sleep(2200);
      const res = await request(t.url).get('/api/me').set(guest.auth).expect(401);
      expect(res.body.message).toMatch(/Invalid or expired token/);
    } finally {
      await t.close();
    }
  });

  it('a guest inactive for GUEST_TTL_SECONDS disappears with its tokens', async () => {
    const t = await startTestApp({ GUEST_TTL_SECONDS: '3' });
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const guest = await newGuest(t.url);
      const keys = ['identity', 'tokens', 'sessions'].map((k) => `${t.prefix}:{u:${guest.user_id}}:${k}`);
      await request(t.url).post('/api/sessions').set(guest.auth).send({}).expect(201);
      // The session index came after this request's renewal; the next use past the one-second token
      // cache renews the guest again and gives it the expiry too.
      await sleep(1100);
      await request(t.url).get('/api/sessions').set(guest.auth).expect(200);
      for (const key of keys) expect([key, await redis.pttl(key) > 0]).toEqual([key, true]);
      await sleep(3300);
      await request(t.url).get('/api/me').set(guest.auth).expect(401);
      expect(await redis.exists(...keys)).toBe(0);
    } finally {
      await redis.quit();
      await t.close();
    }
  });

  it('a token from before tokens had ids keeps working, gains an expiry, and logout-all finds it', async () => {
    const t = await startTestApp();
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const userId = `u_${randomBytes(16).toString('base64url')}`;
      const token = randomBytes(32).toString('base64url');
      await redis.hset(`${t.prefix}:{u:${userId}}:identity`, { created_at: String(Date.now()) });
      await redis.set(`${t.prefix}:token:${sha256(token)}`, userId);
      const me = await request(t.url).get('/api/me').set(bearer(token)).expect(200);
      expect(me.body).toMatchObject({ user_id: userId, kind: 'guest', username: null });
      expect(await redis.pttl(`${t.prefix}:token:${sha256(token)}`)).toBeGreaterThan(29 * 86_400_000);
      await request(t.url).post('/api/auth/logout-all').set(bearer(token)).expect(204);
      await request(t.url).get('/api/me').set(bearer(token)).expect(401);
      expect(await redis.exists(`${t.prefix}:token:${sha256(token)}`)).toBe(0);
    } finally {
      await redis.quit();
      await t.close();
    }
  });
});
