import { createParser } from 'eventsource-parser';
import { finished } from 'node:stream';
import { APIConnectionError, APIError } from 'openai';
import { Agent, Dispatcher, interceptors, request } from 'undici';

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
 * Redirects are followed by undici's redirect interceptor, as fetch follows them (301/302 turn a
 * POST into a GET, 303 always; 307/308 repeat the request): once a redirect leaves the configured
 * origin (host, port or scheme, so https → http too) it drops the Authorization header, so the API
 * key never goes to another origin. A redirect back to a URL already asked is refused as a loop.
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
    this.dispatcher = new Agent({ keepAliveTimeout: KEEP_ALIVE_MS, headersTimeout: backstopMs, bodyTimeout: backstopMs }).compose(
      interceptors.redirect({ maxRedirections: MAX_REDIRECTS }),
    );
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
      res = await request(this.url, {
        method: 'POST',
        dispatcher: this.dispatcher,
        signal,
        headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${this.apiKey}` },
        body: JSON.stringify(body),
      });
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
}

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
