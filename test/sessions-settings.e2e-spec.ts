import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatHarness, startChatHarness } from './support/fake-openai-harness';
import { Guest, newGuest } from './support/guest';

const PERSONAS = `
default_persona: alpha
personas:
  alpha:
    name: Alpha
    system_prompt: You are Alpha.
    temperature: 0.5
    allow_overrides:
      temperature: {min: 0, max: 1}
      max_tokens: {min: 10, max: 500}
      model: [test-model, big-model]
  beta:
    name: Beta
    system_prompt: You are Beta.
    allow_overrides:
      temperature: {max: 0.8}
  plain:
    name: Plain
    system_prompt: You are Plain.
`;

describe('per-session settings, usage totals and "what the model saw" (real Redis + fake model server)', () => {
  let h: ChatHarness;
  let dir: string;
  let other: Guest;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nono-settings-'));
    writeFileSync(join(dir, 'personas.yaml'), PERSONAS);
    h = await startChatHarness({ PERSONAS_FILE: join(dir, 'personas.yaml') });
    other = await newGuest(h.t.url);
  });
  afterAll(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => h.fake.reset());

  const send = (id: string, content: string) => h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content }).expect(201);
  const patch = (id: string, body: unknown, who: Guest = h.me) => h.api().patch(`/api/sessions/${id}`).set(who.auth).send(body as object);
  const contextOf = (id: string, messageId: string, who: Guest = h.me) =>
    h.api().get(`/api/sessions/${id}/messages/${messageId}/context`).set(who.auth);
  const sentTurns = (n: number) => h.fake.chatRequests[n].body!.messages.map((m) => ({ role: m.role, content: m.content }));

  it('GET /api/personas shows what each persona lets a session override', async () => {
    const res = await h.api().get('/api/personas').set(h.me.auth).expect(200);
    const byKey = Object.fromEntries(res.body.personas.map((p: { key: string }) => [p.key, p]));
    expect(byKey.alpha.allow_overrides).toEqual({
      temperature: { min: 0, max: 1 },
      max_tokens: { min: 10, max: 500 },
      model: ['test-model', 'big-model'],
    });
    expect(byKey.beta.allow_overrides).toEqual({ temperature: { min: 0, max: 0.8 } });
    expect(byKey.plain.allow_overrides).toEqual({});
  });

  it('a persona switch mid-session sends the new persona prompt from the next turn on; each answer records its persona', async () => {
    const id = await h.newSession('alpha');
    h.fake.script({ text: 'alpha answer' }, { text: 'beta answer' });
    await send(id, 'one');
    const switched = await patch(id, { persona: 'beta' }).expect(200);
    expect(switched.body).toMatchObject({ persona: 'beta', settings: {}, dropped_settings: [] });
    await send(id, 'two');

    expect(sentTurns(0)).toEqual([
      { role: 'system', content: 'You are Alpha.' },
      { role: 'user', content: 'one' },
    ]);
    expect(sentTurns(1)).toEqual([
      { role: 'system', content: 'You are Beta.' },
      { role: 'user', content: 'one' },
      { role: 'assistant', content: 'alpha answer' },
      { role: 'user', content: 'two' },
    ]);
    expect(h.fake.chatRequests[0].body!.temperature).toBe(0.5);
    expect(h.fake.chatRequests[1].body!.temperature).toBeUndefined();
    const history = await h.history(id);
    expect(history.map((m) => [m.role, m.persona, m.model ?? null])).toEqual([
      ['user', 'alpha', null],
      ['assistant', 'alpha', 'test-model'],
      ['user', 'beta', null],
      ['assistant', 'beta', 'test-model'],
    ]);

    // What the model saw, for each answer, is exactly what the fake received.
    for (const [n, answer] of [history[1], history[3]].entries()) {
      const seen = (await contextOf(id, answer.id).expect(200)).body;
      expect(seen).toMatchObject({ message_id: answer.id, persona: answer.persona, model: 'test-model', exact: true, tokens: answer.context.tokens });
      expect(seen.messages.map((m: { role: string; content: string }) => ({ role: m.role, content: m.content }))).toEqual(sentTurns(n));
      expect(seen.messages[0].id).toBeUndefined();
      expect(seen.messages.slice(1).map((m: { id: string }) => m.id)).toEqual(history.slice(0, 2 * n + 1).map((m) => m.id));
    }
  });

  it('refuses each bad override with a 400 naming the parameter and what is allowed, and changes nothing', async () => {
    const id = await h.newSession('alpha');
    await patch(id, { settings: { temperature: 0.3 } }).expect(200);
    const before = await h.session(id);
    const cases: Array<[unknown, RegExp]> = [
      [{ settings: { temperature: 1.5 } }, /settings\.temperature must be a number from 0 to 1 for persona "alpha" \(got 1\.5\)/],
      [{ settings: { top_p: 0.5 } }, /settings\.top_p cannot be changed for persona "alpha" \(only model, temperature, max_tokens can be changed\)/],
      [{ settings: { max_tokens: 5 } }, /settings\.max_tokens must be a whole number from 10 to 500/],
      [{ settings: { max_tokens: 12.5 } }, /settings\.max_tokens must be a whole number/],
      [{ settings: { model: 'gpt-5' } }, /settings\.model must be one of "test-model", "big-model" for persona "alpha" \(got "gpt-5"\)/],
      [{ settings: { temperature: 'hot' } }, /settings\.temperature must be a number/],
      [{ settings: { colour: 'blue' } }, /colour/],
      [{ settings: 'warm' }, /settings must be an object/],
      [{ settings: { temperature: 0.9, max_tokens: 1000 } }, /max_tokens must be a whole number from 10 to 500/],
      [{ persona: 'plain', settings: { temperature: 0.2 } }, /settings\.temperature cannot be changed for persona "plain" \(nothing can be changed\)/],
      [{ persona: 'beta', settings: { temperature: 0.9 } }, /settings\.temperature must be a number from 0 to 0\.8 for persona "beta"/],
    ];
    for (const [body, message] of cases) {
      const res = await patch(id, body).expect(400);
      expect(res.body.message).toMatch(message);
    }
    const after = await h.session(id);
    expect(after.settings).toEqual({ temperature: 0.3 });
    expect(after.persona).toBe('alpha');
    expect(after).toEqual({ ...before, expires_at: after.expires_at });
  });

  it('applies the overrides to the model request; null removes one; a switch drops what the new persona does not allow', async () => {
    const id = await h.newSession('alpha');
    const set = await patch(id, { settings: { temperature: 0.2, max_tokens: 100, model: 'big-model' } }).expect(200);
    expect(set.body.settings).toEqual({ model: 'big-model', temperature: 0.2, max_tokens: 100 });
    expect((await h.session(id)).settings).toEqual({ model: 'big-model', temperature: 0.2, max_tokens: 100 });
    await send(id, 'first');
    expect(h.fake.chatRequests[0].body).toMatchObject({ model: 'big-model', temperature: 0.2, max_tokens: 100 });
    expect((await h.history(id))[1].model).toBe('big-model');

    await patch(id, { settings: { temperature: null } }).expect(200);
    await send(id, 'second');
    expect(h.fake.chatRequests[1].body).toMatchObject({ model: 'big-model', temperature: 0.5, max_tokens: 100 });

    await patch(id, { settings: { temperature: 0.7 } }).expect(200);
    const switched = await patch(id, { persona: 'beta' }).expect(200);
    expect(switched.body).toMatchObject({ persona: 'beta', settings: { temperature: 0.7 }, dropped_settings: ['model', 'max_tokens'] });
    await send(id, 'third');
    const third = h.fake.chatRequests[2].body!;
    expect(third).toMatchObject({ model: 'test-model', temperature: 0.7 });
    expect(third.max_tokens).toBeUndefined();
    expect(third.messages[0]).toEqual({ role: 'system', content: 'You are Beta.' });

    // Switching to a persona that allows nothing drops every override.
    const plain = await patch(id, { persona: 'plain' }).expect(200);
    expect(plain.body).toMatchObject({ settings: {}, dropped_settings: ['temperature'] });
  });

  it('keeps running usage totals that add up over answers (failed ones counted, no tokens) and survive a clear', async () => {
    const id = await h.newSession('alpha');
    expect((await h.session(id)).usage).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, answers: 0 });
    h.fake.script({ text: 'one two three' }, { status: 500 }, { text: 'four five' });
    await send(id, 'a');
    await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'b' });
    await send(id, 'c');
    const answers = (await h.history(id)).filter((m) => m.role === 'assistant');
    expect(answers.map((m) => m.status)).toEqual(['complete', 'failed', 'complete']);
    const sum = (field: 'prompt_tokens' | 'completion_tokens') => answers.reduce((n, m) => n + (m.usage?.[field] ?? 0), 0);
    const expected = { prompt_tokens: sum('prompt_tokens'), completion_tokens: sum('completion_tokens'), answers: 3 };
    expect(expected.prompt_tokens).toBeGreaterThan(0);
    const session = await h.session(id);
    expect(session.usage).toEqual({ ...expected, total_tokens: expected.prompt_tokens + expected.completion_tokens });
    const listed = (await h.api().get('/api/sessions').set(h.me.auth).expect(200)).body.sessions.find((s: { session_id: string }) => s.session_id === id);
    expect(listed.usage).toEqual(session.usage);

    // The failed answer is not sent back; the third answer's context shows exactly what was sent.
    const seen = (await contextOf(id, answers[2].id).expect(200)).body;
    expect(seen.messages.map((m: { role: string; content: string }) => ({ role: m.role, content: m.content }))).toEqual(sentTurns(2));
    expect(seen.exact).toBe(true);

    await h.api().delete(`/api/sessions/${id}/messages`).set(h.me.auth).expect(200);
    expect((await h.session(id)).usage).toEqual(session.usage);
  });

  it('the context route answers 404 for unknown messages and for user messages', async () => {
    const id = await h.newSession('alpha');
    await send(id, 'hello');
    const [question] = await h.history(id);
    expect((await contextOf(id, 'm_AAAAAAAAAAAAAAAAAAAAAA').expect(404)).body.message).toBe('Message not found in this session');
    await contextOf(id, '..%2F..').expect(404);
    expect((await contextOf(id, question.id).expect(404)).body.message).toMatch(/Only answers have a context/);
  });

  it("another identity's token gets 404 on the new routes and changes nothing", async () => {
    const id = await h.newSession('alpha');
    await send(id, 'mine');
    const answer = (await h.history(id))[1];
    expect((await contextOf(id, answer.id, other).expect(404)).body.message).toBe('Session not found');
    await patch(id, { settings: { temperature: 0.1 } }, other).expect(404);
    await patch(id, { persona: 'beta' }, other).expect(404);
    const session = await h.session(id);
    expect(session).toMatchObject({ persona: 'alpha', settings: {} });
  });
});

