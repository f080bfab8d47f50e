import { createParser } from 'eventsource-parser';
import { finished } from 'node:stream';
import { APIConnectionError, APIError } from 'openai';
import { Agent, Dispatcher, request } from 'undici';

/** Redirects followed, as many as fetch follows. */
const MAX_REDIRECTS = 20;
/** Idle keep-alive connections to the model server are closed after this, before servers close them. */
const KEEP_ALIVE_MS = 4_000;
/** Most of an error response's body read for its message. */
const MAX_ERROR_BODY = 64 * 1024;

/** The parts of one streamed chat-completion chunk that an answer uses. */
export interface ModelChunk {
  choices?: Array<{ delta?: { content?: string | null }; finish_reason?: string | null }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  model?: string;
  error?: unknown;
}

/**
 * The streamed chat-completion call on undici's dispatcher API with eventsource-parser, instead of
 * the OpenAI SDK's fetch and web streams: the same request on the wire, about half the CPU per
 * streamed answer (bench/stream-overhead/model-call-ab.ts). Errors are the SDK's own types, so
 * they read the same as the SDK's (status errors from APIError.generate with the provider's JSON
 * body, APIConnectionError before a response, an APIError for an error object inside the stream).
 *
 * Redirects are followed here (see `send`), as fetch follows them: the Authorization header never
 * goes to another origin. (undici's redirect interceptor refuses a redirect to the URL just asked,
 * which a server may send on purpose, e.g. after a move within the same origin.)
 */
export class ModelStreamClient {
  private readonly dispatcher: Dispatcher;
  private readonly url: string;

  constructor(
    baseUrl: string,
    private readonly apiKey: string,
    /** A backstop for the caller's own timers: no response or no data for this long ends the call. */
    backstopMs: number,
  ) {
    this.url = `${baseUrl}/chat/completions`;
    this.dispatcher = new Agent({ keepAliveTimeout: KEEP_ALIVE_MS, headersTimeout: backstopMs, bodyTimeout: backstopMs });
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }

  /**
   * Sends the request; resolves once the response headers arrived (`onResponse` runs then) and
   * then calls `onChunk` with each parsed chunk until the stream ends. Rejects on an HTTP error
   * status, a lost connection, a malformed event (SyntaxError) or an error object in the stream.
   */
  async stream(body: object, signal: AbortSignal, onResponse: () => void, onChunk: (chunk: ModelChunk) => void): Promise<void> {
    let res: Dispatcher.ResponseData;
    try {
      res = await this.send(JSON.stringify(body), signal);
    } catch (error) {
      throw signal.aborted ? error : new APIConnectionError({ cause: error as Error });
    }
    if (res.statusCode < 200 || res.statusCode >= 300) throw await statusError(res);
    onResponse();
    let failure: unknown;
    const parser = createParser({
      onEvent: ({ event, data }) => {
        if (failure !== undefined || data.startsWith('[DONE]')) return;
        try {
          const chunk = JSON.parse(data) as ModelChunk & { message?: string };
          const error = chunk.error as object | undefined;
          if (event === 'error') throw new APIError(undefined, error, chunk.message, undefined);
          if (error) throw new APIError(undefined, error, undefined, undefined);
          onChunk(chunk);
        } catch (error) {
          failure = error;
        }
      },
    });
    // 'data' events rather than an async iterator: no promise per chunk.
    const decoder = new TextDecoder();
    const events = res.body;
    await new Promise<void>((resolve, reject) => {
      events.on('data', (part: Buffer) => {
        if (failure !== undefined) return;
        parser.feed(decoder.decode(part, { stream: true }));
        if (failure !== undefined) {
          events.destroy();
          reject(failure);
        }
      });
      finished(events, (error) => (error ? reject(error) : resolve()));
    });
  }

  /**
   * The request, following redirects the way fetch does: at most MAX_REDIRECTS; 301/302 turn a POST
   * into a GET without body, 303 always; 307/308 send the same request again. The API key goes
   * only to the configured origin: once a redirect leaves it, Authorization is not sent again.
   */
  private async send(json: string, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const origin = new URL(this.url).origin;
    let url = this.url;
    let method: 'POST' | 'GET' = 'POST';
    let withKey = true;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (method === 'POST') headers['content-type'] = 'application/json';
      if (withKey) headers.authorization = `Bearer ${this.apiKey}`;
      const res = await request(url, { method, dispatcher: this.dispatcher, signal, headers, body: method === 'POST' ? json : undefined });
      const location = res.headers.location;
      if (!REDIRECTS.has(res.statusCode) || typeof location !== 'string' || hop >= MAX_REDIRECTS) return res;
      await res.body.dump();
      url = new URL(location, url).href;
      if (new URL(url).origin !== origin) withKey = false;
      if (res.statusCode === 303 || res.statusCode === 301 || res.statusCode === 302) method = 'GET';
    }
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** The SDK's error for an HTTP error status, with the provider's JSON error body when it sent one. */
async function statusError(res: Dispatcher.ResponseData): Promise<APIError> {
  let text = '';
  try {
    for await (const part of res.body) {
      text += (part as Buffer).toString('utf8');
      if (text.length > MAX_ERROR_BODY) {
        res.body.destroy();
        break;
      }
    }
  } catch (error) {
    text ||= (error as Error).message;
  }
  let json: object | undefined;
  try {
    json = JSON.parse(text) as object;
  } catch {
    json = undefined;
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return APIError.generate(res.statusCode, json, json ? undefined : text, headers);
}
