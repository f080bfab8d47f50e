import request from 'supertest';
import { startTestApp } from './support/app';
import { ChatHarness, deltaText, eventsOf, eventually, startChatHarness, TEST_MODEL_ENV } from './support/fake-openai-harness';
import { newGuest } from './support/guest';
import { uniquePrefix } from './support/redis';

const SLOW = { text: 'one two three four five six seven eight nine ten eleven twelve', chunkDelayMs: 60 };

describe('chat: stop, a leaving client, context budget', () => {
  let h: ChatHarness;
  beforeAll(async () => {
    h = await startChatHarness();
  });
  afterAll(() => h.close());
  beforeEach(() => h.fake.reset());

  it('POST /stop mid-stream aborts upstream at once and stores the partial answer as interrupted', async () => {
    const id = await h.newSession();
    h.fake.script(SLOW);
    let stopAt = 0;
    let stopBody: unknown;
    let seen = 0;
    const res = await h.sendSse(id, 'count for me', {
      onEvent: (e) => {
        if (e.event === 'delta' && !stopAt && ++seen === 3) {
          stopAt = Date.now();
          void h.api().post(`/api/sessions/${id}/stop`).set(h.me.auth).expect(200).then((r) => (stopBody = r.body));
        }
      },
    });
    const done = eventsOf(res).pop()!;
    expect(done).toMatchObject({ event: 'done', data: { status: 'interrupted', finish_reason: null } });
    expect(done.data.content).toBe(deltaText(res));
    expect(done.data.content.startsWith('one two three')).toBe(true);
    expect(done.data.content.length).toBeLessThan(SLOW.text.length);

    const upstream = await h.fake.waitForClose(h.fake.chatRequests[0]);
    expect(upstream.abortedByClient).toBe(true);
    await eventually(async () => stopBody);
    expect(stopBody).toEqual({ stopped: true });

    const history = await h.history(id);
    expect(history.map((m) => [m.role, m.status])).toEqual([
      ['user', undefined],
      ['assistant', 'interrupted'],
    ]);
    expect(history[1].content).toBe(done.data.content);
  });

  it('a client that disconnects mid-stream does not stop the answer: it is completed and stored', async () => {
    const id = await h.newSession();
    h.fake.script(SLOW);
    let deltas = 0;
    await h.sendSse(id, 'count for me', {
      onEvent: (e, abort) => {
        if (e.event === 'delta' && ++deltas === 3) abort();
      },
    });
    const upstream = await h.fake.waitForClose(h.fake.chatRequests[0], 10_000);
    expect(upstream.abortedByClient).toBe(false);
    const history = await eventually(async () => {
      const messages = await h.history(id);
      return messages.length === 2 ? messages : undefined;
    }, 5000);
    expect(history[1]).toMatchObject({ role: 'assistant', status: 'complete', content: SLOW.text });
    // The lock is released: the next message is accepted.
    h.fake.script({ text: 'ok' });
    await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'again' }).expect(201);
  });

  it('stop answers stopped: false when nothing runs', async () => {
    const id = await h.newSession();
    const res = await h.api().post(`/api/sessions/${id}/stop`).set(h.me.auth).expect(200);
    expect(res.body).toEqual({ stopped: false });
  });

  it('stop in JSON mode returns the interrupted answer as 201', async () => {
    const id = await h.newSession();
    h.fake.script(SLOW);
    const pending = h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'go' });
    const sent = pending.then((r) => r);
    await h.fake.waitForChatRequest(1);
    await new Promise((r) => setTimeout(r, 150));
    await h.api().post(`/api/sessions/${id}/stop`).set(h.me.auth).expect(200, { stopped: true });
    const res = await sent;
    expect(res.status).toBe(201);
    expect(res.body.assistant_message.status).toBe('interrupted');
  });
});

