import { ChatHarness, deltaText, eventsOf, startChatHarness } from './support/fake-openai-harness';
import { newGuest } from './support/guest';

describe('chat: send, stream, history (real Redis + fake model server)', () => {
  let h: ChatHarness;
  let prompts: Record<string, string>;
  beforeAll(async () => {
    h = await startChatHarness();
    const personas = (await h.api().get('/api/personas').set(h.me.auth).expect(200)).body.personas as Array<{ key: string; system_prompt: string }>;
    prompts = Object.fromEntries(personas.map((p) => [p.key, p.system_prompt]));
  });
  afterAll(() => h.close());
  beforeEach(() => h.fake.reset());

  it('streams an answer as SSE and stores both messages with the persona prompt sent first', async () => {
    const id = await h.newSession('mental_health_nurse');
    h.fake.script({ text: 'Take a slow breath with me.', chunkDelayMs: 40 });
    const res = await h.sendSse(id, '  I feel stressed  ');

    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(res.headers['cache-control']).toContain('no-cache');
    expect(res.headers['x-accel-buffering']).toBe('no');
    const events = eventsOf(res);
    expect(events[0]).toMatchObject({ event: 'user_message', data: { role: 'user', content: 'I feel stressed', id: expect.any(String) } });
    // The sender gets each delta as it comes, in process (the stream's batching is for resumes).
    expect(events.filter((e) => e.event === 'delta').length).toBeGreaterThan(1);
    // Every event carries an id of the generation's stream, for Last-Event-ID.
    expect(res.events.every((e) => /^\d+-\d+$/.test(e.id ?? ''))).toBe(true);
    expect(deltaText(res)).toBe('Take a slow breath with me.');
    const done = events[events.length - 1];
    expect(done.event).toBe('done');
    expect(done.data).toMatchObject({
      role: 'assistant',
      content: 'Take a slow breath with me.',
      model: 'test-model',
      persona: 'mental_health_nurse',
      finish_reason: 'stop',
      status: 'complete',
      usage: { prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), total_tokens: expect.any(Number) },
      context: { messages: 1, tokens: expect.any(Number) },
    });

    const sent = h.fake.chatRequests[0].body!;
    expect(sent.messages[0]).toEqual({ role: 'system', content: prompts.mental_health_nurse });
    expect(sent.messages.slice(1)).toEqual([{ role: 'user', content: 'I feel stressed' }]);
    expect(sent).toMatchObject({ model: 'test-model', stream: true, temperature: 0.6, max_tokens: 800 });

    const history = await h.history(id);
    expect(history.map((m) => [m.role, m.content, m.status])).toEqual([
      ['user', 'I feel stressed', undefined],
      ['assistant', 'Take a slow breath with me.', 'complete'],
    ]);
    expect(history[0].id).toBe(events[0].data.id);
    expect(history[1].id).toBe(done.data.id);
    expect((await h.session(id)).message_count).toBe(2);
  });

  it('answers as JSON without Accept: text/event-stream, with the persona parameters', async () => {
    const id = await h.newSession('technical_support');
    h.fake.script({ text: 'Restart the router.' });
    const res = await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'No internet' }).expect(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.user_message).toMatchObject({ role: 'user', content: 'No internet', persona: 'technical_support' });
    expect(res.body.assistant_message).toMatchObject({
      role: 'assistant',
      content: 'Restart the router.',
      status: 'complete',
      model: 'test-model',
      persona: 'technical_support',
      finish_reason: 'stop',
    });
    const sent = h.fake.chatRequests[0].body!;
    expect(sent.messages[0]).toEqual({ role: 'system', content: prompts.technical_support });
    expect(sent).toMatchObject({ temperature: 0.3, top_p: 0.9 });
    expect(sent.max_tokens).toBeUndefined();
  });

  it('keeps the history in order over several turns and sends it back to the model', async () => {
    const id = await h.newSession();
    for (const [i, text] of ['one', 'two', 'three'].entries()) {
      h.fake.script({ text: `answer ${i + 1}` });
      await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: text }).expect(201);
    }
    const history = await h.history(id);
    expect(history.map((m) => m.content)).toEqual(['one', 'answer 1', 'two', 'answer 2', 'three', 'answer 3']);
    const session = await h.session(id);
    expect(session.message_count).toBe(6);
    expect(Date.parse(session.last_activity)).toBeGreaterThanOrEqual(Date.parse(session.created_at));
    const third = h.fake.chatRequests[2].body!;
    expect(third.messages.map((m) => m.content)).toEqual([prompts.default, 'one', 'answer 1', 'two', 'answer 2', 'three']);
    expect(history[5].context).toEqual({
      messages: 5,
      tokens: expect.any(Number),
      first_message_id: history[0].id,
      system_prompt_id: expect.stringMatching(/^sp_[A-Za-z0-9_-]{24}$/),
    });
  });

  it('rejects empty and too long content before storing anything', async () => {
    const id = await h.newSession();
    const empty = await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: '   ' }).expect(400);
    expect(empty.body.message).toContain('content must not be empty');
    const long = await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'x'.repeat(32_001) }).expect(400);
    expect(long.body.message).toContain('at most 32000 characters');
    await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({}).expect(400);
    await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'hi', extra: 1 }).expect(400);
    expect(await h.history(id)).toEqual([]);
    expect(h.fake.chatRequests).toHaveLength(0);
  });

  it('regenerate replaces the last answer and sends the same context again', async () => {
    const id = await h.newSession();
    h.fake.script({ text: 'first try' }, { text: 'second try' });
    await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'Tell me a joke' }).expect(201);
    const res = await h.regenerateSse(id);
    const events = eventsOf(res);
    expect(events[0]).toMatchObject({ event: 'user_message', data: { content: 'Tell me a joke' } });
    expect(events[events.length - 1]).toMatchObject({ event: 'done', data: { content: 'second try', status: 'complete' } });
    const history = await h.history(id);
    expect(history.map((m) => m.content)).toEqual(['Tell me a joke', 'second try']);
    expect((await h.session(id)).message_count).toBe(2);
    expect(h.fake.chatRequests[1].body!.messages).toEqual(h.fake.chatRequests[0].body!.messages);

    const json = await h.api().post(`/api/sessions/${id}/regenerate`).set(h.me.auth).expect(201);
    expect(json.body.assistant_message.content).toContain('[development model]');
    expect((await h.history(id)).length).toBe(2);
  });

  it('regenerate on a session with nothing to answer is 409', async () => {
    const id = await h.newSession();
    const res = await h.api().post(`/api/sessions/${id}/regenerate`).set(h.me.auth).expect(409);
    expect(res.body.message).toContain('Nothing to regenerate');
    expect(h.fake.chatRequests).toHaveLength(0);
  });

  it('a second send while an answer streams gets 409, and works once it is done', async () => {
    const id = await h.newSession();
    h.fake.script({ text: 'a b c d e f', chunkDelayMs: 60 });
    let release!: () => void;
    const firstDelta = new Promise<void>((r) => (release = r));
    const streaming = h.sendSse(id, 'first', { onEvent: (e) => e.event === 'delta' && release() });
    await firstDelta;
    const busy = await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'second' }).expect(409);
    expect(busy.body.message).toBe(
      'A reply is already being generated in this session; wait for it or stop it (POST /api/sessions/{id}/stop).',
    );
    await h.api().post(`/api/sessions/${id}/regenerate`).set(h.me.auth).expect(409);
    await streaming;
    await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'second' }).expect(201);
    expect((await h.history(id)).map((m) => m.content)).toEqual(['first', 'a b c d e f', 'second', expect.any(String)]);
  });

  it('another identity gets 404 on every chat route, and nothing reaches the model', async () => {
    const id = await h.newSession();
    const other = await newGuest(h.t.url);
    for (const [path, body] of [
      ['messages', { content: 'hi' }],
      ['regenerate', undefined],
      ['stop', undefined],
    ] as const) {
      const res = await h.api().post(`/api/sessions/${id}/${path}`).set(other.auth).send(body).expect(404);
      expect(res.body.message).toBe('Session not found');
    }
    const sse = await h.sendSse(id, 'hi', { who: other });
    expect(sse.status).toBe(404);
    expect(h.fake.chatRequests).toHaveLength(0);
    await h.api().post(`/api/sessions/s_${'A'.repeat(22)}/messages`).set(h.me.auth).send({ content: 'hi' }).expect(404);
    await h.api().post(`/api/sessions/${id}/messages`).send({ content: 'hi' }).expect(401);
  });
});
