import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  chunkText,
  completionBody,
  defaultAnswer,
  errorBody,
  streamChunk,
  usageFor,
  FakeChatRequest,
  FakeReply,
} from './fake-openai-replies';

export type { FakeChatRequest, FakeFault, FakeReply } from './fake-openai-replies';

/** One request the fake received, with when and how its connection ended. */
export interface FakeRequestLog {
  seq: number;
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** Parsed JSON body (undefined when not JSON). */
  body: FakeChatRequest | undefined;
  receivedAt: number;
  /** When the response finished or the connection closed (ms since epoch). */
  closedAt?: number;
  /** True when the connection closed before the fake finished its answer (the client aborted). */
  abortedByClient?: boolean;
}

export type ReplyScript = FakeReply | ((request: FakeChatRequest, log: FakeRequestLog) => FakeReply | undefined);

export interface FakeOpenAIOptions {
  port?: number;
  host?: string;
  /** Reply used when no scripted reply is queued (default: the labelled echo answer). */
  defaultReply?: ReplyScript;
}

export interface FakeOpenAI {
  /** Base URL including /v1, as OPENAI_BASE_URL expects. */
  readonly url: string;
  readonly port: number;
  readonly requests: FakeRequestLog[];
  /** Only the chat completion requests. */
  readonly chatRequests: FakeRequestLog[];
  /** Queues replies for the next chat requests, in order; a function decides per request. */
  script(...replies: ReplyScript[]): void;
  /** Replaces the reply used when the queue is empty. */
  setDefault(reply: ReplyScript): void;
  /** Forgets queued replies, the default override and the request log. */
  reset(): void;
  /** Resolves with the n-th (1-based) chat request once it arrived. */
  waitForChatRequest(n?: number, timeoutMs?: number): Promise<FakeRequestLog>;
  /** Resolves once the given request's connection has closed. */
  waitForClose(log: FakeRequestLog, timeoutMs?: number): Promise<FakeRequestLog>;
  close(): Promise<void>;
}

/** Unref'd: a scripted delay never keeps a finished test run alive. */
const sleep = (ms: number) => new Promise<void>((resolve) => (ms > 0 ? setTimeout(resolve, ms).unref() : setImmediate(resolve)));

