import request from 'supertest';
import { startTestApp, TestApp } from './support/app';
import { Guest, newGuest } from './support/guest';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('sessions (real Redis)', () => {
  let t: TestApp;
  let me: Guest;
  beforeAll(async () => {
    t = await startTestApp();
    me = await newGuest(t.url);
  });
  afterAll(async () => {
    await t.close();
  });

  const api = () => request(t.url);

  it('creates a session with a default name and persona, and reads it back', async () => {
    const created = (await api().post('/api/sessions').set(me.auth).send({}).expect(201)).body;
    expect(created).toEqual({
      session_id: expect.stringMatching(/^s_[A-Za-z0-9_-]{22}$/),
      display_name: expect.stringMatching(/^Chat · \d{1,2} [A-Z][a-z]{2} \d\d:\d\d$/),
      user_id: created.display_name,
      persona: 'default',
      created_at: expect.stringMatching(ISO),
      last_activity: created.created_at,
      message_count: 0,
      pinned: false,
      archived: false,
      tags: [],
      title_source: 'default',
      expires_at: expect.stringMatching(ISO),
      metadata: {},
      settings: {},
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, answers: 0 },
    });
    const ttlMs = Date.parse(created.expires_at) - Date.parse(created.created_at);
    expect(ttlMs).toBeGreaterThan(3599_000);
    expect(ttlMs).toBeLessThanOrEqual(3601_000);
    const got = (await api().get(`/api/sessions/${created.session_id}`).set(me.auth).expect(200)).body;
    expect(got).toMatchObject({ session_id: created.session_id, display_name: created.display_name });
  });

  it('trims the display name and keeps persona and metadata', async () => {
    const body = { display_name: '  Trip planning  ', persona: 'technical_support', metadata: { topic: 'x', n: [1, 2] } };
    const created = (await api().post('/api/sessions').set(me.auth).send(body).expect(201)).body;
    expect(created).toMatchObject({ display_name: 'Trip planning', persona: 'technical_support', metadata: body.metadata });
  });

  it('lists newest activity first with stable cursors and no repeats', async () => {
    const other = await newGuest(t.url);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push((await api().post('/api/sessions').set(other.auth).send({ display_name: `n${i}` }).expect(201)).body.session_id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: request.Response = await api()
        .get('/api/sessions')
        .query({ limit: 3, ...(cursor ? { cursor } : {}) })
        .set(other.auth)
        .expect(200);
      expect(res.body.count).toBe(res.body.sessions.length);
      seen.push(...res.body.sessions.map((s: { session_id: string }) => s.session_id));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it('updates: rename, persona, metadata, pin and unpin', async () => {
    const s = (await api().post('/api/sessions').set(me.auth).send({ display_name: 'a' }).expect(201)).body;
    const url = `/api/sessions/${s.session_id}`;
    const renamed = (await api().patch(url).set(me.auth).send({ display_name: 'b', persona: 'creative_writer', metadata: { k: 1 } }).expect(200)).body;
    expect(renamed).toMatchObject({ display_name: 'b', user_id: 'b', persona: 'creative_writer', metadata: { k: 1 } });
    const pinned = (await api().patch(url).set(me.auth).send({ pinned: true }).expect(200)).body;
    expect(pinned).toMatchObject({ pinned: true, expires_at: null });
    const unpinned = (await api().patch(url).set(me.auth).send({ pinned: false }).expect(200)).body;
    expect(unpinned.pinned).toBe(false);
    expect(unpinned.expires_at).toMatch(ISO);
  });

  it('deletes a session: 204, then 404 everywhere, gone from the list', async () => {
    const s = (await api().post('/api/sessions').set(me.auth).send({ display_name: 'doomed' }).expect(201)).body;
    await api().delete(`/api/sessions/${s.session_id}`).set(me.auth).expect(204);
    await api().get(`/api/sessions/${s.session_id}`).set(me.auth).expect(404);
    await api().delete(`/api/sessions/${s.session_id}`).set(me.auth).expect(404);
    const list = (await api().get('/api/sessions').set(me.auth).expect(200)).body;
    expect(list.sessions.map((x: { session_id: string }) => x.session_id)).not.toContain(s.session_id);
  });

  it('history of a new session is empty; clearing keeps the session', async () => {
    const s = (await api().post('/api/sessions').set(me.auth).send({}).expect(201)).body;
    const history = (await api().get(`/api/sessions/${s.session_id}/messages`).set(me.auth).expect(200)).body;
    expect(history).toEqual({ messages: [], next_cursor: null, total: 0 });
    const cleared = (await api().delete(`/api/sessions/${s.session_id}/messages`).set(me.auth).expect(200)).body;
    expect(cleared).toMatchObject({ session_id: s.session_id, message_count: 0 });
    await api().get(`/api/sessions/${s.session_id}`).set(me.auth).expect(200);
  });
});

describe('sessions on the embedded store (REDIS_URL unset)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ REDIS_URL: undefined });
  });
  afterAll(async () => {
    await t.close();
  });

  it('the same API works: create, list, page, pin, clear, delete', async () => {
    const me = await newGuest(t.url);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await request(t.url).post('/api/sessions').set(me.auth).send({ display_name: `e${i}` }).expect(201)).body.session_id);
    const first = (await request(t.url).get('/api/sessions?limit=2').set(me.auth).expect(200)).body;
    expect(first.sessions.map((s: { session_id: string }) => s.session_id)).toEqual([ids[2], ids[1]]);
    const second = (await request(t.url).get('/api/sessions').query({ limit: 2, cursor: first.next_cursor }).set(me.auth).expect(200)).body;
    expect(second).toMatchObject({ count: 1, next_cursor: null });
    expect((await request(t.url).patch(`/api/sessions/${ids[0]}`).set(me.auth).send({ pinned: true }).expect(200)).body.expires_at).toBeNull();
    await request(t.url).delete(`/api/sessions/${ids[0]}/messages`).set(me.auth).expect(200);
    await request(t.url).delete(`/api/sessions/${ids[0]}`).set(me.auth).expect(204);
    await request(t.url).get(`/api/sessions/${ids[0]}`).set(me.auth).expect(404);
  });
});
