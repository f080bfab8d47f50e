import request from 'supertest';
import Redis from 'ioredis';
import { createHash } from 'node:crypto';
import { startTestApp, TestApp } from './support/app';
import { TEST_REDIS_URL } from './support/redis';

describe('identity (real Redis)', () => {
  let t: TestApp;
  let redis: Redis;
  beforeAll(async () => {
    t = await startTestApp();
    redis = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    await redis.quit();
    await t.close();
  });

  it('POST /api/auth/guest creates an identity with a 256-bit token stored only as its hash', async () => {
    const res = await request(t.url).post('/api/auth/guest').expect(201);
    expect(res.body).toEqual({ user_id: expect.stringMatching(/^u_[A-Za-z0-9_-]{22}$/), token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const hash = createHash('sha256').update(res.body.token).digest('hex');
    expect(JSON.parse((await redis.get(`${t.prefix}:token:${hash}`))!)).toMatchObject({ u: res.body.user_id, k: 'login' });
    // The token itself appears in no key and no value.
    const keys = await redis.keys(`${t.prefix}:*`);
    expect(keys.some((k) => k.includes(res.body.token))).toBe(false);
    for (const key of keys) {
      const type = await redis.type(key);
      const dump = type === 'string' ? await redis.get(key) : type === 'hash' ? JSON.stringify(await redis.hgetall(key)) : '';
      expect(dump).not.toContain(res.body.token);
    }
  });

  it('two guests get different ids and tokens', async () => {
    const [a, b] = await Promise.all([request(t.url).post('/api/auth/guest'), request(t.url).post('/api/auth/guest')]);
    expect(a.body.user_id).not.toBe(b.body.user_id);
    expect(a.body.token).not.toBe(b.body.token);
  });

  it('GET /api/me returns the caller', async () => {
    const guest = (await request(t.url).post('/api/auth/guest').expect(201)).body;
    const res = await request(t.url).get('/api/me').set('Authorization', `Bearer ${guest.token}`).expect(200);
    expect(res.body.user_id).toBe(guest.user_id);
    expect(new Date(res.body.created_at).toISOString()).toBe(res.body.created_at);
  });

  it.each([
    ['no header', undefined, /Missing bearer token/],
    ['empty header', '', /Missing bearer token/],
    ['another scheme', 'Basic dXNlcjpwYXNz', /Missing bearer token/],
    ['Bearer without token', 'Bearer ', /Missing bearer token/],
    ['malformed token', 'Bearer not-a-token', /Invalid or expired token/],
    ['well-formed unknown token', `Bearer ${'A'.repeat(43)}`, /Invalid or expired token/],
    ['10 KB token', `Bearer ${'A'.repeat(10_000)}`, /Invalid or expired token/],
  ])('401 with %s', async (_label, header, message) => {
    const req = request(t.url).get('/api/me');
    if (header !== undefined) req.set('Authorization', header);
    const res = await req.expect(401);
    expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    expect(res.body.message).toMatch(message);
  });

  it('protects every /api route except guest sign-up; health and docs stay public', async () => {
    await request(t.url).get('/api/personas').expect(401);
    await request(t.url).get('/api/sessions').expect(401);
    await request(t.url).post('/api/session/create').send({ user_id: 'x', persona: 'default' }).expect(401);
    await request(t.url).get('/health').expect(200);
    await request(t.url).get('/health/live').expect(200);
    await request(t.url).get('/api/docs-json').expect(200);
  });

  it('the spec declares the bearer scheme and uses it on protected operations only', async () => {
    const spec = (await request(t.url).get('/api/docs-json').expect(200)).body;
    expect(spec.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(spec.paths['/api/me'].get.security).toEqual([{ bearer: [] }]);
    expect(spec.paths['/api/sessions'].get.security).toEqual([{ bearer: [] }]);
    expect(spec.paths['/api/auth/guest'].post.security).toBeUndefined();
  });
});