describe('"what the model saw" when older history no longer fits the budget', () => {
  let h: ChatHarness;
  beforeAll(async () => {
    h = await startChatHarness({ CONTEXT_TOKEN_BUDGET: '400' });
  });
  afterAll(() => h.close());

  it('shows exactly the trimmed context that was sent, starting at the oldest message that fit', async () => {
    const id = await h.newSession('technical_support');
    const long = (n: number) => `${n} ${'word '.repeat(100)}`;
    for (let n = 1; n <= 4; n++) {
      h.fake.script({ text: `answer ${n}` });
      await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: long(n) }).expect(201);
    }
    const history = await h.history(id);
    const last = history[history.length - 1];
    const sent = h.fake.chatRequests[3].body!.messages.map((m) => ({ role: m.role, content: m.content }));
    // Trimmed: fewer history messages than exist were sent.
    expect(sent.length - 1).toBeLessThan(history.length - 1);
    expect(last.context.messages).toBe(sent.length - 1);
    const seen = (await h.api().get(`/api/sessions/${id}/messages/${last.id}/context`).set(h.me.auth).expect(200)).body;
    expect(seen.messages.map((m: { role: string; content: string }) => ({ role: m.role, content: m.content }))).toEqual(sent);
    expect(seen.messages[1].id).toBe(last.context.first_message_id);
    expect(seen.exact).toBe(true);
  });
});
