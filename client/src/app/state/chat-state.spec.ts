import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Message, Session } from '../core/api-types';
import { aMessage, aSession } from '../testing/fixtures';
import { errorBody, nextRequest, settle } from '../testing/http';
import { ChatState } from './chat-state';
import { LiveEvent, LiveEvents } from './live-events';
import { SessionState } from './session-state';

/** A fetch answer streaming the given SSE events (or refusing with a JSON error). */
function sseResponse(events: Array<[string, unknown]>): Response {
  const text = events.map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`).join('');
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
}

function refusal(status: number, message: string): Response {
  return new Response(JSON.stringify({ statusCode: status, error: 'Error', message }), { status, headers: { 'Content-Type': 'application/json' } });
}

describe('ChatState', () => {
  let http: HttpTestingController;
  let chat: ChatState;
  let session: Session;
  let fetchMock: ReturnType<typeof vi.fn>;
  /** GET .../generation requests (looking for a running answer): 204 unless a test says otherwise. */
  let resumes: Array<[string, RequestInit]>;
  let resumeAnswer: () => Response;

  async function openSession(history: Message[] = [], nextCursor: string | null = null): Promise<void> {
    const opening = TestBed.inject(SessionState).openSession(session.session_id);
    (await nextRequest(http, 'GET', `/api/sessions/${session.session_id}`)).flush(session);
    await opening;
    TestBed.tick();
    (await nextRequest(http, 'GET', `/api/sessions/${session.session_id}/messages`)).flush({ messages: history, next_cursor: nextCursor, total: history.length });
    await settle();
  }

  /** The session is re-read after every turn (message count, expiry). */
  async function answerRefresh(): Promise<void> {
    (await nextRequest(http, 'GET', `/api/sessions/${session.session_id}`)).flush({ ...session, message_count: session.message_count + 2 });
  }

  beforeEach(() => {
    fetchMock = vi.fn();
    resumes = [];
    resumeAnswer = () => new Response(null, { status: 204 });
    vi.stubGlobal('fetch', (url: string, init: RequestInit = {}) => {
      // The live events stream (opened once there is a token) stays open, quiet, until closed.
      if (url.endsWith('/api/events')) {
        return new Promise<Response>((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(new DOMException('Aborted', 'AbortError'))));
      }
      if (url.endsWith('/generation')) {
        resumes.push([url, init]);
        return Promise.resolve(resumeAnswer());
      }
      return (fetchMock as unknown as (u: string, i: RequestInit) => Promise<Response>)(url, init);
    });
    TestBed.configureTestingModule({ providers: [provideZonelessChangeDetection(), provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
    chat = TestBed.inject(ChatState);
    session = aSession();
  });

  afterEach(() => {
    vi.unstubAllGlobals();
    http.verify();
  });

  it('shows the newest page of the open session and prepends older pages with the cursor', async () => {
    const newest = [aMessage({ content: 'newer' })];
    await openSession(newest, 'cursor-1');
    expect(chat.messages()).toEqual(newest);
    expect(chat.hasOlder()).toBe(true);

    const loading = chat.loadOlder();
    const older = await nextRequest(http, 'GET', `/api/sessions/${session.session_id}/messages`);
    expect(older.request.params.get('before')).toBe('cursor-1');
    const oldest = aMessage({ content: 'older' });
    older.flush({ messages: [oldest], next_cursor: null, total: 2 });
    await loading;
    expect(chat.messages().map((m) => m.content)).toEqual(['older', 'newer']);
    expect(chat.hasOlder()).toBe(false);
  });

  it('streams an answer: the stored user message, the growing draft, then the stored answer', async () => {
    await openSession();
    const stored = aMessage({ role: 'user', content: 'Hello' });
    const answer = aMessage({ role: 'assistant', content: 'Hi there', status: 'complete' });
    fetchMock.mockResolvedValue(sseResponse([['user_message', stored], ['delta', { text: 'Hi ' }], ['delta', { text: 'there' }], ['done', answer]]));
    const sending = chat.send('  Hello  ');
    expect(chat.messages()[0].content).toBe('Hello');
    expect(chat.streaming()).toBe(true);
    await answerRefresh();
    await sending;

    const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
    expect(url).toBe(`/api/sessions/${session.session_id}/messages`);
    expect((init.headers as Record<string, string>)['Accept']).toBe('text/event-stream');
    expect(JSON.parse(init.body as string)).toEqual({ content: 'Hello' });
    expect(chat.messages()).toEqual([stored, answer]);
    expect(chat.streaming()).toBe(false);
    expect(chat.canRegenerate()).toBe(true);
  });

  it('shows a failed turn with its error and retries it by regenerating', async () => {
    await openSession();
    const stored = aMessage({ role: 'user', content: 'Fail please' });
    fetchMock.mockResolvedValueOnce(
      sseResponse([['user_message', stored], ['error', { statusCode: 502, error: 'Bad Gateway', message: 'The model provider failed.', message_id: 'm_failed' }]]),
    );
    const sending = chat.send('Fail please');
    await answerRefresh();
    await sending;
    const failed = chat.messages()[1];
    expect(failed).toMatchObject({ id: 'm_failed', role: 'assistant', status: 'failed', error: { status: 502, message: 'The model provider failed.' } });

    fetchMock.mockResolvedValueOnce(sseResponse([['user_message', stored], ['done', aMessage({ role: 'assistant', content: 'Better' })]]));
    const retrying = chat.retry(failed);
    await answerRefresh();
    await retrying;
    expect(fetchMock.mock.calls[1][0]).toBe(`/api/sessions/${session.session_id}/regenerate`);
    expect(chat.messages().map((m) => m.content)).toEqual(['Fail please', 'Better']);
  });

  it('says the server cannot be reached (not "Failed to fetch") and sends again by itself with the same key', async () => {
    await openSession();
    fetchMock.mockRejectedValueOnce(new TypeError('Failed to fetch'));
    const sending = chat.send('Are you there?');
    await answerRefresh();
    await sending;
    expect(chat.messages()[0]).toMatchObject({ unsent: true, error: { status: 0, message: 'Cannot reach the nono-chat server — retrying' } });
    const key = (fetchMock.mock.calls[0][1].headers as Record<string, string>)['Idempotency-Key'];

    fetchMock.mockResolvedValueOnce(sseResponse([['user_message', aMessage({ content: 'Are you there?' })], ['done', aMessage({ role: 'assistant', content: 'Yes' })]]));
    // The first resend comes a second later.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await answerRefresh();
    await settle();
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect((fetchMock.mock.calls[1][1].headers as Record<string, string>)['Idempotency-Key']).toBe(key);
    expect(chat.messages().map((m) => m.content)).toEqual(['Are you there?', 'Yes']);
    expect(chat.messages().some((m) => m.unsent)).toBe(false);
  });

  it('shows the server\'s words when chat is not set up, and keeps the message to resend', async () => {
    await openSession();
    fetchMock.mockResolvedValueOnce(refusal(503, 'Chat is not set up on this server yet. Tell the administrator; nothing was sent or stored.'));
    const sending = chat.send('Anyone there?');
    await answerRefresh();
    await sending;
    expect(chat.modelProblem()).toContain('Tell the administrator');
    expect(chat.messages()).toHaveLength(1);
    expect(chat.messages()[0]).toMatchObject({ content: 'Anyone there?', unsent: true, error: { status: 503 } });

    fetchMock.mockResolvedValueOnce(sseResponse([['user_message', aMessage({ content: 'Anyone there?' })], ['done', aMessage({ role: 'assistant' })]]));
    const retrying = chat.retry(chat.messages()[0]);
    await answerRefresh();
    await retrying;
    expect(fetchMock.mock.calls[1][0]).toBe(`/api/sessions/${session.session_id}/messages`);
    expect(chat.messages()).toHaveLength(2);
    expect(chat.messages().some((m) => m.unsent)).toBe(false);
  });

  it('reports a busy session (409) without losing the typed text', async () => {
    await openSession();
    fetchMock.mockResolvedValueOnce(refusal(409, 'An answer is already being written in this session.'));
    const sending = chat.send('Second');
    await answerRefresh();
    await sending;
    expect(chat.modelProblem()).toBeNull();
    expect(chat.messages()[0]).toMatchObject({ content: 'Second', unsent: true, error: { status: 409 } });
  });

  it('asks the server to stop the answer being written', async () => {
    await openSession();
    let finish!: () => void;
    fetchMock.mockReturnValue(
      Promise.resolve(
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(new TextEncoder().encode(`event: delta\ndata: ${JSON.stringify({ text: 'partial' })}\n\n`));
              finish = () => {
                const done = aMessage({ role: 'assistant', content: 'partial', status: 'interrupted' });
                controller.enqueue(new TextEncoder().encode(`event: done\ndata: ${JSON.stringify(done)}\n\n`));
                controller.close();
              };
            },
          }),
          { status: 200 },
        ),
      ),
    );
    const sending = chat.send('Long answer please');
    await settle();
    expect(chat.draft()?.content).toBe('partial');
    const stopping = chat.stop();
    (await nextRequest(http, 'POST', `/api/sessions/${session.session_id}/stop`)).flush({ stopped: true });
    await stopping;
    finish();
    await answerRefresh();
    await sending;
    expect(chat.messages().at(-1)).toMatchObject({ content: 'partial', status: 'interrupted' });
    expect(chat.streaming()).toBe(false);
  });

  it('sends an Idempotency-Key, and the same one again when resending a message the server did not take', async () => {
    await openSession();
    fetchMock.mockResolvedValueOnce(refusal(503, 'The session store (Redis) is unavailable right now.'));
    const sending = chat.send('Hello?');
    await settle();
    await answerRefresh();
    await sending;
    const firstKey = (fetchMock.mock.calls[0][1] as RequestInit).headers as Record<string, string>;
    expect(firstKey['Idempotency-Key']).toMatch(/.{16,}/);
    fetchMock.mockResolvedValueOnce(sseResponse([['user_message', aMessage({ content: 'Hello?' })], ['done', aMessage({ role: 'assistant' })]]));
    const resending = chat.retry(chat.messages()[0]);
    await settle();
    await answerRefresh();
    await resending;
    const secondKey = (fetchMock.mock.calls[1][1] as RequestInit).headers as Record<string, string>;
    expect(secondKey['Idempotency-Key']).toBe(firstKey['Idempotency-Key']);
  });

  it('a dropped connection reattaches from the last event: no gap, nothing twice', async () => {
    await openSession();
    const stored = aMessage({ content: 'Tell me' });
    const answer = aMessage({ role: 'assistant', content: 'one two three' });
    const idFrames = (events: Array<[string, string, unknown]>) =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            const text = events.map(([id, event, data]) => `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`).join('');
            controller.enqueue(new TextEncoder().encode(text));
            controller.close();
          },
        }),
        { status: 200, headers: { 'Content-Type': 'text/event-stream' } },
      );
    // The POST stream ends after two events, without `done` (the connection dropped).
    fetchMock.mockResolvedValueOnce(idFrames([['1-0', 'user_message', stored], ['1-1', 'delta', { text: 'one ' }]]));
    resumeAnswer = () => idFrames([['1-2', 'delta', { text: 'two three' }], ['1-3', 'done', answer]]);
    const sending = chat.send('Tell me');
    await settle();
    await answerRefresh();
    await sending;
    const reattach = resumes.at(-1)!;
    expect((reattach[1].headers as Record<string, string>)['Last-Event-ID']).toBe('1-1');
    expect(chat.messages().map((m) => m.content)).toEqual(['Tell me', 'one two three']);
    expect(chat.streaming()).toBe(false);
  });

  it('opening a session follows its running answer, without repeating the stored question', async () => {
    const question = aMessage({ content: 'Still thinking?' });
    const answer = aMessage({ role: 'assistant', content: 'Yes, done now' });
    resumeAnswer = () => sseResponse([['user_message', question], ['delta', { text: 'Yes, done now' }], ['done', answer]]);
    await openSession([question]);
    await settle();
    await answerRefresh();
    await settle();
    expect(resumes).toHaveLength(1);
    expect((resumes[0][1].headers as Record<string, string>)['Last-Event-ID']).toBeUndefined();
    expect(chat.messages().map((m) => m.content)).toEqual(['Still thinking?', 'Yes, done now']);
  });

  describe('conversation tree', () => {
    const bodyOf = (call: number) => JSON.parse((fetchMock.mock.calls[call][1] as RequestInit).body as string);
    async function answerHistory(history: Message[]): Promise<void> {
      (await nextRequest(http, 'GET', `/api/sessions/${session.session_id}/messages`)).flush({ messages: history, next_cursor: null, total: history.length });
    }

    it('Retry under an older failed answer redoes that answer (message_id), then shows the server\'s path', async () => {
      const a = aMessage({ content: 'A' });
      const failed = aMessage({ role: 'assistant', parent_id: a.id, status: 'failed', error: { status: 502, message: 'failed' } as Message['error'] });
      const b = aMessage({ content: 'B', parent_id: failed.id });
      const answerB = aMessage({ role: 'assistant', content: 'answer B', parent_id: b.id });
      await openSession([a, failed, b, answerB]);
      const redone = aMessage({ role: 'assistant', content: 'answer A', parent_id: a.id, sibling_index: 1, sibling_count: 2 });
      fetchMock.mockResolvedValueOnce(sseResponse([['done', redone]]));
      const retrying = chat.retry(failed);
      // While it is written, the conversation shows A and the new answer coming.
      expect(chat.messages().map((m) => m.content)).toEqual(['A']);
      await answerHistory([a, redone]);
      await answerRefresh();
      await retrying;
      expect(fetchMock.mock.calls[0][0]).toBe(`/api/sessions/${session.session_id}/regenerate`);
      expect(bodyOf(0)).toEqual({ message_id: failed.id });
      expect(chat.messages().map((m) => m.content)).toEqual(['A', 'answer A']);
    });

    it('edit sends the new text as a version beside the message (its parent_id)', async () => {
      const q1 = aMessage({ content: 'q1' });
      const a1 = aMessage({ role: 'assistant', parent_id: q1.id });
      const q2 = aMessage({ content: 'q2', parent_id: a1.id });
      const a2 = aMessage({ role: 'assistant', parent_id: q2.id });
      await openSession([q1, a1, q2, a2]);
      const edited = aMessage({ content: 'q2 edited', parent_id: a1.id, sibling_index: 1, sibling_count: 2 });
      const answer = aMessage({ role: 'assistant', content: 'new answer', parent_id: edited.id });
      fetchMock.mockResolvedValueOnce(sseResponse([['user_message', edited], ['done', answer]]));
      const editing = chat.edit(q2, '  q2 edited ');
      expect(chat.messages().map((m) => m.content)).toEqual(['q1', a1.content, 'q2 edited']);
      await answerHistory([q1, a1, edited, answer]);
      await answerRefresh();
      await editing;
      expect(fetchMock.mock.calls[0][0]).toBe(`/api/sessions/${session.session_id}/messages`);
      expect(bodyOf(0)).toEqual({ content: 'q2 edited', parent_id: a1.id });
      expect(chat.messages()).toEqual([q1, a1, edited, answer]);
    });

    it('the version arrows switch the path to the sibling and show the new history', async () => {
      const first = aMessage({ content: 'v1' });
      const second = aMessage({ content: 'v2', sibling_index: 1, sibling_count: 2 });
      await openSession([second]);
      const switching = chat.showVersion(second, -1);
      (await nextRequest(http, 'GET', `/api/sessions/${session.session_id}/messages/${second.id}/versions`)).flush({ ids: [first.id, second.id] });
      const path = await nextRequest(http, 'POST', `/api/sessions/${session.session_id}/path`);
      expect(path.request.body).toEqual({ message_id: first.id });
      path.flush(session);
      await answerHistory([{ ...first, sibling_index: 0, sibling_count: 2 }]);
      await switching;
      expect(chat.messages().map((m) => m.content)).toEqual(['v1']);
    });

    it('rates a message: shown at once, stored with PUT .../feedback', async () => {
      const answer = aMessage({ role: 'assistant' });
      await openSession([answer]);
      const rating = chat.rate(answer, 'up');
      expect(chat.messages()[0].feedback?.rating).toBe('up');
      const put = await nextRequest(http, 'PUT', `/api/sessions/${session.session_id}/messages/${answer.id}/feedback`);
      expect(put.request.body).toEqual({ rating: 'up' });
      put.flush({ ...answer, feedback: { rating: 'up', updated_at: '2026-01-01T00:00:00.000Z' } });
      await rating;
      expect(chat.messages()[0].feedback).toEqual({ rating: 'up', updated_at: '2026-01-01T00:00:00.000Z' });
    });

    it('removes a rating: gone at once, DELETE .../feedback; put back when the server refuses', async () => {
      const answer = aMessage({ role: 'assistant', feedback: { rating: 'down', updated_at: '2026-01-01T00:00:00.000Z' } });
      await openSession([answer]);
      const url = `/api/sessions/${session.session_id}/messages/${answer.id}/feedback`;
      const removing = chat.rate(answer, null);
      expect(chat.messages()[0].feedback).toBeUndefined();
      (await nextRequest(http, 'DELETE', url)).flush(null, { status: 204, statusText: 'No Content' });
      await removing;
      expect(chat.messages()[0].feedback).toBeUndefined();

      const refused = chat.rate(chat.messages()[0], 'up');
      (await nextRequest(http, 'PUT', url)).flush({ ...answer, feedback: { rating: 'up', updated_at: '2026-01-02T00:00:00.000Z' } });
      await refused;
      const failing = chat.rate(chat.messages()[0], null);
      const { body, init } = errorBody(404, 'No such session');
      (await nextRequest(http, 'DELETE', url)).flush(body, init);
      await failing;
      expect(chat.messages()[0].feedback?.rating).toBe('up');
    });

    it('a message stored elsewhere in the tree (an edit in another tab) reloads the history', async () => {
      const q1 = aMessage({ content: 'q1' });
      const a1 = aMessage({ role: 'assistant', parent_id: q1.id });
      await openSession([q1, a1]);
      const emit = (event: LiveEvent) => (TestBed.inject(LiveEvents) as unknown as { listeners: Set<(e: LiveEvent) => void> }).listeners.forEach((l) => l(event));
      // Below the last message shown: simply added.
      const q2 = aMessage({ content: 'q2', parent_id: a1.id });
      emit({ type: 'message.stored', session_id: session.session_id, message: q2 } as LiveEvent);
      expect(chat.messages()).toEqual([q1, a1, q2]);
      // A new version of q1: the history is read again.
      const edit = aMessage({ content: 'q1 edited', parent_id: null, sibling_index: 1, sibling_count: 2 });
      emit({ type: 'message.stored', session_id: session.session_id, message: edit } as LiveEvent);
      await answerHistory([edit]);
      await settle();
      expect(chat.messages()).toEqual([edit]);
    });
  });
});
