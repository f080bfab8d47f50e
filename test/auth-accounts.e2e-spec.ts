import request from 'supertest';
import { startTestApp, TestApp } from './support/app';
import { newGuest } from './support/guest';
import { uniquePrefix } from './support/redis';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('accounts (AUTH_MODE=accounts)', () => {
  let guestApp: TestApp;
  let t: TestApp;

  beforeAll(async () => {
    // Two instances on one store: the guest-mode one stands for the server before accounts were turned on.
    const prefix = uniquePrefix('accounts');
    guestApp = await startTestApp({ REDIS_KEY_PREFIX: prefix });
    t = await startTestApp({ REDIS_KEY_PREFIX: prefix, AUTH_MODE: 'accounts' });
  });
  afterAll(async () => {
    await t.close();
    await guestApp.close();
  });

  const register = (username: string, password = 'correct horse', headers: Record<string, string> = {}) =>
    request(t.url).post('/api/auth/register').set(headers).send({ username, password });
  const login = (username: string, password = 'correct horse') => request(t.url).post('/api/auth/login').send({ username, password });

  it('says how to sign in', async () => {
    const res = await request(t.url).get('/api/auth/config').expect(200);
    expect(res.body).toEqual({ mode: 'accounts', registration: 'open', guests_allowed: false, oidc: false });
  });

  it('register → token that works; login gives another; /api/me shows the username and kind', async () => {
    const reg = await register('alice').expect(201);
    expect(reg.body).toEqual({
      token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      user_id: expect.stringMatching(/^u_/),
      username: 'alice',
      expires_at: expect.any(String),
    });
    const days = (Date.parse(reg.body.expires_at) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    const me = await request(t.url).get('/api/me').set(bearer(reg.body.token)).expect(200);
    expect(me.body).toMatchObject({ user_id: reg.body.user_id, kind: 'account', username: 'alice' });
    const again = await login('Alice ').expect(200);
    expect(again.body).toMatchObject({ user_id: reg.body.user_id, username: 'alice' });
    expect(again.body.token).not.toBe(reg.body.token);
    await request(t.url).get('/api/sessions').set(bearer(again.body.token)).expect(200);
  });

  it('wrong password and unknown user get the same 401', async () => {
    await register('bob').expect(201);
    const wrong = await login('bob', 'not the password').expect(401);
    const unknown = await login('nobody-here').expect(401);
    expect(wrong.body.message).toBe('Wrong username or password');
    expect(unknown.body.message).toBe('Wrong username or password');
  });

  it('duplicate username → 409', async () => {
    await register('carol').expect(201);
    const res = await register('carol', 'another password').expect(409);
    expect(res.body.message).toMatch(/"carol" is taken/);
  });

  it.each([
    ['ab', 'correct horse', /username must be 3-32 characters/],
    ['x'.repeat(33), 'correct horse', /username must be 3-32 characters/],
    ['Dave', 'correct horse', /lowercase letters, digits/],
    ['da ve', 'correct horse', /lowercase letters, digits/],
    ['dave', 'short', /password must be at least 8 characters/],
    ['dave', 'p'.repeat(257), /password must be at most 256 characters/],
  ])('register %j / password of %#: 400 saying what to fix', async (username, password, message) => {
    const res = await register(username, password).expect(400);
    expect(res.body.details.join('\n')).toMatch(message);
  });

  it('400 for missing fields on login', async () => {
    const res = await request(t.url).post('/api/auth/login').send({ username: 'alice' }).expect(400);
    expect(res.body.details.join('\n')).toMatch(/password must be a string/);
  });

  it('logout revokes the presented token only; logout-all revokes every token', async () => {
    await register('erin').expect(201);
    const [a, b, c] = await Promise.all([login('erin'), login('erin'), login('erin')]).then((r) => r.map((x) => x.body.token as string));
    const api = (await request(t.url).post('/api/tokens').set(bearer(c)).send({ name: 'script' }).expect(201)).body.token;
    await request(t.url).post('/api/auth/logout').set(bearer(a)).expect(204);
    const gone = await request(t.url).get('/api/me').set(bearer(a)).expect(401);
    expect(gone.body.message).toMatch(/Invalid or expired token: sign in again/);
    await request(t.url).get('/api/me').set(bearer(b)).expect(200);
    await request(t.url).post('/api/auth/logout-all').set(bearer(b)).expect(204);
    for (const token of [b, c, api]) await request(t.url).get('/api/me').set(bearer(token)).expect(401);
    // Signing in again still works.
    await request(t.url).get('/api/me').set(bearer((await login('erin').expect(200)).body.token)).expect(200);
  });

  it('guests are refused with 403 naming ALLOW_GUESTS: sign-up and existing guest tokens', async () => {
    const signUp = await request(t.url).post('/api/auth/guest').expect(403);
    expect(signUp.body.message).toMatch(/ALLOW_GUESTS=true/);
    const guest = await newGuest(guestApp.url);
    const res = await request(t.url).get('/api/sessions').set(guest.auth).expect(403);
    expect(res.body.message).toMatch(/ALLOW_GUESTS=true/);
    await request(guestApp.url).get('/api/sessions').set(guest.auth).expect(200);
  });

  it('a guest who registers with their guest token keeps their identity and sessions', async () => {
    const guest = await newGuest(guestApp.url);
    const session = (await request(guestApp.url).post('/api/sessions').set(guest.auth).send({ display_name: 'kept' }).expect(201)).body;
    const reg = await register('frank', 'correct horse', guest.auth).expect(201);
    expect(reg.body.user_id).toBe(guest.user_id);
    const listed = await request(t.url).get('/api/sessions').set(bearer(reg.body.token)).expect(200);
    expect(session.session_id).toMatch(/^s_/);
    expect(listed.body.sessions.map((s: { session_id: string }) => s.session_id)).toEqual([session.session_id]);
    await request(t.url).get(`/api/sessions/${session.session_id}`).set(bearer(reg.body.token)).expect(200);
    const me = await request(t.url).get('/api/me').set(bearer((await login('frank').expect(200)).body.token)).expect(200);
    expect(me.body).toMatchObject({ user_id: guest.user_id, kind: 'account', username: 'frank' });
    // Registering again with the same (now account) identity is a conflict, not a second account.
    await register('frank2', 'correct horse', bearer(reg.body.token)).expect(409);
    await register('frank3', 'correct horse', bearer('A'.repeat(43))).expect(401);
  });
});

describe('accounts: switches', () => {
  it('REGISTRATION=closed refuses sign-up with 403 saying how users are added', async () => {
    const t = await startTestApp({ AUTH_MODE: 'accounts', REGISTRATION: 'closed' });
    try {
      const res = await request(t.url).post('/api/auth/register').send({ username: 'gina', password: 'correct horse' }).expect(403);
      expect(res.body.message).toMatch(/REGISTRATION=closed.*npm run users -- add NAME/);
    } finally {
      await t.close();
    }
  });

  it('ALLOW_GUESTS=true lets guests in beside accounts', async () => {
    const t = await startTestApp({ AUTH_MODE: 'accounts', ALLOW_GUESTS: 'true' });
    try {
      const guest = await newGuest(t.url);
      await request(t.url).get('/api/sessions').set(guest.auth).expect(200);
    } finally {
      await t.close();
    }
  });

  it('in guest mode register and login answer 403 naming AUTH_MODE', async () => {
    const t = await startTestApp();
    try {
      const res = await request(t.url).post('/api/auth/login').send({ username: 'hank', password: 'correct horse' }).expect(403);
      expect(res.body.message).toMatch(/AUTH_MODE=accounts/);
      await request(t.url).post('/api/auth/register').send({ username: 'hank', password: 'correct horse' }).expect(403);
      expect((await request(t.url).get('/api/auth/config').expect(200)).body).toEqual({ mode: 'guest', registration: 'open', guests_allowed: true, oidc: false });
      const oidc = await request(t.url).get('/api/auth/oidc/login').expect(404);
      expect(oidc.body.message).toMatch(/OIDC_ISSUER_URL, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET/);
    } finally {
      await t.close();
    }
  });
});