describe('chat: context budget', () => {
  let h: ChatHarness;
  beforeAll(async () => {
    h = await startChatHarness({ CONTEXT_TOKEN_BUDGET: '400' });
  });
  afterAll(() => h.close());

  it('sends the system prompt and only the newest whole messages that fit', async () => {
    const id = await h.newSession();
    const filler = 'lorem ipsum dolor sit amet '.repeat(8); // ~40 tokens
    for (let i = 0; i < 12; i++) {
      h.fake.script({ text: `reply ${i} ${filler}` });
      await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: `question ${i} ${filler}` }).expect(201);
    }
    const last = h.fake.chatRequests[11].body!;
    const history = await h.history(id);
    expect(history).toHaveLength(24);
    expect(last.messages[0].role).toBe('system');
    const sent = last.messages.slice(1).map((m) => m.content);
    expect(sent.length).toBeGreaterThan(1);
    expect(sent.length).toBeLessThan(23);
    // The newest messages, in order, each whole.
    expect(sent).toEqual(history.slice(23 - sent.length, 23).map((m) => m.content));
    const context = history[23].context;
    expect(context.messages).toBe(sent.length);
    expect(context.tokens).toBeLessThanOrEqual(400);
  });

  it('rejects a message that cannot fit the budget with the persona prompt, storing nothing', async () => {
    const id = await h.newSession();
    const res = await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'word '.repeat(500) }).expect(400);
    expect(res.body.message).toContain('CONTEXT_TOKEN_BUDGET');
    expect(await h.history(id)).toEqual([]);
  });
});

describe('chat across two instances sharing one Redis', () => {
  it('a send on one instance blocks sends on the other (409), and stop on the other aborts it', async () => {
    const prefix = uniquePrefix('chat2');
    const h = await startChatHarness({ REDIS_KEY_PREFIX: prefix });
    const b = await startTestApp({ OPENAI_BASE_URL: h.fake.url, ...TEST_MODEL_ENV, REDIS_KEY_PREFIX: prefix });
    try {
      const id = await h.newSession();
      h.fake.script(SLOW);
      let stopAt = 0;
      let deltas = 0;
      const streaming = h.sendSse(id, 'go', {
        onEvent: (e) => {
          if (e.event === 'delta' && ++deltas === 2 && !stopAt) {
            stopAt = -1;
            void (async () => {
              const busy = await request(b.url).post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'x' });
              expect(busy.status).toBe(409);
              stopAt = Date.now();
              const stop = await request(b.url).post(`/api/sessions/${id}/stop`).set(h.me.auth);
              expect(stop.body).toEqual({ stopped: true });
            })();
          }
        },
      });
      const res = await streaming;
      expect(eventsOf(res).pop()).toMatchObject({ event: 'done', data: { status: 'interrupted' } });
      const upstream = await h.fake.waitForClose(h.fake.chatRequests[0]);
      expect(upstream.abortedByClient).toBe(true);
      } finally {
      await b.close();
      await h.close();
    }
  });
});

describe('chat with the embedded store', () => {
  it('answers, stops and regenerates without Redis', async () => {
    const h = await startChatHarness({ REDIS_URL: undefined });
    try {
      const id = await h.newSession();
      h.fake.script({ text: 'hello there' }, SLOW);
      const first = await h.sendSse(id, 'hi');
      expect(eventsOf(first).pop()).toMatchObject({ event: 'done', data: { content: 'hello there' } });
      let deltas = 0;
      let stopped: Promise<request.Response> | undefined;
      const res = await h.regenerateSse(id, {
        onEvent: (e) => {
          if (e.event === 'delta' && ++deltas === 2) stopped = h.api().post(`/api/sessions/${id}/stop`).set(h.me.auth).then((r) => r);
        },
      });
      expect((await stopped)?.body).toEqual({ stopped: true });
      expect(eventsOf(res).pop()).toMatchObject({ event: 'done', data: { status: 'interrupted' } });
      const other = await newGuest(h.t.url);
      await h.api().post(`/api/sessions/${id}/stop`).set(other.auth).expect(404);
      expect((await h.history(id)).map((m) => m.role)).toEqual(['user', 'assistant']);
    } finally {
      await h.close();
    }
  });
});
