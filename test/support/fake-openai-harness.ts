import request from 'supertest';
import { SseEvent, SseResponse, sseRequest } from '../../bench/common/sse-client';
import { startTestApp, TestApp } from './app';
import { FakeOpenAI, startFakeOpenAI } from './fake-openai';
import { Guest, newGuest } from './guest';

/**
 * The app wired to a fresh fake OpenAI-compatible server, with one guest identity: what every chat
 * test starts from. `env` overrides settings (timeouts, budget, …) for this app.
 */
export interface ChatHarness {
  fake: FakeOpenAI;
  t: TestApp;
  me: Guest;
  api(): request.Agent;
  newSession(persona?: string, who?: Guest): Promise<string>;
  /** The whole stored history, oldest first. */
  history(sessionId: string, who?: Guest): Promise<Array<Record<string, any>>>;
  session(sessionId: string, who?: Guest): Promise<Record<string, any>>;
  sendSse(sessionId: string, content: string, options?: SseOptions): Promise<SseResponse>;
  regenerateSse(sessionId: string, options?: SseOptions): Promise<SseResponse>;
  close(): Promise<void>;
}

export interface SseOptions {
  who?: Guest;
  onEvent?: (event: SseEvent, abort: () => void) => void;
}

export const TEST_MODEL_ENV = { OPENAI_MODEL: 'test-model', OPENAI_API_KEY: 'test-key' };

export async function startChatHarness(env: Record<string, string | undefined> = {}): Promise<ChatHarness> {
  const fake = await startFakeOpenAI();
  const t = await startTestApp({ OPENAI_BASE_URL: fake.url, ...TEST_MODEL_ENV, ...env });
  const me = await newGuest(t.url);
  const api = () => request(t.url) as unknown as request.Agent;
  const sse = (path: string, body: unknown, options: SseOptions = {}) =>
    sseRequest({
      url: `${t.url}${path}`,
      headers: (options.who ?? me).auth,
      body,
      onEvent: options.onEvent,
      timeoutMs: 20_000,
    });
  return {
    fake,
    t,
    me,
    api,
    async newSession(persona, who = me) {
      const res = await request(t.url).post('/api/sessions').set(who.auth).send(persona ? { persona } : {}).expect(201);
      return res.body.session_id as string;
    },
    async history(sessionId, who = me) {
      const res = await request(t.url).get(`/api/sessions/${sessionId}/messages?limit=200`).set(who.auth).expect(200);
      return res.body.messages;
    },
    async session(sessionId, who = me) {
      return (await request(t.url).get(`/api/sessions/${sessionId}`).set(who.auth).expect(200)).body;
    },
    sendSse: (sessionId, content, options) => sse(`/api/sessions/${sessionId}/messages`, { content }, options),
    regenerateSse: (sessionId, options) => sse(`/api/sessions/${sessionId}/regenerate`, undefined, options),
    async close() {
      await t.close();
      await fake.close();
    },
  };
}

/** The `data` of SSE events, parsed, with their event names. */
export function eventsOf(res: SseResponse): Array<{ event: string; data: any }> {
  return res.events.map((e) => ({ event: e.event, data: JSON.parse(e.data) }));
}

export function deltaText(res: SseResponse): string {
  return eventsOf(res)
    .filter((e) => e.event === 'delta')
    .map((e) => e.data.text)
    .join('');
}

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
