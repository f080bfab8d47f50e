import request from 'supertest';
import { sseRequest } from '../bench/common/sse-client';
import { startTestApp } from './support/app';
import { FakeReply, startFakeOpenAI } from './support/fake-openai';
import { ChatHarness, eventsOf, startChatHarness } from './support/fake-openai-harness';
import { newGuest } from './support/guest';

/** Every upstream failure: the right status and words, the user message kept, the failed turn recorded. */
const FAILURES: Array<[string, FakeReply, number, RegExp, string]> = [
  ['bad key (401)', { status: 401 }, 502, /refused this server's credentials, so chat cannot answer\. Tell the administrator\./, ''],
  ['forbidden (403)', { status: 403 }, 502, /refused this server's credentials/, ''],
  ['unknown model (404)', { status: 404 }, 502, /model "test-model" is not available on the model service\. Try another persona, or tell the administrator/, ''],
  ['rate limited (429)', { status: 429 }, 503, /busy \(too many requests\); try again in a minute/, ''],
  ['provider error (500)', { status: 500 }, 502, /failed to answer \(HTTP 500\); try again in a minute/, ''],
  ['provider unavailable (503)', { status: 503 }, 502, /failed to answer \(HTTP 503\); try again in a minute/, ''],
  ['connect timeout (no response)', { fault: 'hang' }, 504, /did not respond in time; try again in a minute\. If it keeps happening, tell the administrator/, ''],
  ['no first token', { firstChunkDelayMs: 3000 }, 504, /did not start answering in time; try again/, ''],
  ['stall mid-answer', { text: 'alpha beta gamma delta', fault: 'stall' }, 504, /stopped sending in the middle of the answer; try again/, 'alpha beta '],
  ['reset connection', { text: 'alpha beta gamma delta', fault: 'reset' }, 502, /connection to the model service was lost in the middle of the answer; try again/, 'alpha beta '],
  ['malformed SSE', { text: 'alpha beta gamma delta', fault: 'malformed' }, 502, /sent a reply this server cannot read\. Tell the administrator/, 'alpha beta '],
];

/** What the person sees names no internal address or setting: those are for the log and /health. */
const INTERNAL = /https?:|127\.0\.0\.1|OPENAI_|LLM_/;

describe('chat failures (real Redis + fake model server)', () => {
  let h: ChatHarness;
  beforeAll(async () => {
    // Not tighter: on a loaded machine an ordinary answer can take a few hundred ms to start.
    h = await startChatHarness({ LLM_CONNECT_TIMEOUT_MS: '1000', LLM_FIRST_TOKEN_TIMEOUT_MS: '1500', LLM_IDLE_TIMEOUT_MS: '300' });
  });
  afterAll(() => h.close());
  beforeEach(() => h.fake.reset());

  async function expectFailedTurn(id: string, content: string, status: number, message: RegExp, partial: string) {
    const history = await h.history(id);
    expect(history).toHaveLength(2);
    expect(history[0]).toMatchObject({ role: 'user', content });
    expect(history[1]).toMatchObject({ role: 'assistant', status: 'failed', content: partial, error: { status } });
    expect(history[1].error.message).toMatch(message);
    expect(history[1].error.message).not.toMatch(INTERNAL);
    expect((await h.session(id)).message_count).toBe(2);
    return history[1].id as string;
  }

  it.each(FAILURES)('%s → JSON error status with an actionable message', async (_name, reply, status, message, partial) => {
    const id = await h.newSession();
    h.fake.script(reply);
    const res = await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'hello?' });
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ statusCode: status, message: expect.stringMatching(message) });
    const failedId = await expectFailedTurn(id, 'hello?', status, message, partial);
    expect(res.body.details[0]).toContain(failedId);
    expect(h.fake.chatRequests).toHaveLength(1); // never silently retried
  });

  it.each(FAILURES)('%s → SSE error event naming the failed turn', async (_name, reply, status, message, partial) => {
    const id = await h.newSession();
    h.fake.script(reply);
    const res = await h.sendSse(id, 'hello?');
    expect(res.status).toBe(201);
    const events = eventsOf(res);
    expect(events[0].event).toBe('user_message');
    const last = events[events.length - 1];
    expect(last.event).toBe('error');
    expect(last.data).toMatchObject({ statusCode: status, message: expect.stringMatching(message) });
    const failedId = await expectFailedTurn(id, 'hello?', status, message, partial);
    expect(last.data.message_id).toBe(failedId);
  });

  it('retry after a failure: regenerate replaces the failed turn, which is not sent to the model', async () => {
    const id = await h.newSession();
    h.fake.script({ status: 500 }, { text: 'all good now' });
    await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'try me' }).expect(502);
    const res = await h.api().post(`/api/sessions/${id}/regenerate`).set(h.me.auth).expect(201);
    expect(res.body.assistant_message).toMatchObject({ content: 'all good now', status: 'complete' });
    expect((await h.history(id)).map((m) => [m.content, m.status])).toEqual([
      ['try me', undefined],
      ['all good now', 'complete'],
    ]);
    // A failed turn is never fed back to the model as if it had said it.
    h.fake.script({ status: 500 }, { text: 'fine' });
    await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'next' }).expect(502);
    await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'and again' }).expect(201);
    const sent = h.fake.chatRequests[3].body!.messages.map((m) => m.content);
    expect(sent.slice(1)).toEqual(['try me', 'all good now', 'next', 'and again']);
  });
});

