import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { ChatHarness, startChatHarness } from './support/fake-openai-harness';
import { Guest, newGuest } from './support/guest';
import { storeSnapshot } from './support/store-snapshot';

const FIXTURES = join(__dirname, 'fixtures');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

describe('export and import (real Redis + fake model server)', () => {
  let h: ChatHarness;
  let sessionId: string;
  const api = () => request(h.t.url);

  /** Sends the file as the raw request body. */
  const importFile = (who: Guest, body: Buffer | string, query = '', type = 'application/json') =>
    // A string: supertest would send a Buffer under a JSON content type as its JSON serialisation.
    api().post(`/api/import${query}`).set(who.auth).set('Content-Type', type).send(body.toString());

  /** Every session of an identity with its whole history. */
  async function everything(who: Guest) {
    const sessions = (await api().get('/api/sessions?limit=200').set(who.auth).expect(200)).body.sessions as Array<Record<string, any>>;
    return Promise.all(sessions.map(async (s) => ({ session: s, messages: await h.history(s.session_id, who) })));
  }

  beforeAll(async () => {
    h = await startChatHarness();
    sessionId = (await api().post('/api/sessions').set(h.me.auth).send({ display_name: 'Trip = plan', persona: 'technical_support', metadata: { topic: 'travel' } }).expect(201)).body.session_id;
    await api().patch(`/api/sessions/${sessionId}`).set(h.me.auth).send({ tags: ['work'] }).expect(200);
    h.fake.script({ text: '=cmd|"/c calc"!A1 and a line\nbreak, with "quotes"' }, { text: 'Second answer' });
    await api().post(`/api/sessions/${sessionId}/messages`).set(h.me.auth).send({ content: '@SUM(1,2)' }).expect(201);
    await api().post(`/api/sessions/${sessionId}/messages`).set(h.me.auth).send({ content: 'And then?' }).expect(201);
  });
  afterAll(() => h.close());

  it('JSON export: a versioned download with every message linked to its parent', async () => {
    const res = await api().get(`/api/sessions/${sessionId}/export?format=json`).set(h.me.auth).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="trip-plan-${sessionId}.json"`);
    const body = JSON.parse(res.text);
    expect(body).toMatchObject({ format: 'nono-chat.session', version: 1, session: { session_id: sessionId, display_name: 'Trip = plan', persona: 'technical_support', tags: ['work'], metadata: { topic: 'travel' } } });
    expect(body.session.persona_name).toEqual(expect.any(String));
    const history = await h.history(sessionId);
    expect(body.messages.map((m: any) => m.id)).toEqual(history.map((m) => m.id));
    expect(body.messages.map((m: any) => m.parent_id)).toEqual([null, ...history.slice(0, -1).map((m) => m.id)]);
    expect(body.active_leaf_id).toBe(history[history.length - 1].id);
    expect(body.messages[1]).toMatchObject({ role: 'assistant', model: 'test-model', usage: expect.any(Object) });
  });

  it('CSV export: one row per message, RFC 4180, formula cells neutralised', async () => {
    const res = await api().get(`/api/sessions/${sessionId}/export?format=csv`).set(h.me.auth).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/\.csv"$/);
    const lines = res.text.split('\r\n');
    expect(lines[0]).toMatch(/^session_id,message_id,parent_id,role,created_at,/);
    expect(res.text).toContain(`,'@SUM(1,2)"`.replace(`'@SUM(1,2)"`, `"'@SUM(1,2)"`));
    expect(res.text).toContain(`"'=cmd|""/c calc""!A1 and a line\nbreak, with ""quotes"""`);
    expect(lines.filter((l) => l.startsWith(sessionId))).toHaveLength(4);
  });

  it('Markdown export: readable, persona named, timestamps', async () => {
    const res = await api().get(`/api/sessions/${sessionId}/export?format=markdown`).set(h.me.auth).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/markdown/);
    expect(res.text).toMatch(/^# Trip = plan\n\n- Persona: .+ \(`technical_support`\)\n- Created: \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(res.text).toMatch(/### You · \d{4}-\d\d-\d\d \d\d:\d\d UTC\n\n@SUM\(1,2\)/);
    expect(res.text).toContain('Second answer');
  });

  it('an unknown format is a 400 that lists the formats', async () => {
    const res = await api().get(`/api/sessions/${sessionId}/export?format=xml`).set(h.me.auth).expect(400);
    expect(res.body.message).toContain('format must be one of json, markdown, csv');
  });

  it('round trip: export as JSON, import as another identity: same messages and metadata, tagged imported; a second import adds nothing', async () => {
    const file = (await api().get(`/api/sessions/${sessionId}/export`).set(h.me.auth).expect(200)).text;
    const other = await newGuest(h.t.url);
    const report = (await importFile(other, file).expect(200)).body;
    expect(report).toMatchObject({ format: 'nono', imported: 1, skipped: 0, messages: 4 });
    const [copy] = report.conversations;
    expect(copy).toMatchObject({ position: 1, outcome: 'imported', title: 'Trip = plan', messages: 4, omitted: 0, reason: null });
    expect(await h.history(copy.session_id, other)).toEqual(await h.history(sessionId));
    const session = await h.session(copy.session_id, other);
    expect(session).toMatchObject({ display_name: 'Trip = plan', persona: 'technical_support', metadata: { topic: 'travel' }, tags: ['work', 'imported'] });
    // Exported again, it is the same document apart from where and when it lives.
    const again = JSON.parse((await api().get(`/api/sessions/${copy.session_id}/export`).set(other.auth).expect(200)).text);
    const original = JSON.parse(file);
    expect(again.messages).toEqual(original.messages);
    expect(again.session.metadata).toEqual(original.session.metadata);

    const before = await everything(other);
    const second = (await importFile(other, file).expect(200)).body;
    expect(second).toMatchObject({ imported: 0, skipped: 1, messages: 0 });
    expect(second.conversations[0]).toMatchObject({ outcome: 'skipped', session_id: copy.session_id, reason: `Already imported as session ${copy.session_id}.` });
    expect(await everything(other)).toEqual(before);
  });

  it('export everything as NDJSON, import it elsewhere: every session comes back', async () => {
    const owner = await newGuest(h.t.url);
    for (const name of ['one', 'two', 'three']) {
      const id = (await api().post('/api/sessions').set(owner.auth).send({ display_name: name }).expect(201)).body.session_id;
      await api().post(`/api/sessions/${id}/messages`).set(owner.auth).send({ content: `hello ${name}` }).expect(201);
    }
    const res = await api().get('/api/export').set(owner.auth).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="nono-chat-export-\d{4}-\d\d-\d\d\.ndjson"$/);
    const lines = res.text.trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).session.display_name).sort()).toEqual(['one', 'three', 'two']);
    const other = await newGuest(h.t.url);
    const report = (await importFile(other, res.text, '', 'application/x-ndjson').expect(200)).body;
    expect(report).toMatchObject({ format: 'nono', imported: 3, messages: 6 });
    const copies = await everything(other);
    expect(copies.map((c) => c.messages[0].content).sort()).toEqual(['hello one', 'hello three', 'hello two']);
  });

  it('ChatGPT conversations.json: the shown branch in order, non-text parts rendered, persona chosen at import', async () => {
    const who = await newGuest(h.t.url);
    const report = (await importFile(who, fixture('chatgpt-conversations.json'), '?persona=mental_health_nurse').expect(200)).body;
    expect(report).toMatchObject({ format: 'chatgpt', imported: 2, skipped: 0 });
    const [reverse, translations] = report.conversations;
    // 8 messages in the tree: the system prompt and the tool output are left out; the older answer is kept as a version.
    expect(reverse).toMatchObject({ title: 'Reverse a list', source: 'chatgpt', outcome: 'imported', messages: 6, omitted: 2 });
    const history = await h.history(reverse.session_id, who);
    expect(history.map((m) => [m.id, m.role])).toEqual([['u1', 'user'], ['a1-new', 'assistant'], ['u2', 'user'], ['a2-code', 'assistant'], ['a2', 'assistant']]);
    // The answer regenerated in ChatGPT: the shown one is the newer of two versions.
    expect(history[1]).toMatchObject({ sibling_index: 1, sibling_count: 2 });
    expect(history[2].content).toContain('![image](file-service://file-AbC123)');
    expect(history[3].content).toBe('```python\nnums = [1, 2, 3]\nprint(nums[::-1])\n```');
    expect(history[0].created_at).toBe('2024-05-01T10:40:01.000Z');
    expect(await h.session(reverse.session_id, who)).toMatchObject({ persona: 'mental_health_nurse', tags: ['imported'] });
    expect((await h.history(translations.session_id, who)).map((m) => m.id)).toEqual(['e2', 'e2a', 'e3', 'e3a']);
    expect((await importFile(who, fixture('chatgpt-conversations.json')).expect(200)).body).toMatchObject({ imported: 0, skipped: 2 });
  });

  it('Claude conversations.json: branches followed to the last answer, default persona', async () => {
    const who = await newGuest(h.t.url);
    const report = (await importFile(who, fixture('claude-conversations.json')).expect(200)).body;
    expect(report).toMatchObject({ format: 'claude', imported: 2 });
    const history = await h.history(report.conversations[0].session_id, who);
    expect(history.map((m) => m.id)).toEqual(['m1', 'm2', 'm3', 'm5']);
    expect(history[1].content).toContain('**Tool call: get_weather**');
    const personas = (await api().get('/api/personas').set(who.auth).expect(200)).body;
    expect((await h.session(report.conversations[1].session_id, who)).persona).toBe(personas.default_persona);
  });

  it.each([
    ['truncated', (f: Buffer) => f.subarray(0, f.length - 40), /ends in the middle of conversation 2 .*truncated/],
    ['cut before its closing bracket', (f: Buffer) => Buffer.from(f.toString().trimEnd().slice(0, -1)), /ends before the closing "\]".*after 2 conversations/],
    ['broken inside a conversation', (f: Buffer) => Buffer.from(f.toString().replace('"parent": "u1"', '"parent": "nowhere"')), /Conversation 1 \("Reverse a list"\): message "a1-old" has parent "nowhere"/],
    ['not JSON', () => Buffer.from('hello'), /must start with "\["/],
    ['of an unknown format', () => Buffer.from('[{"foo": 1}]'), /Conversation 1 is in no format this server imports/],
  ])('a file %s: 400 naming the problem, nothing stored', async (_label, mangle, message) => {
    const who = await newGuest(h.t.url);
    await api().get('/api/sessions').set(who.auth).expect(200); // the token's first use is recorded
    const before = await storeSnapshot(`${h.t.prefix}:{u:${who.user_id}}`);
    const res = await importFile(who, mangle(fixture('chatgpt-conversations.json'))).expect(400);
    expect(res.body.message).toMatch(message);
    expect(res.body.message).toMatch(/Nothing was imported\.$/);
    expect(await storeSnapshot(`${h.t.prefix}:{u:${who.user_id}}`)).toEqual(before);
  });

  it('a multipart form is refused with 415 saying to send the file itself', async () => {
    const res = await api().post('/api/import').set(h.me.auth).attach('file', fixture('claude-conversations.json'), 'conversations.json').expect(415);
    expect(res.body.message).toContain('Send the file itself as the request body');
  });

  it('an unknown persona is refused before anything is read', async () => {
    const res = await importFile(h.me, fixture('claude-conversations.json'), '?persona=nobody').expect(400);
    expect(res.body.message).toMatch(/Unknown persona "nobody"/);
  });

  it('a file larger than IMPORT_MAX_BYTES is refused with 413, and is not held to the JSON body limit below it', async () => {
    const small = await startChatHarness({ IMPORT_MAX_BYTES: '4000', BODY_LIMIT_BYTES: '1024' });
    try {
      const claude = fixture('claude-conversations.json');
      expect(claude.length).toBeGreaterThan(4000);
      const send = (body: string) => request(small.t.url).post('/api/import').set(small.me.auth).set('Content-Type', 'application/json').send(body);
      const res = await send(claude.toString()).expect(413);
      expect(res.body.message).toContain('4000-byte import limit (IMPORT_MAX_BYTES)');
      const fits = JSON.stringify([JSON.parse(claude.toString())[0]]);
      expect(fits.length).toBeGreaterThan(1024);
      expect((await send(fits).expect(200)).body).toMatchObject({ imported: 1 });
    } finally {
      await small.close();
    }
  });

  it('another identity cannot export my session (404)', async () => {
    const other = await newGuest(h.t.url);
    const res = await api().get(`/api/sessions/${sessionId}/export?format=csv`).set(other.auth).expect(404);
    expect(res.body.message).toBe('Session not found');
  });
});
