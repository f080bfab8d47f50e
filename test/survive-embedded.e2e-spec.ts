import request from 'supertest';
import { sseRequest, SseResponse } from '../bench/common/sse-client';
import { startTestApp, TestApp } from './support/app';
import { TEST_MODEL_ENV } from './support/fake-openai-harness';
import { FakeOpenAI, startFakeOpenAI } from './support/fake-openai';
import { Guest, newGuest } from './support/guest';

const WORDS = Array.from({ length: 16 }, (_, i) => `w${i}`).join(' ');
const deltas = (res: SseResponse) =>
  res.events
    .filter((e) => e.event === 'delta')
    .map((e) => JSON.parse(e.data).text as string)
    .join('');

/** The same guarantees without Redis: the embedded store keeps the generation stream and the locks. */
describe('answers that survive: embedded store', () => {
  let fake: FakeOpenAI;
  let app: TestApp;
  let me: Guest;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    app = await startTestApp({ REDIS_URL: undefined, OPENAI_BASE_URL: fake.url, ...TEST_MODEL_ENV });
    me = await newGuest(app.url);
  });
  afterAll(async () => {
    await app.close();
    await fake.close();
  });

  it('resumes after the client left, with Last-Event-ID; a retried Idempotency-Key stores nothing twice', async () => {
    const id = (await request(app.url).post('/api/sessions').set(me.auth).send({}).expect(201)).body.session_id as string;
    fake.script({ text: WORDS, chunkDelayMs: 40 });
    let seen = 0;
    const key = { 'Idempotency-Key': 'embedded-1' };
    const first = await sseRequest({
      url: `${app.url}/api/sessions/${id}/messages`,
      headers: { ...me.auth, ...key },
      body: { content: 'count' },
      onEvent: (e, abort) => {
        if (e.event === 'delta' && ++seen === 2) abort();
      },
    });
    const rest = await sseRequest({
      url: `${app.url}/api/sessions/${id}/generation`,
      method: 'GET',
      headers: { ...me.auth, 'Last-Event-ID': first.events[first.events.length - 1].id! },
      timeoutMs: 10_000,
    });
    expect(deltas(first) + deltas(rest)).toBe(WORDS);
    expect(rest.events[rest.events.length - 1].event).toBe('done');
    const again = await request(app.url).post(`/api/sessions/${id}/messages`).set(me.auth).set(key).send({ content: 'count' }).expect(201);
    expect(again.body.assistant_message.content).toBe(WORDS);
    const history = (await request(app.url).get(`/api/sessions/${id}/messages`).set(me.auth).expect(200)).body.messages;
    expect(history).toHaveLength(2);
    expect(fake.chatRequests).toHaveLength(1);
  });
});