describe('chat when the model server is unreachable', () => {
  it('connection refused → 502 telling the person to retry later (no address), user message kept', async () => {
    const dead = await startFakeOpenAI();
    const url = dead.url;
    await dead.close();
    const t = await startTestApp({ OPENAI_BASE_URL: url, OPENAI_MODEL: 'test-model' });
    try {
      const me = await newGuest(t.url);
      const id = (await request(t.url).post('/api/sessions').set(me.auth).send({}).expect(201)).body.session_id;
      const res = await request(t.url).post(`/api/sessions/${id}/messages`).set(me.auth).send({ content: 'anyone?' }).expect(502);
      expect(res.body.message).toBe(
        'The model service is not reachable right now; try again in a minute. If it keeps happening, tell the administrator.',
      );
      const history = (await request(t.url).get(`/api/sessions/${id}/messages`).set(me.auth).expect(200)).body.messages;
      expect(history.map((m: { role: string; status?: string }) => [m.role, m.status])).toEqual([
        ['user', undefined],
        ['assistant', 'failed'],
      ]);
    } finally {
      await t.close();
    }
  });
});

describe('chat with no model configured', () => {
  it('answers 503 telling the person to ask the administrator; /health names the settings; nothing is stored', async () => {
    const t = await startTestApp({ OPENAI_MODEL: undefined, OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined });
    try {
      const me = await newGuest(t.url);
      const id = (await request(t.url).post('/api/sessions').set(me.auth).send({}).expect(201)).body.session_id;
      for (const path of ['messages', 'regenerate']) {
        const res = await request(t.url).post(`/api/sessions/${id}/${path}`).set(me.auth).send(path === 'messages' ? { content: 'hi' } : {}).expect(503);
        expect(res.body.message).toBe('Chat is not set up on this server yet. Tell the administrator; nothing was sent or stored.');
      }
      const sse = await sseRequest({ url: `${t.url}/api/sessions/${id}/messages`, headers: me.auth, body: { content: 'hi' } });
      expect(sse.status).toBe(503);
      expect(JSON.parse(sse.text).message).toMatch(/^Chat is not set up on this server yet\./);
      await request(t.url).post(`/api/sessions/${id}/stop`).set(me.auth).expect(200, { stopped: false });
      const history = await request(t.url).get(`/api/sessions/${id}/messages`).set(me.auth).expect(200);
      expect(history.body.messages).toEqual([]);
      await request(t.url).get('/api/sessions').set(me.auth).expect(200);
      const health = await request(t.url).get('/health').expect(200);
      expect(health.body.details.model).toMatchObject({ configured: false, hint: expect.stringMatching(/OPENAI_MODEL.*OPENAI_API_KEY.*OPENAI_BASE_URL/) });
    } finally {
      await t.close();
    }
  });

  it('a model without a key or base URL is 503 for the person; /health names OPENAI_API_KEY / OPENAI_BASE_URL', async () => {
    const t = await startTestApp({ OPENAI_MODEL: 'gpt-4o-mini' });
    try {
      const me = await newGuest(t.url);
      const id = (await request(t.url).post('/api/sessions').set(me.auth).send({}).expect(201)).body.session_id;
      const res = await request(t.url).post(`/api/sessions/${id}/messages`).set(me.auth).send({ content: 'hi' }).expect(503);
      expect(res.body.message).toMatch(/^Chat is not set up on this server yet\./);
      expect(res.body.message).not.toMatch(INTERNAL);
      const health = await request(t.url).get('/health').expect(200);
      expect(health.body.details.model).toMatchObject({ default_model: 'gpt-4o-mini', hint: expect.stringMatching(/OPENAI_API_KEY.*OPENAI_BASE_URL/) });
    } finally {
      await t.close();
    }
  });
});
