import OpenAI from 'openai';
import { FakeOpenAI, startFakeOpenAI } from './support/fake-openai';

/** The fake model server speaks the OpenAI wire format: the official SDK must not tell it apart. */
describe('fake OpenAI-compatible server', () => {
  let fake: FakeOpenAI;
  let sdk: OpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    sdk = new OpenAI({ apiKey: 'k', baseURL: fake.url, maxRetries: 0, logLevel: 'off' });
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it('lists a model', async () => {
    const models = await sdk.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['nono-dev-model']);
  });

  it('answers without streaming, labelled as the development model', async () => {
    const res = await sdk.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'ping' }] });
    expect(res.choices[0].message.content).toMatch(/^\[development model\] You said: "ping"/);
    expect(res.choices[0].finish_reason).toBe('stop');
    expect(res.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('streams scripted replies in order, then a reply chosen per request', async () => {
    fake.script({ text: 'first' }, (body) => ({ text: `echo ${body.messages.length}` }));
    const read = async () => {
      const stream = await sdk.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      return text;
    };
    expect(await read()).toBe('first');
    expect(await read()).toBe('echo 1');
    expect(fake.chatRequests).toHaveLength(2);
    expect(fake.chatRequests[0].abortedByClient).toBe(false);
  });

  it('sends usage in a final chunk only when asked', async () => {
    const stream = await sdk.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[chunks.length - 1]).toMatchObject({ choices: [], usage: { completion_tokens: expect.any(Number) } });
  });

  it('answers faults with OpenAI-style error bodies', async () => {
    fake.script({ status: 429 });
    await expect(sdk.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 429,
      error: { type: 'rate_limit_exceeded', message: expect.stringContaining('Rate limit') },
    });
  });

  it('paces chunks and logs when an aborted request was closed', async () => {
    fake.script({ text: 'a b c d e f', chunkDelayMs: 40 });
    const controller = new AbortController();
    const started = Date.now();
    const stream = await sdk.chat.completions.create(
      { model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true },
      { signal: controller.signal },
    );
    let pieces = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content && ++pieces === 3) controller.abort();
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
    const log = await fake.waitForClose(fake.chatRequests[0]);
    expect(log.abortedByClient).toBe(true);
  });
});
