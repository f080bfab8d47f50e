import { ChatHarness, eventually, startChatHarness } from './support/fake-openai-harness';

/** A title request is the non-streamed one (answers are always streamed upstream). */
const isTitleRequest = (body: { stream?: boolean } | undefined) => body?.stream !== true;

describe('session titles after the first answer (real Redis + fake model server)', () => {
  let h: ChatHarness;
  beforeAll(async () => {
    h = await startChatHarness({ TITLE_MODEL: undefined });
  });
  afterAll(() => h.close());
  beforeEach(() => h.fake.reset());

  /** The session once its name is no longer the default one. */
  const titled = (id: string) =>
    eventually(async () => {
      const session = await h.session(id);
      return session.title_source === 'default' ? undefined : session;
    }, 10_000);

  it('names a default-named session with the model\'s title, in a separate small request with the session\'s model', async () => {
    const id = await h.newSession();
    expect((await h.session(id)).title_source).toBe('default');
    h.fake.setDefault((body) => (isTitleRequest(body) ? { text: '"Packing for Lisbon."\n' } : { text: 'Take a light jacket.' }));
    const sent = await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'What should I pack for Lisbon in May?' }).expect(201);
    expect(sent.body.assistant_message).toMatchObject({ content: 'Take a light jacket.', status: 'complete' });
    const session = await titled(id);
    expect(session).toMatchObject({ display_name: 'Packing for Lisbon', title_source: 'auto' });
    const titleRequests = h.fake.chatRequests.filter((r) => isTitleRequest(r.body));
    expect(titleRequests).toHaveLength(1);
    expect(titleRequests[0].body).toMatchObject({ model: 'test-model', max_tokens: expect.any(Number) });
    expect(JSON.stringify(titleRequests[0].body!.messages)).toContain('What should I pack for Lisbon in May?');
    // Only the first answer names the session.
    await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'And shoes?' }).expect(201);
    expect(h.fake.chatRequests.filter((r) => isTitleRequest(r.body))).toHaveLength(1);
    expect((await h.session(id)).display_name).toBe('Packing for Lisbon');
  });

  it('falls back to the first words of the first message when the title model fails; the answer is unaffected', async () => {
    const id = await h.newSession();
    h.fake.setDefault((body) => (isTitleRequest(body) ? { status: 500 } : { text: 'Sure.' }));
    const sent = await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth)
      .send({ content: '  Explain\nthe difference between TCP and UDP for streaming video please' }).expect(201);
    expect(sent.body.assistant_message).toMatchObject({ content: 'Sure.', status: 'complete' });
    const session = await titled(id);
    expect(session).toMatchObject({ display_name: 'Explain the difference between TCP and…', title_source: 'auto' });
    expect(h.fake.chatRequests.filter((r) => isTitleRequest(r.body))).toHaveLength(1);
  });

  it('falls back too when the model answers with nothing usable', async () => {
    const id = await h.newSession();
    h.fake.setDefault((body) => (isTitleRequest(body) ? { text: '  \n ' } : { text: 'Hi!' }));
    await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'hello' }).expect(201);
    expect(await titled(id)).toMatchObject({ display_name: 'hello', title_source: 'auto' });
  });

  it('never names a session whose name was chosen at creation', async () => {
    const id = (await h.api().post('/api/sessions').set(h.me.auth).send({ display_name: 'My trip' }).expect(201)).body.session_id;
    expect((await h.session(id)).title_source).toBe('user');
    h.fake.setDefault((body) => (isTitleRequest(body) ? { text: 'Other title' } : { text: 'ok' }));
    await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'hi' }).expect(201);
    await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'again' }).expect(201);
    expect(h.fake.chatRequests.filter((r) => isTitleRequest(r.body))).toHaveLength(0);
    expect((await h.session(id)).display_name).toBe('My trip');
  });

  it('a rename while the title is being made wins, and stops automatic titles', async () => {
    const id = await h.newSession();
    let releaseTitle!: () => void;
    const titleAsked = new Promise<void>((resolve) => (releaseTitle = resolve));
    h.fake.setDefault((body) => {
      if (!isTitleRequest(body)) return { text: 'answer' };
      releaseTitle();
      return { text: 'Model title', headersDelayMs: 500 };
    });
    await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'first' }).expect(201);
    await titleAsked;
    const renamed = await h.api().patch(`/api/sessions/${id}`).set(h.me.auth).send({ display_name: 'Chosen' }).expect(200);
    expect(renamed.body).toMatchObject({ display_name: 'Chosen', title_source: 'user' });
    // The title request ends (and would apply) after the rename: wait for its connection to close.
    await h.fake.waitForClose(h.fake.chatRequests.find((r) => isTitleRequest(r.body))!, 10_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(await h.session(id)).toMatchObject({ display_name: 'Chosen', title_source: 'user' });
  });

  it('a session renamed before its first answer gets no title', async () => {
    const id = await h.newSession();
    await h.api().patch(`/api/sessions/${id}`).set(h.me.auth).send({ display_name: 'Named by me' }).expect(200);
    h.fake.setDefault((body) => (isTitleRequest(body) ? { text: 'Model title' } : { text: 'ok' }));
    await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'hi' }).expect(201);
    expect(h.fake.chatRequests.filter((r) => isTitleRequest(r.body))).toHaveLength(0);
    expect(await h.session(id)).toMatchObject({ display_name: 'Named by me', title_source: 'user' });
  });

  it('TITLE_MODEL picks the model of the title request', async () => {
    const other = await startChatHarness({ TITLE_MODEL: 'small-model' });
    try {
      const id = await other.newSession();
      other.fake.setDefault((body) => (isTitleRequest(body) ? { text: 'Small title' } : { text: 'ok' }));
      await other.api().post(`/api/sessions/${id}/messages`).set(other.me.auth).send({ content: 'hi' }).expect(201);
      await eventually(async () => ((await other.session(id)).title_source === 'auto' ? true : undefined), 10_000);
      expect(other.fake.chatRequests.find((r) => isTitleRequest(r.body))!.body).toMatchObject({ model: 'small-model' });
      expect((await other.session(id)).display_name).toBe('Small title');
    } finally {
      await other.close();
    }
  });
});
