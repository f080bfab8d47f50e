import request from 'supertest';
import { startTestApp, TestApp } from './support/app';
import { Guest, newGuest } from './support/guest';
import { storeSnapshot } from './support/store-snapshot';

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

/** Routes every build has; the spec adds any other route taking a session id. */
const KNOWN_ROUTES: Array<[Method, string]> = [
  ['get', '/api/sessions/{id}'],
  ['patch', '/api/sessions/{id}'],
  ['delete', '/api/sessions/{id}'],
  ['get', '/api/sessions/{id}/messages'],
  ['delete', '/api/sessions/{id}/messages'],
  ['get', '/api/session/{id}/history'],
  ['delete', '/api/session/{id}/clear'],
  ['post', '/api/sessions/{id}/messages'],
  ['post', '/api/sessions/{id}/regenerate'],
  ['post', '/api/sessions/{id}/stop'],
];

/** A body each route would accept from the session's owner, so only ownership decides. */
function bodyFor(method: Method, path: string): object | undefined {
  if (method === 'patch') return { display_name: 'taken over', pinned: true };
  if (method === 'post' && path.endsWith('/messages')) return { content: 'hello' };
  if (method === 'post' && (path.endsWith('/path') || path.endsWith('/fork'))) return { message_id: 'm_anything' };
  if (method === 'put' && path.endsWith('/feedback')) return { rating: 'up' };
  return method === 'post' ? {} : undefined;
}

describe('sessions: ownership and hostile ids', () => {
  let t: TestApp;
  let owner: Guest;
  let intruder: Guest;
  let sessionId: string;
  let routes: Array<[Method, string]>;

  beforeAll(async () => {
    t = await startTestApp();
    owner = await newGuest(t.url);
    intruder = await newGuest(t.url);
    sessionId = (await request(t.url).post('/api/session/create').set(owner.auth).send({ user_id: 'Owner Name', persona: 'default' }).expect(201)).body.session_id;
    const spec = (await request(t.url).get('/api/docs-json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    const fromSpec = Object.entries(spec.paths)
      .filter(([path]) => /^\/api\/sessions?\/\{id\}/.test(path))
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => [m as Method, path] as [Method, string]));
    routes = [...new Map([...KNOWN_ROUTES, ...fromSpec].map((r) => [`${r[0]} ${r[1]}`, r])).values()];
  });
  afterAll(async () => {
    await t.close();
  });

  const call = (method: Method, path: string, id: string, guest: Guest) => {
    const req = request(t.url)[method](path.replace('{id}', encodeURIComponent(id))).set(guest.auth);
    const body = bodyFor(method, path);
    return body === undefined ? req : req.send(body);
  };
  const shape = (res: request.Response) => ({ status: res.status, error: res.body.error, message: res.body.message });

  it('covers every route that takes a session id', () => {
    expect(routes.length).toBeGreaterThanOrEqual(KNOWN_ROUTES.length);
    // Listed so a reader of the test output sees what was covered.
    console.log(`ownership table: ${routes.map((r) => `${r[0].toUpperCase()} ${r[1]}`).join(', ')}`);
  });

  it("another identity gets exactly the 404 of a missing session on every route, and the owner's data is untouched", async () => {
    const ownerKeys = `${t.prefix}:{u:${owner.user_id}}`;
    const before = await storeSnapshot(ownerKeys);
    const missing = 's_AAAAAAAAAAAAAAAAAAAAAA';
    for (const [method, path] of routes) {
      const foreign = shape(await call(method, path, sessionId, intruder));
      const absent = shape(await call(method, path, missing, intruder));
      expect({ route: `${method} ${path}`, ...foreign }).toEqual({ route: `${method} ${path}`, status: 404, error: 'Not Found', message: 'Session not found' });
      expect(foreign).toEqual(absent);
    }
    // v0 routes also take display names: the owner's name means nothing to anyone else.
    for (const path of ['/api/session/{id}/history', '/api/session/{id}/clear']) {
      const method: Method = path.endsWith('clear') ? 'delete' : 'get';
      expect(shape(await call(method, path, 'Owner Name', intruder))).toEqual({ status: 404, error: 'Not Found', message: 'Session not found' });
    }
    expect(await storeSnapshot(ownerKeys)).toEqual(before);
    const list = (await request(t.url).get('/api/sessions').set(intruder.auth).expect(200)).body;
    expect(list).toEqual({ sessions: [], count: 0, next_cursor: null });
    // And the owner still has it.
    await request(t.url).get(`/api/sessions/${sessionId}`).set(owner.auth).expect(200);
  });

  it.each(['*', '{a}', '..', '__proto__', 'constructor', 'x'.repeat(10_240), 's_short', `${'s_'}${'A'.repeat(22)}/..`, '%00', ' '])(
    'hostile id %#: 404 "Session not found" on every route, nothing changes',
    async (id) => {
      const before = await storeSnapshot(t.prefix);
      for (const [method, path] of routes) {
        const res = await call(method, path, id, owner);
        expect({ route: `${method} ${path}`, ...shape(res) }).toEqual({ route: `${method} ${path}`, status: 404, error: 'Not Found', message: 'Session not found' });
      }
      expect(await storeSnapshot(t.prefix)).toEqual(before);
    },
  );

  it('every session route answers 401 without a token, with a wrong token, and with a token for nobody', async () => {
    for (const [method, path] of [...routes, ['get', '/api/sessions'] as [Method, string], ['post', '/api/sessions'] as [Method, string], ['post', '/api/session/create'] as [Method, string]]) {
      const url = path.replace('{id}', sessionId);
      for (const header of [undefined, 'Bearer nope', `Bearer ${'B'.repeat(43)}`, `Bearer ${owner.token}x`]) {
        const req = request(t.url)[method](url);
        if (header) req.set('Authorization', header);
        const res = await req;
        expect({ route: `${method} ${path}`, status: res.status }).toEqual({ route: `${method} ${path}`, status: 401 });
      }
    }
  });
});
