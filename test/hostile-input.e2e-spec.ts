import { ChatHarness, startChatHarness } from './support/fake-openai-harness';
import { storeSnapshot } from './support/store-snapshot';

/** Bodies built to break the server: too deep, prototype keys, and the biggest honest message. */
describe('hostile request bodies', () => {
  let h: ChatHarness;
  beforeAll(async () => {
    // A budget large enough that the longest message fits the model's context.
    h = await startChatHarness({ CONTEXT_TOKEN_BUDGET: '2000000' });
  });
  afterAll(() => h.close());
  beforeEach(() => h.fake.reset());

  const postRaw = (path: string, json: string) =>
    h.api().post(path).set(h.me.auth).set('Content-Type', 'application/json').send(json);
  /** `{"metadata": {"a": {"a": ... 1}}}` with `depth` levels of objects in all. */
  const nested = (depth: number) => `${'{"metadata":'}${'{"a":'.repeat(depth - 2)}{"a":1}${'}'.repeat(depth - 1)}`;

  it('a body nested 3,000 levels deep answers 400 saying so, and stores nothing', async () => {
    const before = await storeSnapshot(h.t.prefix);
    const res = await postRaw('/api/sessions', nested(3000)).expect(400).expect('Content-Type', /json/);
    expect(res.body).toMatchObject({
      statusCode: 400,
      error: 'Bad Request',
      message: 'Request body is nested deeper than 32 levels of objects and arrays.',
      request_id: expect.any(String),
    });
    const arrays = await postRaw('/api/sessions', `{"metadata":{"a":${'['.repeat(3000)}${']'.repeat(3000)}}}`).expect(400);
    expect(arrays.body.message).toMatch(/nested deeper than 32 levels/);
    expect(await storeSnapshot(h.t.prefix)).toEqual(before);
  });

  it('32 levels pass the parser; 33 do not; brackets inside strings do not count', async () => {
    await postRaw('/api/sessions', nested(32)).expect(201);
    expect((await postRaw('/api/sessions', nested(33)).expect(400)).body.message).toMatch(/nested deeper than 32 levels/);
    const res = await postRaw('/api/sessions', JSON.stringify({ display_name: '[{'.repeat(50), metadata: { q: '\\"[[[[' } })).expect(201);
    expect(res.body.display_name).toBe('[{'.repeat(50));
  });

  describe.each(['__proto__', 'constructor', 'prototype'])('the key %s', (key) => {
    it.each([
      ['at the top level', 'post', () => '/api/sessions', `{"display_name":"x","${key}":{"admin":true}}`, key],
      ['inside metadata', 'post', () => '/api/sessions', `{"metadata":{"topic":"t","${key}":{"polluted":1}}}`, `metadata.${key}`],
      ['deep inside metadata', 'post', () => '/api/sessions', `{"metadata":{"list":[1,{"${key}":1}]}}`, `metadata.list[1].${key}`],
      ['in a message', 'post', (id: string) => `/api/sessions/${id}/messages`, `{"content":"hi","${key}":{}}`, key],
      ['in an update', 'patch', (id: string) => `/api/sessions/${id}`, `{"metadata":{"${key}":"x"}}`, `metadata.${key}`],
    ] as const)('%s answers 400 like an unknown property and stores nothing', async (_label, method, path, json, where) => {
      const id = await h.newSession();
      const before = await storeSnapshot(h.t.prefix);
      const res = await h.api()[method](path(id)).set(h.me.auth).set('Content-Type', 'application/json').send(json).expect(400);
      expect(res.body).toMatchObject({
        statusCode: 400,
        message: `property ${where} should not exist`,
        details: [`property ${where} should not exist`],
      });
      expect(await storeSnapshot(h.t.prefix)).toEqual(before);
      expect(h.fake.chatRequests).toHaveLength(0);
      expect((await h.session(id)).metadata ?? {}).toEqual({});
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });

  it('a key that only contains a prototype word is an ordinary key', async () => {
    const res = await postRaw('/api/sessions', '{"metadata":{"my_constructor":"Ada","proto":1}}').expect(201);
    expect(res.body.metadata).toEqual({ my_constructor: 'Ada', proto: 1 });
  });

  const longest = 32_000;
  /** JSON with every character of `content` escaped as \uXXXX, as some clients send it. */
  const escapedBody = (content: string) =>
    `{"content":"${Array.from({ length: content.length }, (_, i) => `\\u${content.charCodeAt(i).toString(16).padStart(4, '0')}`).join('')}"}`;

  // One unbroken run of a symbol ('€') is the worst case for byte-pair counting; digits and the
  // 4-byte form cover the other shapes.
  const euro = '€'; // 3 bytes in UTF-8, one long run for the tokenizer
  const threeBytes = '३'; // DEVANAGARI DIGIT THREE, 3 bytes in UTF-8
  const fourBytes = '𝟑'; // MATHEMATICAL BOLD DIGIT THREE, 4 bytes in UTF-8, a surrogate pair in JSON
  it.each([
    ['3-byte UTF-8 (one run of €)', euro.repeat(longest), false],
    ['3-byte UTF-8', threeBytes.repeat(longest), false],
    ['4-byte UTF-8', fourBytes.repeat(longest), false],
    ['3-byte characters escaped as \\uXXXX', threeBytes.repeat(longest), true],
    ['4-byte characters escaped as surrogate pairs', fourBytes.repeat(longest), true],
  ])('the longest message (32,000 characters of %s) is accepted and stored whole', async (_label, content, escaped) => {
    const id = await h.newSession();
    h.fake.script({ text: 'Received.' });
    const json = escaped ? escapedBody(content) : JSON.stringify({ content });
    const res = await postRaw(`/api/sessions/${id}/messages`, json).expect(201);
    expect(res.body.user_message.content).toBe(content);
    expect(res.body.assistant_message.content).toBe('Received.');
    const stored = await h.history(id);
    expect(stored[0].content).toBe(content);
    expect(h.fake.chatRequests[0].body!.messages.at(-1)).toEqual({ role: 'user', content });
  });

  it('one character more than the longest message is refused by validation, not by the size limit', async () => {
    const id = await h.newSession();
    const res = await postRaw(`/api/sessions/${id}/messages`, escapedBody(fourBytes.repeat(longest + 1))).expect(400);
    expect(res.body.message).toMatch(/content must be at most 32000 characters/);
  });

  it('a body in another charset than UTF-8 answers 415', async () => {
    const res = await h
      .api()
      .post('/api/sessions')
      .set(h.me.auth)
      .set('Content-Type', 'application/json; charset=utf-16le')
      .send(Buffer.from('{"display_name":"x"}', 'utf16le'))
      .expect(415);
    expect(res.body.message).toMatch(/must be JSON in UTF-8/);
  });
});