/**
 * A real OpenAI-compatible HTTP server for tests, benchmarks and development mode: the app talks to
 * it through the same SDK and wire it uses with a real provider. Replies are scripted per test
 * (text, chunk timing, faults), and every request is logged with when its connection closed.
 */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const requests: FakeRequestLog[] = [];
  const queue: ReplyScript[] = [];
  let fallback: ReplyScript | undefined = options.defaultReply;
  let seq = 0;
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());

  const pick = (body: FakeChatRequest, log: FakeRequestLog): FakeReply => {
    const next = queue.shift() ?? fallback;
    const reply = typeof next === 'function' ? next(body, log) : next;
    return reply ?? {};
  };

  const server = createServer((req, res) => {
    const log: FakeRequestLog = {
      seq: ++seq,
      method: req.method ?? 'GET',
      path: (req.url ?? '/').split('?')[0],
      headers: req.headers,
      body: undefined,
      receivedAt: Date.now(),
    };
    requests.push(log);
    res.on('close', () => {
      log.closedAt = Date.now();
      log.abortedByClient = !res.writableFinished;
      notify();
    });
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      try {
        log.body = parts.length ? JSON.parse(Buffer.concat(parts).toString('utf8')) : undefined;
      } catch {
        log.body = undefined;
      }
      notify();
      route(req, res, log).catch(() => res.destroy());
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse, log: FakeRequestLog): Promise<void> {
    if (log.method === 'GET' && log.path.endsWith('/models')) {
      const model = fallbackModel();
      return sendJson(res, 200, { object: 'list', data: [{ id: model, object: 'model', created: 0, owned_by: 'nono-dev' }] });
    }
    if (log.method !== 'POST' || !log.path.endsWith('/chat/completions')) {
      return sendJson(res, 404, errorBody(`Unknown endpoint ${log.method} ${log.path}`, 'invalid_request_error', 'unknown_url'));
    }
    if (!log.body || !Array.isArray(log.body.messages)) {
      return sendJson(res, 400, errorBody('Request body must be JSON with a "messages" array', 'invalid_request_error', null));
    }
    const reply = pick(log.body, log);
    await answer(res, log.body, reply);
  }

  function fallbackModel(): string {
    return typeof fallback === 'object' && fallback?.model ? fallback.model : 'nono-dev-model';
  }

  async function answer(res: ServerResponse, body: FakeChatRequest, reply: FakeReply): Promise<void> {
    if (reply.headersDelayMs) await sleep(reply.headersDelayMs);
    if (reply.fault === 'hang') return; // connection accepted, nothing ever sent
    if (res.destroyed) return;
    if (reply.redirect) {
      res.writeHead(reply.redirect.status, { Location: reply.redirect.location, 'Content-Length': 0 });
      return void res.end();
    }
    if (reply.status && reply.status >= 400) {
      const [type, code] = reply.status === 429 ? ['rate_limit_exceeded', 'rate_limit_exceeded'] : ['api_error', null];
      const message = reply.errorMessage ?? defaultErrorMessage(reply.status, body.model);
      return sendJson(res, reply.status, errorBody(message, type, code));
    }
    const text = reply.text ?? defaultAnswer(body);
    const chunks = reply.chunks ?? chunkText(text, reply.chunkCount);
    const model = reply.model ?? body.model ?? 'nono-dev-model';
    if (!body.stream) {
      if (reply.firstChunkDelayMs) await sleep(reply.firstChunkDelayMs);
      return sendJson(res, 200, completionBody(model, chunks.join(''), reply.finishReason ?? 'stop', usageFor(body, chunks)));
    }
    await streamAnswer(res, body, reply, model, chunks);
  }

  async function streamAnswer(res: ServerResponse, body: FakeChatRequest, reply: FakeReply, model: string, chunks: string[]) {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    res.flushHeaders();
    const id = `chatcmpl-fake${Date.now().toString(36)}`;
    const send = (payload: unknown) => !res.destroyed && res.write(`data: ${JSON.stringify(payload)}\n\n`);
    send(streamChunk(id, model, { role: 'assistant', content: '' }, null));
    if (reply.firstChunkDelayMs) await sleep(reply.firstChunkDelayMs);
    const faultAt = reply.faultAfterChunks ?? Math.min(2, chunks.length);
    for (let i = 0; i < chunks.length; i++) {
      if (res.destroyed) return;
      if (reply.fault && i === faultAt) return midStreamFault(res, reply);
      if (i > 0 && reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
      send(streamChunk(id, model, { content: chunks[i] }, null));
    }
    if (reply.fault && faultAt >= chunks.length) return midStreamFault(res, reply);
    if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
    send(streamChunk(id, model, {}, reply.finishReason ?? 'stop'));
    if (body.stream_options?.include_usage) send({ ...streamChunk(id, model, {}, null), choices: [], usage: usageFor(body, chunks) });
    if (!res.destroyed) res.end('data: [DONE]\n\n');
  }

  function midStreamFault(res: ServerResponse, reply: FakeReply): void {
    switch (reply.fault) {
      case 'stall':
        return; // headers and some chunks sent, then silence with the connection open
      case 'reset':
        // Let the chunks already written reach the client first, as a real mid-answer drop would.
        setTimeout(() => res.socket?.destroy(), 20).unref();
        return;
      case 'malformed':
        res.end('data: {"id":"broken","choices":[{"delta":{"content":"oops"\n\ndata: [DONE]\n\n');
        return;
      case 'in-stream-error':
        res.end(`data: ${JSON.stringify(errorBody(reply.errorMessage ?? 'The server had an error while processing your request.', 'server_error', null))}\n\n`);
        return;
      default:
        res.end();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  server.keepAliveTimeout = 60_000;
  const port = (server.address() as AddressInfo).port;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';

  const waitFor = <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const done = () => {
        const value = check();
        if (value === undefined) return;
        waiters.delete(done);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        waiters.delete(done);
        reject(new Error(`fake OpenAI server: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      waiters.add(done);
      done();
    });

  const chatRequests = () => requests.filter((r) => r.path.endsWith('/chat/completions') && r.body !== undefined);

  return {
    url: `http://${host}:${port}/v1`,
    port,
    requests,
    get chatRequests() {
      return chatRequests();
    },
    script: (...replies) => void queue.push(...replies),
    setDefault: (reply) => void (fallback = reply),
    reset() {
      queue.length = 0;
      requests.length = 0;
      fallback = options.defaultReply;
    },
    waitForChatRequest: (n = 1, timeoutMs = 5000) => waitFor(() => chatRequests()[n - 1], timeoutMs, `chat request #${n}`),
    waitForClose: (log, timeoutMs = 5000) => waitFor(() => (log.closedAt ? log : undefined), timeoutMs, `request #${log.seq} to close`),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function defaultErrorMessage(status: number, model: string | undefined): string {
  if (status === 401) return 'Incorrect API key provided: te****ey. You can find your API key at https://platform.openai.com/account/api-keys.';
  if (status === 403) return 'You are not allowed to use this model.';
  if (status === 404) return `The model \`${model}\` does not exist or you do not have access to it.`;
  if (status === 429) return 'Rate limit reached for requests. Please try again in 20s.';
  return 'The server had an error while processing your request. Sorry about that!';
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
