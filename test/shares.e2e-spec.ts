import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ChatHarness, startChatHarness } from './support/fake-openai-harness';
import { newGuest } from './support/guest';
import { eventually } from './support/probe';

describe('share links (real Redis + fake model server)', () => {
  let h: ChatHarness;
  let clientDir: string;
  let sessionId: string;
  const api = () => request(h.t.url);

  beforeAll(async () => {
    // A stand-in for the built web client: the page route serves its index.html.
    clientDir = mkdtempSync(join(tmpdir(), 'nono-client-'));
    writeFileSync(join(clientDir, 'index.html'), '<!doctype html><title>nono-chat</title><app-root></app-root>');
    h = await startChatHarness({ CLIENT_DIR: clientDir });
    sessionId = (await api().post('/api/sessions').set(h.me.auth).send({ display_name: 'Shared trip', persona: 'technical_support' }).expect(201)).body.session_id;
    h.fake.script({ text: 'Pack light.' });
    await api().post(`/api/sessions/${sessionId}/messages`).set(h.me.auth).send({ content: 'What should I pack?' }).expect(201);
  });
  afterAll(async () => {
    await h.close();
    rmSync(clientDir, { recursive: true, force: true });
  });

  const share = async (body: object = {}) => (await api().post(`/api/sessions/${sessionId}/shares`).set(h.me.auth).send(body).expect(201)).body;

  it('a link shows the snapshot signed out, names no identity, and is kept out of search engines', async () => {
    const link = await share();
    expect(link).toMatchObject({ share_id: expect.stringMatching(/^sh_[A-Za-z0-9_-]{32}$/), session_id: sessionId, title: 'Shared trip', message_count: 2, expires_at: null });
    expect(link.url).toBe(`${h.t.url}/shared/${link.share_id}`);
    // Later messages are not part of it.
    h.fake.script({ text: 'Later answer' });
    await api().post(`/api/sessions/${sessionId}/messages`).set(h.me.auth).send({ content: 'later question' }).expect(201);

    const res = await api().get(`/api/shared/${link.share_id}`).expect(200);
    expect(res.headers['x-robots-tag']).toContain('noindex');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({ share_id: link.share_id, title: 'Shared trip', persona: 'technical_support', expires_at: null });
    expect(res.body.messages.map((m: any) => [m.role, m.content])).toEqual([['user', 'What should I pack?'], ['assistant', 'Pack light.']]);
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(h.me.user_id);
    expect(text).not.toContain(sessionId);

    const page = await api().get(`/shared/${link.share_id}`).expect(200);
    expect(page.headers['x-robots-tag']).toContain('noindex');
    expect(page.text).toContain('<app-root>');
  });

  it('GET /api/shares lists mine only; revoking stops the link at once (API and page 404)', async () => {
    const link = await share({ expires_in_seconds: 3600 });
    const mine = (await api().get('/api/shares').set(h.me.auth).expect(200)).body.shares;
    expect(mine[0]).toMatchObject({ share_id: link.share_id, expires_at: expect.any(String) });
    const other = await newGuest(h.t.url);
    expect((await api().get('/api/shares').set(other.auth).expect(200)).body).toEqual({ shares: [] });

    // Someone else cannot revoke it: 404, and it keeps working.
    expect((await api().delete(`/api/shares/${link.share_id}`).set(other.auth).expect(404)).body.message).toMatch(/^Share link not found/);
    await api().get(`/api/shared/${link.share_id}`).expect(200);

    await api().delete(`/api/shares/${link.share_id}`).set(h.me.auth).expect(204);
    const gone = await api().get(`/api/shared/${link.share_id}`).expect(404);
    expect(gone.headers['x-robots-tag']).toContain('noindex');
    const page = await api().get(`/shared/${link.share_id}`).expect(404);
    expect(page.headers['x-robots-tag']).toContain('noindex');
    expect((await api().get('/api/shares').set(h.me.auth).expect(200)).body.shares.map((s: any) => s.share_id)).not.toContain(link.share_id);
    await api().delete(`/api/shares/${link.share_id}`).set(h.me.auth).expect(404);
  });

  it('an expired link answers 404', async () => {
    const link = await share({ expires_in_seconds: 1 });
    await eventually(async () => (await api().get(`/api/shared/${link.share_id}`)).status === 404, 10_000);
    await api().get(`/shared/${link.share_id}`).expect(404);
    expect((await api().get('/api/shares').set(h.me.auth).expect(200)).body.shares.map((s: any) => s.share_id)).not.toContain(link.share_id);
  });

  it('"continue this conversation" copies the snapshot into the caller\'s sessions', async () => {
    const link = await share();
    await api().post(`/api/shared/${link.share_id}/continue`).expect(401);
    const reader = await newGuest(h.t.url);
    const copy = (await api().post(`/api/shared/${link.share_id}/continue`).set(reader.auth).expect(201)).body;
    expect(copy).toMatchObject({ display_name: 'Shared trip', persona: 'technical_support', tags: ['shared'] });
    const history = await h.history(copy.session_id, reader);
    expect(history.map((m) => m.content)).toEqual(['What should I pack?', 'Pack light.', 'later question', 'Later answer']);
    // The copy is the reader's own: the owner's session is untouched and not reachable by the reader.
    await api().get(`/api/sessions/${sessionId}`).set(reader.auth).expect(404);
  });

  it.each([
    [{ expires_in_seconds: 0 }, 'expires_in_seconds must be at least 1'],
    [{ expires_in_seconds: 1.5 }, 'expires_in_seconds must be a whole number of seconds'],
    [{ expires_in_seconds: 'soon' }, 'expires_in_seconds must be a whole number of seconds'],
    [{ expires_in_seconds: 10 ** 9 }, 'expires_in_seconds must be at most 31536000'],
  ])('refuses %j with a 400 saying what to fix', async (body, message) => {
    const res = await api().post(`/api/sessions/${sessionId}/shares`).set(h.me.auth).send(body).expect(400);
    expect(JSON.stringify(res.body)).toContain(message);
  });

  it('malformed share ids answer 404 like unknown ones', async () => {
    for (const id of ['x', 'sh_short', '..', '__proto__', `sh_${'A'.repeat(32)}`]) {
      await api().get(`/api/shared/${encodeURIComponent(id)}`).expect(404);
      await api().delete(`/api/shares/${encodeURIComponent(id)}`).set(h.me.auth).expect(404);
    }
  });
});
