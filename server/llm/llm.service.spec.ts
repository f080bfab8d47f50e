import { HttpException, Logger } from '@nestjs/common';
import type { LlmConfig } from '../config/config';
import { FakeOpenAI, FakeReply, startFakeOpenAI } from '../../test/support/fake-openai';
import { modelCallDetail } from './llm-errors';
import { LlmService } from './llm.service';
import type { CompletionOutcome } from './llm.types';

const baseConfig: LlmConfig = {
  apiKey: 'test-key',
  baseUrl: undefined,
  model: 'test-model',
  titleModel: undefined,
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
  let logged: { warn: jest.SpyInstance; error: jest.SpyInstance };
  beforeEach(() => {
    fake.reset();
    logged = {
      warn: jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined),
      error: jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined),
    };
  });
  afterEach(() => jest.restoreAllMocks());

  const service = (over: Partial<LlmConfig> = {}) => new LlmService({ ...baseConfig, baseUrl: fake.url, ...over });
  const request = { model: 'test-model', messages: [{ role: 'system' as const, content: 'Be brief.' }, { role: 'user' as const, content: 'Hello' }] };

  async function run(reply: FakeReply | undefined, over: Partial<LlmConfig> = {}, signal = new AbortController().signal) {
    if (reply) fake.script(reply);
    const deltas: string[] = [];
    const outcome = await service(over).streamCompletion(request, signal, (t) => deltas.push(t));
    return { outcome, deltas };
  }

  /** The status and the person's message (checked to hold no URL or setting name), and the log's detail. */
  function failure(outcome: CompletionOutcome): { status: number; message: string; detail: string } {
    expect(outcome.kind).toBe('failed');
    const error = (outcome as { error: HttpException }).error;
    expect(error.message).not.toMatch(/https?:|OPENAI_|LLM_/);
    return { status: error.getStatus(), message: error.message, detail: modelCallDetail(error)?.message ?? '' };
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
    [401, 502, /refused this server's credentials.*Tell the administrator/, /rejected the API key \(HTTP 401\); check OPENAI_API_KEY/],
    [403, 502, /refused this server's credentials/, /rejected the API key \(HTTP 403\)/],
    [404, 502, /model "test-model" is not available.*another persona/, /does not know the model "test-model".*OPENAI_MODEL/],
    [429, 503, /busy.*try again in a minute/, /rate limiting requests \(HTTP 429\)/],
    [500, 502, /failed to answer \(HTTP 500\); try again/, /failed to answer \(HTTP 500\)/],
    [503, 502, /failed to answer \(HTTP 503\); try again/, /failed to answer \(HTTP 503\)/],
  ])('upstream %i becomes %i with an actionable message, without retrying', async (upstream, status, message, logPattern) => {
    const { status: got, message: text, detail } = failure((await run({ status: upstream })).outcome);
    expect(got).toBe(status);
    expect(text).toMatch(message);
    expect(detail).toMatch(logPattern);
    expect(detail).toContain(fake.url);
    const logCalls = [...logged.warn.mock.calls, ...logged.error.mock.calls].flat();
    expect(logCalls).toContain(`Model call failed (${status}): ${detail}`);
    expect(fake.chatRequests).toHaveLength(1);
  });

  it('the provider\'s words reach the log, and the person only where they help', async () => {
    const key = failure((await run({ status: 401, errorMessage: 'Incorrect API key provided: te****ey' })).outcome);
    expect(key.message).not.toContain('te****ey');
    expect(key.detail).toContain('Incorrect API key provided: te****ey');
    const refused = failure((await run({ status: 400, errorMessage: 'maximum context length is 8192 tokens' })).outcome);
    expect(refused.message).toMatch(/refused the request \(HTTP 400\).*maximum context length is 8192 tokens/);
  });

  it('connection refused: the person is told to retry later, the log names the base URL', async () => {
    const dead = await startFakeOpenAI();
    const url = dead.url;
    await dead.close();
    const outcome = await new LlmService({ ...baseConfig, baseUrl: url }).streamCompletion(request, new AbortController().signal, () => undefined);
    const { status, message, detail } = failure(outcome);
    expect(status).toBe(502);
    expect(message).toBe('The model service is not reachable right now; try again in a minute. If it keeps happening, tell the administrator.');
    expect(detail).toContain(`Cannot reach the model server at ${url} (ECONNREFUSED); check OPENAI_BASE_URL`);
    expect(logged.error).toHaveBeenCalledWith(`Model call failed (502): ${detail}`);
  });

  it('no response within the connect timeout is a 504; the log names LLM_CONNECT_TIMEOUT_MS', async () => {
    const { status, message, detail } = failure((await run({ fault: 'hang' }, { connectTimeoutMs: 200 })).outcome);
    expect(status).toBe(504);
    expect(message).toMatch(/did not respond in time; try again/);
    expect(detail).toContain('within 200 ms (LLM_CONNECT_TIMEOUT_MS)');
  });

  it('no first token in time is a 504; the log names LLM_FIRST_TOKEN_TIMEOUT_MS', async () => {
    const { status, message, detail } = failure((await run({ firstChunkDelayMs: 1000 }, { firstTokenTimeoutMs: 150 })).outcome);
    expect(status).toBe(504);
    expect(message).toMatch(/did not start answering in time; try again/);
    expect(detail).toContain('within 150 ms (LLM_FIRST_TOKEN_TIMEOUT_MS)');
  });

  it('a stall mid-answer is a 504 (the log names LLM_IDLE_TIMEOUT_MS) and keeps the partial text', async () => {
    const { outcome } = await run({ text: 'one two three four', fault: 'stall', faultAfterChunks: 2 }, { idleTimeoutMs: 150 });
    const { status, message, detail } = failure(outcome);
    expect(status).toBe(504);
    expect(message).toMatch(/stopped sending in the middle of the answer; try again/);
    expect(detail).toContain('150 ms in the middle of the answer (LLM_IDLE_TIMEOUT_MS)');
    expect(outcome.content).toBe('one two ');
    await fake.waitForClose(fake.chatRequests[0]);
  });

  it('a long answer is cut at the total timeout', async () => {
    const { status, message, detail } = failure((await run({ chunkCount: 50, text: 'x'.repeat(50), chunkDelayMs: 40 }, { totalTimeoutMs: 1000 })).outcome);
    expect(status).toBe(504);
    expect(message).toMatch(/took too long and was cut off; try again/);
    expect(detail).toContain('longer than 1000 ms (LLM_TOTAL_TIMEOUT_MS)');
  });

  it('a reset connection mid-answer is a 502', async () => {
    const { outcome } = await run({ text: 'one two three', fault: 'reset', faultAfterChunks: 1 });
    const { status, message } = failure(outcome);
    expect(status).toBe(502);
    expect(message).toMatch(/connection to the model service was lost in the middle of the answer; try again/);
    expect(outcome.content).toBe('one ');
  });

  it('malformed server-sent events are a 502', async () => {
    const { status, message, detail } = failure((await run({ text: 'one two three', fault: 'malformed' })).outcome);
    expect(status).toBe(502);
    expect(message).toMatch(/cannot read\. Tell the administrator/);
    expect(detail).toMatch(/malformed stream .*check OPENAI_BASE_URL/);
  });

  it('an error object inside the stream is a 502 quoting the provider', async () => {
    const { status, message } = failure((await run({ text: 'one two three', fault: 'in-stream-error', errorMessage: 'overloaded' })).outcome);
    expect(status).toBe(502);
    expect(message).toContain('overloaded');
  });

  it('aborting closes the upstream request and keeps the partial text', async () => {
    fake.script({ text: 'a b c d e f g h i j', chunkDelayMs: 50 });
    const controller = new AbortController();
    const deltas: string[] = [];
    const pending = service().streamCompletion(request, controller.signal, (t) => {
      deltas.push(t);
      if (deltas.length === 3) controller.abort();
    });
    const outcome = await pending;
    expect(outcome).toMatchObject({ kind: 'aborted', content: 'a b c ' });
    const log = await fake.waitForClose(fake.chatRequests[0]);
    expect(log.abortedByClient).toBe(true);
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

  it("modelFor: a session's overrides win over the persona's values", () => {
    const persona = { key: 'p', name: 'P', description: '', system_prompt: 's', temperature: 0.2, max_tokens: 5 };
    expect(service().modelFor(persona, { model: 'other', temperature: 0.9, top_p: 0.4 })).toEqual({
      model: 'other',
      temperature: 0.9,
      max_tokens: 5,
      top_p: 0.4,
    });
  });

  it('modelFor: no model or no way to reach it is a 503 telling the person to ask the administrator; the log names the settings', () => {
    const persona = { key: 'p', name: 'P', description: '', system_prompt: 's' };
    const noModel = () => new LlmService({ ...baseConfig, model: undefined }).modelFor(persona);
    expect(noModel).toThrow('Chat is not set up on this server yet. Tell the administrator; nothing was sent or stored.');
    const noKey = () => new LlmService({ ...baseConfig, apiKey: undefined, baseUrl: undefined }).modelFor(persona);
    expect(noKey).toThrow(/^Chat is not set up on this server yet\./);
    expect(logged.warn).toHaveBeenCalledWith(expect.stringMatching(/no model is set\. Set OPENAI_MODEL.*OPENAI_API_KEY.*OPENAI_BASE_URL/));
    expect(logged.warn).toHaveBeenCalledWith(expect.stringMatching(/model "test-model" is set but there is no way to reach it\. Set OPENAI_API_KEY.*OPENAI_BASE_URL/));
    try {
      noModel();
    } catch (error) {
      expect((error as HttpException).getStatus()).toBe(503);
    }
  });
});
