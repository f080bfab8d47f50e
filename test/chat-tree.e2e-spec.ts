import { sseRequest } from '../bench/common/sse-client';
import { ChatHarness, eventsOf, startChatHarness } from './support/fake-openai-harness';
import { newGuest } from './support/guest';

type Message = Record<string, any>;

/** The conversation tree over HTTP: edit, versions, regenerate anywhere, retry of an old failure, fork, feedback, delete. */
describe.each([
  ['real Redis', {}],
  ['embedded store', { REDIS_URL: undefined }],
] as Array<[string, Record<string, string | undefined>]>)('conversation tree (%s + fake model server)', (_name, env) => {
  let h: ChatHarness;
  beforeAll(async () => {
    h = await startChatHarness(env);
  });
  afterAll(() => h.close());
  beforeEach(() => h.fake.reset());

  const post = (path: string, body: unknown) => h.api().post(path).set(h.me.auth).send(body as object);
  const send = async (id: string, content: string, extra: Record<string, unknown> = {}, answer = `answer to ${content}`) => {
    h.fake.script({ text: answer });
    return (await post(`/api/sessions/${id}/messages`, { content, ...extra }).expect(201)).body as { user_message: Message; assistant_message: Message };
  };
  /** The history as "content n/m" lines. */
  const shown = async (id: string) => (await h.history(id)).map((m) => `${m.content} ${m.sibling_index + 1}/${m.sibling_count}`);
  /** What the model was sent in the last call, without the persona prompt. */
  const lastContext = () => {
    const body = h.fake.chatRequests[h.fake.chatRequests.length - 1].body as { messages: Array<{ role: string; content: string }> };
    return body.messages.filter((m) => m.role !== 'system').map((m) => m.content);
  };

  it('edit → a branch beside the edited message; both branches readable; switching back and forth', async () => {
    const id = await h.newSession();
    const first = await send(id, 'q1');
    expect(first.user_message).toMatchObject({ parent_id: null, sibling_index: 0, sibling_count: 1 });
    expect(first.assistant_message).toMatchObject({ parent_id: first.user_message.id, sibling_index: 0, sibling_count: 1 });
    const q2 = await send(id, 'q2');
    expect(q2.user_message.parent_id).toBe(first.assistant_message.id);
    // Edit q2: the new text goes beside it, below the same answer; the model sees the new path only.
    const edited = await send(id, 'q2 edited', { parent_id: first.assistant_message.id });
    expect(edited.user_message).toMatchObject({ parent_id: first.assistant_message.id, sibling_index: 1, sibling_count: 2 });
    expect(lastContext()).toEqual(['q1', 'answer to q1', 'q2 edited']);
    expect(await shown(id)).toEqual(['q1 1/1', 'answer to q1 1/1', 'q2 edited 2/2', 'answer to q2 edited 1/1']);
    expect((await h.session(id)).message_count).toBe(4);
    // Back to the first version: its own answer is there.
    const back = await post(`/api/sessions/${id}/path`, { message_id: q2.user_message.id }).expect(200);
    expect(back.body).toMatchObject({ session_id: id, message_count: 4 });
    expect(await shown(id)).toEqual(['q1 1/1', 'answer to q1 1/1', 'q2 1/2', 'answer to q2 1/1']);
    // Continuing on this branch extends it; then forth again to the edit.
    await send(id, 'q3');
    expect(lastContext()).toEqual(['q1', 'answer to q1', 'q2', 'answer to q2', 'q3']);
    await post(`/api/sessions/${id}/path`, { message_id: edited.user_message.id }).expect(200);
    expect(await shown(id)).toEqual(['q1 1/1', 'answer to q1 1/1', 'q2 edited 2/2', 'answer to q2 edited 1/1']);
    // Switching to a message higher up follows the newest version below it.
    await post(`/api/sessions/${id}/path`, { message_id: first.user_message.id }).expect(200);
    expect(await shown(id)).toEqual(['q1 1/1', 'answer to q1 1/1', 'q2 edited 2/2', 'answer to q2 edited 1/1']);
    await post(`/api/sessions/${id}/path`, { message_id: q2.assistant_message.id }).expect(200);
    expect(await shown(id)).toEqual(['q1 1/1', 'answer to q1 1/1', 'q2 1/2', 'answer to q2 1/1', 'q3 1/1', 'answer to q3 1/1']);
    // A new first message (parent_id null) over SSE.
    h.fake.script({ text: 'fresh answer' });
    const sse = await sseRequest({ url: `${h.t.url}/api/sessions/${id}/messages`, headers: h.me.auth, body: { content: 'start over', parent_id: null }, timeoutMs: 20_000 });
    expect(sse.status).toBe(201);
    expect(eventsOf(sse)[0]).toMatchObject({ event: 'user_message', data: { parent_id: null, sibling_index: 1, sibling_count: 2 } });
    expect(await shown(id)).toEqual(['start over 2/2', 'fresh answer 1/1']);
    // The versions of a message: its siblings' ids, oldest first, what the arrows switch to.
    const versions = await h.api().get(`/api/sessions/${id}/messages/${edited.user_message.id}/versions`).set(h.me.auth).expect(200);
    expect(versions.body).toEqual({ ids: [q2.user_message.id, edited.user_message.id] });
    const firsts = await h.api().get(`/api/sessions/${id}/messages/${first.user_message.id}/versions`).set(h.me.auth).expect(200);
    expect(firsts.body.ids).toHaveLength(2);
    expect(firsts.body.ids[0]).toBe(first.user_message.id);
    await h.api().get(`/api/sessions/${id}/messages/m_nosuchmessage/versions`).set(h.me.auth).expect(404);
  });

  it('regenerate a middle answer: a new version beside it, the old one stays', async () => {
    const id = await h.newSession();
    const one = await send(id, 'q1', {}, 'first answer');
    await send(id, 'q2');
    h.fake.script({ text: 'second try' });
    const res = await post(`/api/sessions/${id}/regenerate`, { message_id: one.assistant_message.id }).expect(201);
    expect(res.body.user_message.id).toBe(one.user_message.id);
    expect(res.body.assistant_message).toMatchObject({ content: 'second try', parent_id: one.user_message.id, sibling_index: 1, sibling_count: 2 });
    expect(lastContext()).toEqual(['q1']);
    expect(await shown(id)).toEqual(['q1 1/1', 'second try 2/2']);
    await post(`/api/sessions/${id}/path`, { message_id: one.assistant_message.id }).expect(200);
    expect(await shown(id)).toEqual(['q1 1/1', 'first answer 1/2', 'q2 1/1', 'answer to q2 1/1']);
    // Default: the last answer shown.
    h.fake.script({ text: 'q2 again' });
    const last = await post(`/api/sessions/${id}/regenerate`, {}).expect(201);
    expect(last.body.assistant_message).toMatchObject({ content: 'q2 again', sibling_index: 1, sibling_count: 2 });
    expect(await shown(id)).toEqual(['q1 1/1', 'first answer 1/2', 'q2 1/1', 'q2 again 2/2']);
  });

  it('retry of an old failed answer regenerates that answer: it changes, nothing else does', async () => {
    const id = await h.newSession();
    h.fake.script({ status: 500 });
    const failed = await post(`/api/sessions/${id}/messages`, { content: 'A' }).expect(502);
    const failedId = (await h.history(id))[1].id as string;
    expect(failed.body.details[0]).toContain(failedId);
    const b = await send(id, 'B', {}, 'answer B');
    // Retry under A.
    h.fake.script({ text: 'answer A' });
    const retry = await post(`/api/sessions/${id}/regenerate`, { message_id: failedId }).expect(201);
    expect(retry.body.assistant_message).toMatchObject({ content: 'answer A', status: 'complete', sibling_index: 1, sibling_count: 2 });
    expect(lastContext()).toEqual(['A']);
    expect(await shown(id)).toEqual(['A 1/1', 'answer A 2/2']);
    // B and its answer are untouched, on the branch of the failed answer.
    await post(`/api/sessions/${id}/path`, { message_id: b.assistant_message.id }).expect(200);
    const old = await h.history(id);
    expect(old.map((m) => [m.content, m.status ?? null])).toEqual([['A', null], ['', 'failed'], ['B', null], ['answer B', 'complete']]);
    expect(old[3]).toEqual(b.assistant_message);
  });

  it('fork: a new session with the path up to a message, same persona, "(fork)" name; the original unchanged', async () => {
    const id = await h.newSession('technical_support');
    await h.api().patch(`/api/sessions/${id}`).set(h.me.auth).send({ display_name: 'Router', metadata: { k: 1 } }).expect(200);
    const one = await send(id, 'q1');
    await send(id, 'q2');
    const res = await post(`/api/sessions/${id}/fork`, { message_id: one.assistant_message.id }).expect(201);
    expect(res.body).toMatchObject({ display_name: 'Router (fork)', persona: 'technical_support', metadata: { k: 1 }, message_count: 2 });
    expect(res.body.session_id).not.toBe(id);
    expect(await shown(res.body.session_id)).toEqual(['q1 1/1', 'answer to q1 1/1']);
    await send(res.body.session_id, 'q2 in the fork');
    expect(lastContext()).toEqual(['q1', 'answer to q1', 'q2 in the fork']);
    expect((await h.history(id)).map((m) => m.content)).toEqual(['q1', 'answer to q1', 'q2', 'answer to q2']);
  });

  it('feedback: set, replaced, returned with the message and in the history', async () => {
    const id = await h.newSession();
    const one = await send(id, 'q1');
    const url = `/api/sessions/${id}/messages/${one.assistant_message.id}/feedback`;
    const up = await h.api().put(url).set(h.me.auth).send({ rating: 'up', comment: 'spot on' }).expect(200);
    expect(up.body).toMatchObject({ id: one.assistant_message.id, feedback: { rating: 'up', comment: 'spot on' } });
    expect(Date.parse(up.body.feedback.updated_at)).not.toBeNaN();
    await h.api().put(url).set(h.me.auth).send({ rating: 'down' }).expect(200);
    const [, answer] = await h.history(id);
    expect(answer.feedback).toEqual({ rating: 'down', updated_at: expect.any(String) });
    for (const body of [{}, { rating: 'meh' }, { rating: 'up', comment: 5 }, { rating: 'up', comment: 'x'.repeat(2001) }, { rating: 'up', extra: 1 }]) {
      const bad = await h.api().put(url).set(h.me.auth).send(body).expect(400);
      expect(bad.body.message).toMatch(/rating|comment|extra/);
    }
    await h.api().put(`/api/sessions/${id}/messages/m_unknown/feedback`).set(h.me.auth).send({ rating: 'up' }).expect(404);
  });

  it('feedback removed: 204, gone from the history, again 204; unknown session or message → 404', async () => {
    const id = await h.newSession();
    const one = await send(id, 'q1');
    const url = `/api/sessions/${id}/messages/${one.assistant_message.id}/feedback`;
    await h.api().put(url).set(h.me.auth).send({ rating: 'up', comment: 'good' }).expect(200);
    await h.api().delete(url).set(h.me.auth).expect(204);
    const [question, answer] = await h.history(id);
    expect(answer.id).toBe(one.assistant_message.id);
    expect(answer).not.toHaveProperty('feedback');
    expect(question).not.toHaveProperty('feedback');
    // Nothing to remove is not an error; rating again works.
    await h.api().delete(url).set(h.me.auth).expect(204);
    await h.api().put(url).set(h.me.auth).send({ rating: 'down' }).expect(200);
    expect((await h.history(id))[1].feedback).toMatchObject({ rating: 'down' });
    await h.api().delete(`/api/sessions/${id}/messages/m_unknown/feedback`).set(h.me.auth).expect(404);
    await h.api().delete(`/api/sessions/s_nosuchsession/messages/${one.assistant_message.id}/feedback`).set(h.me.auth).expect(404);
    expect((await h.history(id))[1].feedback).toMatchObject({ rating: 'down' });
  });

  it('delete a message: its subtree goes, the path falls back to the newest remaining version', async () => {
    const id = await h.newSession();
    const one = await send(id, 'q1');
    const q2 = await send(id, 'q2');
    await send(id, 'q3');
    const edited = await send(id, 'q2b', { parent_id: one.assistant_message.id });
    await post(`/api/sessions/${id}/path`, { message_id: q2.user_message.id }).expect(200);
    expect(await shown(id)).toEqual(['q1 1/1', 'answer to q1 1/1', 'q2 1/2', 'answer to q2 1/1', 'q3 1/1', 'answer to q3 1/1']);
    const res = await h.api().delete(`/api/sessions/${id}/messages/${q2.user_message.id}`).set(h.me.auth).expect(200);
    expect(res.body).toMatchObject({ session_id: id, message_count: 4 });
    expect(await shown(id)).toEqual(['q1 1/1', 'answer to q1 1/1', 'q2b 1/1', 'answer to q2b 1/1']);
    await post(`/api/sessions/${id}/path`, { message_id: q2.assistant_message.id }).expect(404);
    // Off the path: the version shown loses a sibling.
    await send(id, 'q2c', { parent_id: one.assistant_message.id });
    await h.api().delete(`/api/sessions/${id}/messages/${edited.user_message.id}`).set(h.me.auth).expect(200);
    expect(await shown(id)).toEqual(['q1 1/1', 'answer to q1 1/1', 'q2c 1/1', 'answer to q2c 1/1']);
    await h.api().delete(`/api/sessions/${id}/messages/${one.user_message.id}`).set(h.me.auth).expect(200);
    expect(await h.history(id)).toEqual([]);
    expect((await h.session(id)).message_count).toBe(0);
    await send(id, 'again');
    expect(await shown(id)).toEqual(['again 1/1', 'answer to again 1/1']);
  });

  it('bad input: unknown message → 404 naming it; wrong role or shape → 400; nothing changes', async () => {
    const id = await h.newSession();
    const one = await send(id, 'q1');
    const before = await h.history(id);
    const unknown = await post(`/api/sessions/${id}/path`, { message_id: 'm_nosuchmessage' }).expect(404);
    expect(unknown.body.message).toMatch(/No message m_nosuchmessage in this session/);
    await post(`/api/sessions/${id}/fork`, { message_id: 'm_nosuchmessage' }).expect(404);
    await post(`/api/sessions/${id}/regenerate`, { message_id: 'm_nosuchmessage' }).expect(404);
    expect((await post(`/api/sessions/${id}/messages`, { content: 'x', parent_id: 'm_nosuchmessage' }).expect(404)).body.message).toMatch(/No message m_nosuchmessage/);
    await h.api().delete(`/api/sessions/${id}/messages/m_nosuchmessage`).set(h.me.auth).expect(404);
    // A user message cannot follow a user message; a question is not an answer to redo.
    const wrong = await post(`/api/sessions/${id}/messages`, { content: 'x', parent_id: one.user_message.id }).expect(400);
    expect(wrong.body.message).toMatch(/parent_id must be the id of an answer/);
    const notAnswer = await post(`/api/sessions/${id}/regenerate`, { message_id: one.user_message.id }).expect(400);
    expect(notAnswer.body.message).toMatch(/message_id must be the id of an answer/);
    for (const body of [{}, { message_id: 5 }, { message_id: '' }, { message_id: 'x'.repeat(201) }]) {
      const bad = await post(`/api/sessions/${id}/path`, body).expect(400);
      expect(bad.body.message).toMatch(/message_id/);
      await post(`/api/sessions/${id}/fork`, body).expect(400);
    }
    await post(`/api/sessions/${id}/messages`, { content: 'x', parent_id: 7 }).expect(400);
    await post(`/api/sessions/${id}/regenerate`, { message_id: 7 }).expect(400);
    expect(await h.history(id)).toEqual(before);
    expect(h.fake.chatRequests).toHaveLength(1);
  });

  it("another identity's token on every new route → 404, and nothing changes", async () => {
    const id = await h.newSession();
    const one = await send(id, 'q1');
    const other = await newGuest(h.t.url);
    const m = one.assistant_message.id;
    await h.api().post(`/api/sessions/${id}/path`).set(other.auth).send({ message_id: m }).expect(404);
    await h.api().post(`/api/sessions/${id}/fork`).set(other.auth).send({ message_id: m }).expect(404);
    await h.api().put(`/api/sessions/${id}/messages/${m}/feedback`).set(other.auth).send({ rating: 'up' }).expect(404);
    await h.api().put(`/api/sessions/${id}/messages/${m}/feedback`).set(h.me.auth).send({ rating: 'up' }).expect(200);
    await h.api().delete(`/api/sessions/${id}/messages/${m}/feedback`).set(other.auth).expect(404);
    expect((await h.history(id))[1].feedback).toMatchObject({ rating: 'up' });
    await h.api().delete(`/api/sessions/${id}/messages/${m}/feedback`).set(h.me.auth).expect(204);
    await h.api().delete(`/api/sessions/${id}/messages/${m}`).set(other.auth).expect(404);
    await h.api().get(`/api/sessions/${id}/messages/${m}/versions`).set(other.auth).expect(404);
    await h.api().post(`/api/sessions/${id}/regenerate`).set(other.auth).send({ message_id: m }).expect(404);
    await h.api().post(`/api/sessions/${id}/messages`).set(other.auth).send({ content: 'x', parent_id: m }).expect(404);
    expect((await h.history(id)).map((x) => x.id)).toEqual([one.user_message.id, m]);
    expect((await h.history(id))[1].feedback).toBeUndefined();
    expect((await h.api().get('/api/sessions').set(other.auth).expect(200)).body.sessions).toEqual([]);
  });
});
