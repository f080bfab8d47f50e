import request from 'supertest';
import { startTestApp, TestApp } from './support/app';
import { Guest, newGuest } from './support/guest';
import { storeSnapshot } from './support/store-snapshot';

/** Every bad input named in the sessions issue: a clear 4xx, and nothing stored changes. */
describe('sessions: bad input changes nothing', () => {
  let t: TestApp;
  let me: Guest;
  let sessionId: string;
  beforeAll(async () => {
    t = await startTestApp();
    me = await newGuest(t.url);
    const res = await request(t.url).post('/api/sessions').set(me.auth).send({ display_name: 'mine', metadata: { k: 'v' } }).expect(201);
    sessionId = res.body.session_id;
  });
  afterAll(async () => {
    await t.close();
  });

  type Call = [label: string, method: 'post' | 'patch' | 'get' | 'delete', path: () => string, body: unknown, status: number, message: RegExp];
  const big = 'x'.repeat(4097);
  const bodyCases = (method: 'post' | 'patch', path: () => string): Call[] => [
    ['unknown persona', method, path, { persona: 'pirate' }, 400, /Unknown persona "pirate"\. Valid personas: .*default.*mental_health_nurse/],
    ['display_name of 201 characters', method, path, { display_name: 'a'.repeat(201) }, 400, /display_name must be at most 200 characters/],
    ['display_name with a newline', method, path, { display_name: 'a\nb' }, 400, /display_name must not contain control characters/],
    ['display_name with NUL', method, path, { display_name: 'a\u0000b' }, 400, /control characters/],
    ['display_name not a string', method, path, { display_name: 42 }, 400, /display_name must be a string/],
    ['metadata a string', method, path, { metadata: 'topic' }, 400, /metadata must be a JSON object/],
    ['metadata an array', method, path, { metadata: [1, 2] }, 400, /metadata must be a JSON object/],
    ['metadata null', method, path, { metadata: null }, 400, /metadata must be a JSON object/],
    ['metadata over 4 KB', method, path, { metadata: { big } }, 400, /metadata must be at most 4096 bytes/],
    ['unknown field', method, path, { display_name: 'ok', owner: 'u_x' }, 400, /property owner should not exist/],
    ['persona not a string', method, path, { persona: ['default'] }, 400, /persona must be a string/],
    ['persona null', method, path, { persona: null }, 400, /persona must be a string/],
    ['display_name null', method, path, { display_name: null }, 400, /display_name must be a string/],
  ];
  const calls: Call[] = [
    ...bodyCases('post', () => '/api/sessions'),
    ...bodyCases('patch', () => `/api/sessions/${sessionId}`),
    ['empty update', 'patch', () => `/api/sessions/${sessionId}`, {}, 400, /Nothing to update/],
    ['empty display_name on update', 'patch', () => `/api/sessions/${sessionId}`, { display_name: '   ' }, 400, /display_name must not be empty/],
    ['pinned not a boolean', 'patch', () => `/api/sessions/${sessionId}`, { pinned: 'yes' }, 400, /pinned must be true or false/],
    ['pinned null', 'patch', () => `/api/sessions/${sessionId}`, { pinned: null }, 400, /pinned must be true or false/],
    ['body not an object', 'post', () => '/api/sessions', [1, 2], 400, /./],
    ['v0 create: unknown persona', 'post', () => '/api/session/create', { user_id: 'John', persona: 'pirate' }, 400, /Unknown persona/],
    ['v0 create: missing user_id', 'post', () => '/api/session/create', { persona: 'default' }, 400, /user_id must be a string/],
    ['v0 create: empty user_id', 'post', () => '/api/session/create', { user_id: ' ', persona: 'default' }, 400, /user_id must not be empty/],
    ['v0 create: unknown field', 'post', () => '/api/session/create', { user_id: 'J', persona: 'default', x: 1 }, 400, /property x should not exist/],
    ['v0 create: metadata over 4 KB', 'post', () => '/api/session/create', { user_id: 'J', persona: 'default', metadata: { big } }, 400, /4096 bytes/],
    ['list: garbage cursor', 'get', () => '/api/sessions?cursor=garbage!', undefined, 400, /Invalid cursor/],
    ['list: well-formed base64url, wrong content', 'get', () => `/api/sessions?cursor=${Buffer.from('{"s":-1,"id":"x"}').toString('base64url')}`, undefined, 400, /Invalid cursor/],
    ['list: message cursor in a session list', 'get', () => `/api/sessions?cursor=${Buffer.from('{"i":3}').toString('base64url')}`, undefined, 400, /Invalid cursor/],
    ['list: 10 KB cursor', 'get', () => `/api/sessions?cursor=${'A'.repeat(10_000)}`, undefined, 400, /Invalid cursor/],
    ['list: two cursors', 'get', () => '/api/sessions?cursor=a&cursor=b', undefined, 400, /Invalid cursor/],
    ['list: limit 0', 'get', () => '/api/sessions?limit=0', undefined, 400, /limit must be a whole number between 1 and 200/],
    ['list: limit 201', 'get', () => '/api/sessions?limit=201', undefined, 400, /limit must be a whole number/],
    ['list: limit abc', 'get', () => '/api/sessions?limit=abc', undefined, 400, /limit must be a whole number/],
    ['list: unknown query parameter', 'get', () => '/api/sessions?user=someone', undefined, 400, /property user should not exist/],
    ['history: bad before', 'get', () => `/api/sessions/${sessionId}/messages?before=zzz`, undefined, 400, /Invalid cursor/],
    ['history: session cursor as before', 'get', () => `/api/sessions/${sessionId}/messages?before=${Buffer.from(`{"s":1,"id":"${sessionId}"}`).toString('base64url')}`, undefined, 400, /Invalid cursor/],
    ['history: before 0', 'get', () => `/api/sessions/${sessionId}/messages?before=${Buffer.from('{"i":0}').toString('base64url')}`, undefined, 400, /Invalid cursor/],
    ['history: limit 1000', 'get', () => `/api/sessions/${sessionId}/messages?limit=1000`, undefined, 400, /limit must be a whole number/],
  ];

  it.each(calls)('%s: 4xx, nothing stored changes', async (_label, method, path, body, status, message) => {
    const before = await storeSnapshot(t.prefix);
    const req = request(t.url)[method](path()).set(me.auth);
    const res = await (body === undefined ? req : req.send(body as object)).expect(status);
    expect(res.body).toMatchObject({ statusCode: status });
    expect(res.body.message).toMatch(message);
    expect(await storeSnapshot(t.prefix)).toEqual(before);
  });

  it('metadata of exactly 4096 bytes is accepted', async () => {
    const filler = 'x'.repeat(4096 - JSON.stringify({ f: '' }).length);
    await request(t.url).post('/api/sessions').set(me.auth).send({ metadata: { f: filler } }).expect(201);
  });

  it('a display name of 200 characters is accepted; unicode is fine', async () => {
    const res = await request(t.url).post('/api/sessions').set(me.auth).send({ display_name: `${'é'.repeat(199)}🙂`.slice(0, 200) }).expect(201);
    expect(res.body.display_name.length).toBeLessThanOrEqual(200);
  });

  it('a __proto__ key in metadata is refused like an unknown property, and pollutes nothing', async () => {
    const res = await request(t.url)
      .post('/api/sessions')
      .set(me.auth)
      .set('Content-Type', 'application/json')
      .send('{"metadata":{"__proto__":{"polluted":true},"a":1}}')
      .expect(400);
    expect(res.body.message).toBe('property metadata.__proto__ should not exist');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
