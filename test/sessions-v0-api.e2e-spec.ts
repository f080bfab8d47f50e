import request from 'supertest';
import { SessionsRepository } from '../server/sessions/sessions.repository';
import type { StoredMessage } from '../server/sessions/session.model';
import { startTestApp, TestApp } from './support/app';
import { Guest, newGuest } from './support/guest';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** The v0 API reference's calls, with only the bearer token added. */
describe('sessions: v0 API compatibility', () => {
  let t: TestApp;
  let me: Guest;
  let repo: SessionsRepository;
  const say = (role: 'user' | 'assistant', content: string): StoredMessage => ({
    id: `m_${Math.random().toString(36).slice(2)}`,
    role,
    content,
    created_at: Date.now(),
  });

  beforeAll(async () => {
    t = await startTestApp();
    me = await newGuest(t.url);
    repo = t.app.get(SessionsRepository);
  });
  afterAll(async () => {
    await t.close();
  });

  it('the documented example: create, list, history by id and by name, clear', async () => {
    const created = await request(t.url)
      .post('/api/session/create')
      .set(me.auth)
      .send({ user_id: 'John Doe', persona: 'mental_health_nurse', metadata: { topic: 'wellness' } })
      .expect(201);
    expect(created.body).toEqual({
      session_id: expect.stringMatching(/^s_[A-Za-z0-9_-]{22}$/),
      user_id: 'John Doe',
      created_at: expect.stringMatching(ISO),
      persona: 'mental_health_nurse',
    });
    const id = created.body.session_id;

    const list = (await request(t.url).get('/api/sessions').set(me.auth).expect(200)).body;
    expect(list.count).toBe(1);
    expect(list.sessions[0]).toMatchObject({
      session_id: id,
      user_id: 'John Doe',
      created_at: created.body.created_at,
      last_activity: expect.stringMatching(ISO),
      message_count: 0,
      persona: 'mental_health_nurse',
      metadata: { topic: 'wellness' },
    });

    await repo.appendMessages(me.user_id, id, [say('user', 'I feel tired'), say('assistant', 'Tell me more.')]);
    for (const ref of [id, 'John Doe']) {
      const history = (await request(t.url).get(`/api/session/${encodeURIComponent(ref)}/history`).set(me.auth).expect(200)).body;
      expect(history).toMatchObject({ session_id: id, user_id: 'John Doe', persona: 'mental_health_nurse', count: 2 });
      expect(history.messages.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
        ['user', 'I feel tired'],
        ['assistant', 'Tell me more.'],
      ]);
    }

    const cleared = (await request(t.url).delete('/api/session/John%20Doe/clear').set(me.auth).expect(200)).body;
    expect(cleared).toEqual({ session_id: id, message: 'History cleared' });
    const after = (await request(t.url).get(`/api/session/${id}/history`).set(me.auth).expect(200)).body;
    expect(after).toMatchObject({ messages: [], count: 0 });
    expect((await request(t.url).get(`/api/sessions/${id}`).set(me.auth).expect(200)).body.message_count).toBe(0);
  });

  it('two sessions with the same name do not collide; the name means the newest', async () => {
    const first = (await request(t.url).post('/api/session/create').set(me.auth).send({ user_id: 'Twin', persona: 'default' }).expect(201)).body;
    const second = (await request(t.url).post('/api/session/create').set(me.auth).send({ user_id: 'Twin', persona: 'creative_writer' }).expect(201)).body;
    expect(second.session_id).not.toBe(first.session_id);
    await repo.appendMessages(me.user_id, first.session_id, [say('user', 'first only')]);
    const byName = (await request(t.url).get('/api/session/Twin/history').set(me.auth).expect(200)).body;
    expect(byName.session_id).toBe(second.session_id);
    expect(byName.count).toBe(0);
    // Deleting the newest makes the name point at the older one again.
    await request(t.url).delete(`/api/sessions/${second.session_id}`).set(me.auth).expect(204);
    expect((await request(t.url).get('/api/session/Twin/history').set(me.auth).expect(200)).body.session_id).toBe(first.session_id);
  });

  it('an unknown name or id is a 404', async () => {
    const res = await request(t.url).get('/api/session/Nobody/history').set(me.auth).expect(404);
    expect(res.body.message).toBe('Session not found');
    await request(t.url).delete('/api/session/Nobody/clear').set(me.auth).expect(404);
  });

  it('the spec marks the v0 calls deprecated', async () => {
    const spec = (await request(t.url).get('/api/docs-json').expect(200)).body;
    expect(spec.paths['/api/session/create'].post.deprecated).toBe(true);
    expect(spec.paths['/api/session/{id}/history'].get.deprecated).toBe(true);
    expect(spec.paths['/api/session/{id}/clear'].delete.deprecated).toBe(true);
    expect(spec.paths['/api/sessions'].get.deprecated).toBeUndefined();
  });
});
