import request from 'supertest';
import { sseRequest, SseResponse } from '../bench/common/sse-client';
import { startTestApp, TestApp } from './support/app';
import { eventually, TEST_MODEL_ENV } from './support/fake-openai-harness';
import { FakeOpenAI, startFakeOpenAI } from './support/fake-openai';
import { Guest, newGuest } from './support/guest';
import { uniquePrefix } from './support/redis';

const WORDS = Array.from({ length: 24 }, (_, i) => `word${i}`).join(' ');
const SLOW = { text: WORDS, chunkDelayMs: 40 };
/** Long enough that a stop surely lands before the end, even on a busy machine. */
const LONG = { text: Array.from({ length: 300 }, (_, i) => `long${i}`).join(' '), chunkDelayMs: 40 };

const deltas = (res: SseResponse) =>
  res.events
    .filter((e) => e.event === 'delta')
    .map((e) => JSON.parse(e.data).text as string)
    .join('');

/** Two instances of the app on one Redis under the same key prefix, as behind a load balancer. */
describe('answers that survive: two instances on one Redis', () => {
  let fake: FakeOpenAI;
  let a: TestApp;
  let b: TestApp;
  let me: Guest;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    const prefix = uniquePrefix('survive');
    const env = { OPENAI_BASE_URL: fake.url, ...TEST_MODEL_ENV, REDIS_KEY_PREFIX: prefix };
    a = await startTestApp(env);
    b = await startTestApp(env);
    me = await newGuest(a.url);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  const newSession = async (who = me) =>
    (await request(a.url).post('/api/sessions').set(who.auth).send({}).expect(201)).body.session_id as string;
  const history = async (id: string) => (await request(b.url).get(`/api/sessions/${id}/messages`).set(me.auth).expect(200)).body.messages;
  const send = (app: TestApp, id: string, content: string, onEvent?: Parameters<typeof sseRequest>[0]['onEvent'], headers = {}) =>
    sseRequest({ url: `${app.url}/api/sessions/${id}/messages`, headers: { ...me.auth, ...headers }, body: { content }, onEvent, timeoutMs: 20_000 });
  const resume = (app: TestApp, id: string, lastEventId?: string, who = me) =>
    sseRequest({
      url: `${app.url}/api/sessions/${id}/generation`,
      method: 'GET',
      headers: { ...who.auth, ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}) },
      timeoutMs: 20_000,
    });

  it('an answer started on A, its client gone, resumes on B from Last-Event-ID: exact text, nothing twice', async () => {
    const id = await newSession();
    fake.script(SLOW);
    let seen = 0;
    const first = await send(a, id, 'count', (e, abort) => {
      if (e.event === 'delta' && ++seen === 3) abort();
    });
    expect(first.aborted).toBe(true);
    const lastId = first.events[first.events.length - 1].id!;
    expect(lastId).toMatch(/^\d+-\d+$/);
    const rest = await resume(b, id, lastId);
    expect(rest.status).toBe(200);
    expect(rest.events[rest.events.length - 1].event).toBe('done');
    expect(rest.events.some((e) => e.event === 'user_message')).toBe(false);
    expect(deltas(first) + deltas(rest)).toBe(WORDS);
    const done = JSON.parse(rest.events[rest.events.length - 1].data);
    expect(done).toMatchObject({ status: 'complete', content: WORDS });
    // Not stopped by the client leaving: the model answered to the end.
    expect(fake.chatRequests[0].abortedByClient).toBe(false);
    const stored = await history(id);
    expect(stored.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
    expect(stored[1].content).toBe(WORDS);
    // Just after the end the whole generation can still be replayed, from the start.
    const replay = await resume(b, id);
    expect(replay.events.map((e) => e.event)[0]).toBe('user_message');
    expect(deltas(replay)).toBe(WORDS);
  });

  it('resume answers 204 when nothing runs, 404 for another identity, 400 for a malformed Last-Event-ID', async () => {
    const id = await newSession();
    await request(b.url).get(`/api/sessions/${id}/generation`).set(me.auth).expect(204);
    const stranger = await newGuest(a.url);
    await request(b.url).get(`/api/sessions/${id}/generation`).set(stranger.auth).expect(404);
    await request(b.url).get(`/api/sessions/${id}/generation`).set(me.auth).set('Last-Event-ID', 'nope').expect(400);
  });

  it('Stop from B stops the answer running on A; its partial text is stored and the session takes messages again', async () => {
    const id = await newSession();
    fake.script(LONG);
    let stopped: Promise<request.Response> | undefined;
    const running = send(a, id, 'count', (e) => {
      if (e.event === 'delta' && !stopped) {
        // then(): supertest sends the request only once it is awaited.
        stopped = request(b.url).post(`/api/sessions/${id}/stop`).set(me.auth).expect(200).then((r) => r);
      }
    });
    const res = await running;
    expect((await stopped!).body).toEqual({ stopped: true });
    const last = JSON.parse(res.events[res.events.length - 1].data);
    expect(last.status).toBe('interrupted');
    expect((await fake.waitForClose(fake.chatRequests[0])).abortedByClient).toBe(true);
    const stored = await history(id);
    expect(stored[1]).toMatchObject({ status: 'interrupted', content: last.content });
    fake.script({ text: 'ok' });
    await request(b.url).post(`/api/sessions/${id}/messages`).set(me.auth).send({ content: 'again' }).expect(201);
  });

  it('GET /api/events on B announces what happens on A', async () => {
    const events: Array<{ event: string; data: { type: string; session_id: string } }> = [];
    let close: () => void = () => undefined;
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const following = sseRequest({
      url: `${b.url}/api/events`,
      method: 'GET',
      headers: me.auth,
      timeoutMs: 20_000,
      onEvent: (e, abort) => {
        close = abort;
        if (e.event === 'ready') return ready();
        events.push({ event: e.event, data: JSON.parse(e.data) });
      },
    });
    await isReady;
    const id = await newSession();
    await request(a.url).patch(`/api/sessions/${id}`).set(me.auth).send({ display_name: 'Renamed', pinned: true }).expect(200);
    fake.script({ text: 'hello there' });
    await request(a.url).post(`/api/sessions/${id}/messages`).set(me.auth).send({ content: 'hi' }).expect(201);
    await request(a.url).delete(`/api/sessions/${id}`).set(me.auth).expect(204);
    const types = await eventually(async () => {
      // Only this session's events: one made by an earlier test may still get its title now.
      const seen = events.filter((e) => e.data.session_id === id).map((e) => e.event);
      return seen.includes('session.deleted') ? seen : undefined;
    }, 5000);
    close();
    await following;
    expect(types).toEqual([
      'session.created',
      'session.updated',
      'message.stored',
      'generation.started',
      'message.stored',
      'generation.finished',
      'session.deleted',
    ]);
    const mine = events.filter((e) => e.data.session_id === id);
    expect(mine.every((e) => e.data.type === e.event)).toBe(true);
    expect(mine[1].data).toMatchObject({ changes: ['display_name', 'pinned'], session: { display_name: 'Renamed', pinned: true } });
  });

  it('a send retried with the same Idempotency-Key stores the message once and gets the first outcome', async () => {
    const id = await newSession();
    fake.script({ text: 'only once' });
    const key = { 'Idempotency-Key': `k-${Date.now()}` };
    const first = await request(a.url).post(`/api/sessions/${id}/messages`).set(me.auth).set(key).send({ content: 'hi' }).expect(201);
    const retry = await request(b.url).post(`/api/sessions/${id}/messages`).set(me.auth).set(key).send({ content: 'hi' }).expect(201);
    expect(retry.body).toEqual(first.body);
    const streamed = await send(b, id, 'hi', undefined, key);
    expect(streamed.events.map((e) => e.event)).toEqual(['user_message', 'delta', 'done']);
    expect(JSON.parse(streamed.events[2].data).id).toBe(first.body.assistant_message.id);
    expect(fake.chatRequests).toHaveLength(1);
    expect((await history(id)).map((m: { content: string }) => m.content)).toEqual(['hi', 'only once']);
    await request(a.url).post(`/api/sessions/${id}/messages`).set(me.auth).set('Idempotency-Key', 'has space').send({ content: 'x' }).expect(400);
  });

  it('a retry while the first attempt still runs follows its answer instead of starting another', async () => {
    const id = await newSession();
    fake.script(SLOW);
    const key = { 'Idempotency-Key': `k2-${Date.now()}` };
    const first = send(a, id, 'count', undefined, key);
    await fake.waitForChatRequest(1);
    const retry = await send(b, id, 'count', undefined, key);
    const original = await first;
    expect(retry.status).toBe(201);
    expect(deltas(retry)).toBe(WORDS);
    expect(JSON.parse(retry.events[retry.events.length - 1].data).id).toBe(JSON.parse(original.events[original.events.length - 1].data).id);
    expect(fake.chatRequests).toHaveLength(1);
    expect(await history(id)).toHaveLength(2);
  });
});
