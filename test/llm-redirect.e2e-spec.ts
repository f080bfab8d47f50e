import { FakeOpenAI, startFakeOpenAI } from './support/fake-openai';
import { ChatHarness, startChatHarness } from './support/fake-openai-harness';

/**
 * The API key must never follow a redirect to another origin. undici's redirect interceptor (which
 * the model calls go through) drops Authorization when a redirect changes origin (scheme, host or
 * port), as the Fetch standard does; these tests hold the app to that with a model server that
 * redirects to a second one.
 */
describe('model server redirects (real Redis + two fake model servers)', () => {
  let h: ChatHarness;
  let other: FakeOpenAI;
  beforeAll(async () => {
    h = await startChatHarness({ OPENAI_API_KEY: 'sk-secret-key-for-redirect-test' });
    other = await startFakeOpenAI();
  });
  afterAll(async () => {
    await other.close();
    await h.close();
  });
  beforeEach(() => {
    h.fake.reset();
    other.reset();
  });

  const seenKey = (log: { headers: Record<string, unknown> }) => JSON.stringify(log.headers).includes('sk-secret-key-for-redirect-test');

  it.each([307, 308])('%i to another origin: the request goes on without the API key', async (status) => {
    h.fake.script({ redirect: { status, location: `${other.url}/chat/completions` } });
    other.script({ text: 'answered elsewhere' });
    const id = await h.newSession();
    const res = await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'hello?' });
    expect(h.fake.chatRequests).toHaveLength(1);
    expect(seenKey(h.fake.chatRequests[0])).toBe(true);
    expect(other.requests).toHaveLength(1);
    expect(other.requests[0].body?.messages).toBeDefined(); // 307/308 resend the body: it did reach the second server
    expect(other.requests[0].headers.authorization).toBeUndefined();
    expect(seenKey(other.requests[0])).toBe(false);
    expect(res.status).toBe(201);
  });

  it.each([301, 302, 303])('%i to another origin: the follow-up GET carries no API key', async (status) => {
    h.fake.script({ redirect: { status, location: `${other.url}/chat/completions` } });
    const id = await h.newSession();
    const res = await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'hello?' });
    expect(other.requests).toHaveLength(1);
    expect(other.requests[0].method).toBe('GET');
    expect(other.requests[0].headers.authorization).toBeUndefined();
    expect(seenKey(other.requests[0])).toBe(false);
    expect(res.status).toBe(502); // the second server has no GET chat endpoint
  });

  it('a redirect to the same origin keeps the key (the check above can see it)', async () => {
    h.fake.script({ redirect: { status: 307, location: `${h.fake.url}/moved/chat/completions` } }, { text: 'same place' });
    const id = await h.newSession();
    const res = await h.api().post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content: 'hello?' });
    expect(res.status).toBe(201);
    expect(h.fake.chatRequests).toHaveLength(2);
    expect(h.fake.chatRequests[1].headers.authorization).toBe('Bearer sk-secret-key-for-redirect-test');
  });
});
