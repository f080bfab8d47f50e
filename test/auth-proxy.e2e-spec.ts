import request from 'supertest';
import { startTestApp, TestApp } from './support/app';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('proxy sign-in (AUTH_MODE=proxy), proxy trusted', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ AUTH_MODE: 'proxy', TRUSTED_PROXY: '10.0.0.0/8,127.0.0.1' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('the proxy\'s X-Forwarded-User names a stable identity, created on first sight', async () => {
    const first = await request(t.url).get('/api/me').set('X-Forwarded-User', 'Alice@Example.com').expect(200);
    expect(first.body).toMatchObject({ user_id: expect.stringMatching(/^u_/), kind: 'proxy', username: 'alice@example.com' });
    const again = await request(t.url).get('/api/me').set('X-Forwarded-User', 'alice@example.com').expect(200);
    expect(again.body.user_id).toBe(first.body.user_id);
    const other = await request(t.url).get('/api/me').set('X-Forwarded-User', 'bob').expect(200);
    expect(other.body.user_id).not.toBe(first.body.user_id);
    // Their sessions are their own.
    const created = await request(t.url).post('/api/sessions').set('X-Forwarded-User', 'bob').send({}).expect(201);
    await request(t.url).get(`/api/sessions/${created.body.session_id}`).set('X-Forwarded-User', 'alice@example.com').expect(404);
    await request(t.url).get(`/api/sessions/${created.body.session_id}`).set('X-Forwarded-User', 'bob').expect(200);
  });

  it('API tokens made through the proxy work without it', async () => {
    const created = await request(t.url).post('/api/tokens').set('X-Forwarded-User', 'carol').send({ name: 'cli' }).expect(201);
    const me = await request(t.url).get('/api/me').set(bearer(created.body.token)).expect(200);
    expect(me.body).toMatchObject({ kind: 'proxy', username: 'carol' });
  });

  it('no header and no token → 401 saying how to sign in; guests and passwords are off', async () => {
    const res = await request(t.url).get('/api/me').expect(401);
    expect(res.body.message).toMatch(/sign in through the proxy/);
    expect((await request(t.url).post('/api/auth/guest').expect(403)).body.message).toMatch(/ALLOW_GUESTS=true/);
    await request(t.url).post('/api/auth/login').send({ username: 'carol', password: 'whatever1' }).expect(403);
  });

  it('a user name that is too long → 400', async () => {
    const res = await request(t.url).get('/api/me').set('X-Forwarded-User', 'x'.repeat(300)).expect(400);
    expect(res.body.message).toMatch(/user name the proxy sent is not usable/);
  });
});

describe('proxy sign-in: the header from an untrusted address is ignored', () => {
  it('TRUSTED_PROXY=10.0.0.1: a request from 127.0.0.1 with the header gets 401', async () => {
    const t = await startTestApp({ AUTH_MODE: 'proxy', TRUSTED_PROXY: '10.0.0.1' });
    try {
      const res = await request(t.url).get('/api/me').set('X-Forwarded-User', 'mallory').expect(401);
      expect(res.body.message).toMatch(/Missing bearer token/);
    } finally {
      await t.close();
    }
  });

  it('PROXY_USER_HEADER picks the header (Remote-User); X-Forwarded-User then means nothing', async () => {
    const t = await startTestApp({ AUTH_MODE: 'proxy', TRUSTED_PROXY: '127.0.0.1', PROXY_USER_HEADER: 'Remote-User' });
    try {
      await request(t.url).get('/api/me').set('X-Forwarded-User', 'dave').expect(401);
      const me = await request(t.url).get('/api/me').set('Remote-User', 'dave').expect(200);
      expect(me.body.username).toBe('dave');
    } finally {
      await t.close();
    }
  });
});
