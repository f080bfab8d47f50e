import { HttpException } from '@nestjs/common';
import type { LlmConfig } from '../config/config';
import { FakeOpenAI, FakeReply, startFakeOpenAI } from '../../test/support/fake-openai';
import { LlmService } from './llm.service';
import type { CompletionOutcome } from './llm.types';

const baseConfig: LlmConfig = {
  apiKey: 'test-key',
  baseUrl: undefined,
  model: 'test-model',
  contextTokenBudget: 8000,
  connectTimeoutMs: 2000,
  firstTokenTimeoutMs: 2000,
  idleTimeoutMs: 2000,
  totalTimeoutMs: 10_000,
};

describe('LlmService against the fake OpenAI-compatible server', () => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  const service = (over: Partial<LlmConfig> = {}) => new LlmService({ ...baseConfig, baseUrl: fake.url, ...over });
  const request = { model: 'test-model', messages: [{ role: 'system' as const, content: 'Be brief.' }, { role: 'user' as const, content: 'Hello' }] };

  async function run(reply: FakeReply | undefined, over: Partial<LlmConfig> = {}, signal = new AbortController().signal) {
    if (reply) fake.script(reply);
    const deltas: string[] = [];
    const outcome = await service(over).streamCompletion(request, signal, (t) => deltas.push(t));
    return { outcome, deltas };
  }

  function failure(outcome: CompletionOutcome): { status: number; message: string } {
    expect(outcome.kind).toBe('failed');
    const error = (outcome as { error: HttpException }).error;
    return { status: error.getStatus(), message: error.message };
  }

  it('streams an answer with usage and sends the request as given', async () => {
    const { outcome, deltas } = await run({ text: 'Hi there, friend.', finishReason: 'stop' });
    expect(outcome).toMatchObject({ kind: 'complete', content: 'Hi there, friend.', finish_reason: 'stop', model: 'test-model' });
    expect(deltas.join('')).toBe('Hi there, friend.');
    expect(deltas.length).toBeGreaterThan(1);
    const sent = fake.chatRequests[0];
    expect(sent.headers.authorization).toBe('Bearer test-key');
    expect(sent.body).toMatchObject({ model: 'test-model', stream: true, stream_options: { include_usage: true }, messages: request.messages });
    expect((outcome as { usage: unknown }).usage).toMatchObject({ completion_tokens: deltas.length });
  });

  it('default reply is labelled as the development model', async () => {
    const { outcome } = await run(undefined);
    expect(outcome.content).toContain('[development model]');
    expect(outcome.content).toContain('Hello');
  });

  it('sends a placeholder key to a local server without OPENAI_API_KEY', async () => {
    await run({ text: 'ok' }, { apiKey: undefined });
    expect(fake.chatRequests[0].headers.authorization).toBe('Bearer not-needed');
  });

  it.each([
    [401, 502, /rejected the API key \(check OPENAI_API_KEY\)/],
    [403, 502, /rejected the API key/],
    [404, 502, /does not know the model "test-model"/],
    [429, 503, /rate limiting/],
    [500, 502, /failed to answer \(HTTP 500\)/],
    [503, 502, /failed to answer \(HTTP 503\)/],
  ])('upstream %i becomes %i with an actionable message, without retrying', async (upstream, status, message) => {
    const { status: got, message: text } = failure((await run({ status: upstream })).outcome);
    expect(got).toBe(status);
    expect(text).toMatch(message);
    expect(fake.chatRequests).toHaveLength(1);
  });

  it('connection refused names the base URL', async () => {
    const dead = await startFakeOpenAI();
    const url = dead.url;
    await dead.close();
    const outcome = await new LlmService({ ...baseConfig, baseUrl: url }).streamCompletion(request, new AbortController().signal, () => undefined);
    const { status, message } = failure(outcome);
    expect(status).toBe(502);
    expect(message).toContain(`Cannot reach the model server at ${url}`);
    expect(message).toContain('ECONNREFUSED');
  });

  it('no response within the connect timeout is a 504 naming LLM_CONNECT_TIMEOUT_MS', async () => {
    const { status, message } = failure((await run({ fault: 'hang' }, { connectTimeoutMs: 200 })).outcome);
    expect(status).toBe(504);
    expect(message).toContain('LLM_CONNECT_TIMEOUT_MS');
  });

  it('no first token in time is a 504 naming LLM_FIRST_TOKEN_TIMEOUT_MS', async () => {
    const { status, message } = failure((await run({ firstChunkDelayMs: 1000 }, { firstTokenTimeoutMs: 150 })).outcome);
    expect(status).toBe(504);
    expect(message).toContain('LLM_FIRST_TOKEN_TIMEOUT_MS');
  });

  it('a stall mid-answer is a 504 naming LLM_IDLE_TIMEOUT_MS and keeps the partial text', async () => {
    const { outcome } = await run({ text: 'one two three four', fault: 'stall', faultAfterChunks: 2 }, { idleTimeoutMs: 150 });
    const { status, message } = failure(outcome);
    expect(status).toBe(504);
    expect(message).toContain('LLM_IDLE_TIMEOUT_MS');
    expect(outcome.content).toBe('one two ');
    await fake.waitForClose(fake.chatRequests[0]);
  });

  it('a long answer is cut at the total timeout', async () => {
    const { status, message } = failure((await run({ chunkCount: 50, text: 'x'.repeat(50), chunkDelayMs: 40 }, { totalTimeoutMs: 1000 })).outcome);
    expect(status).toBe(504);
    expect(message).toContain('LLM_TOTAL_TIMEOUT_MS');
  });

  it('a reset connection mid-answer is a 502', async () => {
    const { outcome } = await run({ text: 'one two three', fault: 'reset', faultAfterChunks: 1 });
    const { status, message } = failure(outcome);
    expect(status).toBe(502);
    expect(message).toMatch(/connection to the model server .* was lost/);
    expect(outcome.content).toBe('one ');
  });

  it('malformed server-sent events are a 502', async () => {
    const { status, message } = failure((await run({ text: 'one two three', fault: 'malformed' })).outcome);
    expect(status).toBe(502);
    expect(message).toContain('malformed stream');
  });

  it('an error object inside the stream is a 502 quoting the provider', async () => {
    const { status, message } = failure((await run({ text: 'one two three', fault: 'in-stream-error', errorMessage: 'overloaded' })).outcome);
    expect(status).toBe(502);
    expect(message).toContain('overloaded');
  });

  it('aborting closes the upstream request at once and keeps the partial text', async () => {
    fake.script({ text: 'a b c d e f g h i j', chunkDelayMs: 50 });
    const controller = new AbortController();
    const deltas: string[] = [];
    const pending = service().streamCompletion(request, controller.signal, (t) => {
      deltas.push(t);
      if (deltas.length === 3) controller.abort();
    });
    const outcome = await pending;
    const abortedAt = Date.now();
    expect(outcome).toMatchObject({ kind: 'aborted', content: 'a b c ' });
    const log = await fake.waitForClose(fake.chatRequests[0]);
    expect(log.abortedByClient).toBe(true);
    expect(log.closedAt! - abortedAt).toBeLessThan(100);
  });

  it('modelFor: persona settings win, OPENAI_MODEL is the fallback', () => {
    const llm = service();
    expect(llm.modelFor({ key: 'p', name: 'P', description: '', system_prompt: 's', model: 'own', temperature: 0.2, max_tokens: 5, top_p: 0.5 })).toEqual({
      model: 'own',
      temperature: 0.2,
      max_tokens: 5,
      top_p: 0.5,
    });
    expect(llm.modelFor({ key: 'p', name: 'P', description: '', system_prompt: 's' })).toEqual({ model: 'test-model' });
  });

  it('modelFor: no model or no way to reach it is a 503 naming the settings', () => {
    const persona = { key: 'p', name: 'P', description: '', system_prompt: 's' };
    const noModel = () => new LlmService({ ...baseConfig, model: undefined }).modelFor(persona);
    expect(noModel).toThrow(/OPENAI_MODEL.*OPENAI_API_KEY.*OPENAI_BASE_URL/);
    const noKey = () => new LlmService({ ...baseConfig, apiKey: undefined, baseUrl: undefined }).modelFor(persona);
    expect(noKey).toThrow(/OPENAI_API_KEY.*OPENAI_BASE_URL/);
    try {
      noModel();
    } catch (error) {
      expect((error as HttpException).getStatus()).toBe(503);
    }
  });
});
