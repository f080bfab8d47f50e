import http, { IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';

/**
 * The `fetch` the OpenAI SDK calls, on Node's own HTTP client with keep-alive agents. An answer
 * streams as dozens of small chunks; Node's built-in fetch moves each through a web stream and a
 * WebAssembly HTTP parser, which made reading the model's stream the largest part of an answer's
 * CPU cost. Here the response body is the socket's own readable stream, which the SDK iterates
 * directly (it accepts any async-iterable body).
 *
 * It covers what the SDK uses: method, headers, a string/bytes body, `signal` (abort before or during
 * the body), redirects, gzip/deflate/br bodies, and a Response-like result (ok, status, headers,
 * body, text(), json(), arrayBuffer()).
 */
export type NodeFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

const MAX_REDIRECTS = 5;
const FREE_SOCKET_TIMEOUT_MS = 4000;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export function createNodeFetch(): NodeFetch {
  // Idle connections are closed after 4 s, before the 5 s idle limit of most servers (Node, uvicorn),
  // so a request is not sent on a connection the server is closing at that moment.
  const options = { keepAlive: true, maxFreeSockets: 256, timeout: FREE_SOCKET_TIMEOUT_MS };
  const agents = { 'http:': new http.Agent(options), 'https:': new https.Agent(options) };
  const fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    let url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    let method = (init.method ?? 'GET').toUpperCase();
    let body = requestBody(init.body);
    const headers = requestHeaders(init.headers);
    for (let redirects = 0; ; redirects++) {
      const response = await send(url, method, headers, body, init.signal ?? undefined, agents);
      const location = response.headers.location;
      if (!REDIRECTS.has(response.statusCode ?? 0) || !location || redirects >= MAX_REDIRECTS) {
        return new NodeResponse(response, url.href) as unknown as Response;
      }
      response.resume(); // the redirect's own body is not needed
      url = new URL(location, url);
      if (response.statusCode === 303 || ((response.statusCode === 301 || response.statusCode === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
        delete headers['content-type'];
        delete headers['content-length'];
      }
    }
  };
  return fetch;
}

function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Buffer | string | undefined,
  signal: AbortSignal | undefined,
  agents: Record<'http:' | 'https:', http.Agent>,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const transport = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
    if (!transport) return reject(new TypeError(`Unsupported protocol ${url.protocol} in ${url.href}`));
    let response: IncomingMessage | undefined;
    const req = transport.request(url, { method, headers, agent: agents[url.protocol as 'http:' | 'https:'] }, (res) => {
      response = res;
      res.once('close', stopListening);
      resolve(res);
    });
    // Aborting closes the connection; a body being read ends with the AbortError, as with fetch.
    const onAbort = () => {
      const error = abortError(signal!);
      response?.destroy(error);
      req.destroy(error);
    };
    const stopListening = () => signal?.removeEventListener('abort', onAbort);
    signal?.addEventListener('abort', onAbort, { once: true });
    req.once('error', (error) => {
      stopListening();
      // As fetch reports it: TypeError("fetch failed") with the socket error (ECONNREFUSED…) as its cause.
      reject(signal?.aborted ? error : new TypeError('fetch failed', { cause: error }));
    });
    req.end(body);
  });
}

/** The reason the caller aborted with, or the standard AbortError that fetch would throw. */
function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException('This operation was aborted', 'AbortError');
}

function requestHeaders(headers: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  if (typeof (headers as Headers).forEach === 'function' && !Array.isArray(headers)) {
    (headers as Headers).forEach((value, name) => (out[name.toLowerCase()] = value));
  } else if (Array.isArray(headers)) {
    for (const [name, value] of headers) out[name.toLowerCase()] = value;
  } else {
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name.toLowerCase()] = String(value);
  }
  return out;
}

function requestBody(body: RequestInit['body']): Buffer | string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || Buffer.isBuffer(body)) return body;
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof URLSearchParams) return body.toString();
  throw new TypeError('This fetch sends string or byte bodies only');
}

/** A decoded view of the response body (Node streams are async-iterable, which the SDK uses). */
function decodedBody(res: IncomingMessage): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? zlib.createGunzip()
      : encoding === 'deflate'
        ? zlib.createInflate()
        : encoding === 'br'
          ? zlib.createBrotliDecompress()
          : undefined;
  if (!decoder) return res;
  res.on('error', (error) => decoder.destroy(error));
  return res.pipe(decoder);
}

/** The subset of the Fetch API's Response that the SDK reads. */
export class NodeResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly redirected = false;
  readonly type = 'basic';
  readonly body: Readable;
  private used = false;

  constructor(
    res: IncomingMessage,
    readonly url: string,
  ) {
    this.status = res.statusCode ?? 0;
    this.statusText = res.statusMessage ?? '';
    this.ok = this.status >= 200 && this.status < 300;
    const headers = new Headers();
    const raw = res.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
    this.headers = headers;
    this.body = decodedBody(res);
  }

  get bodyUsed(): boolean {
    return this.used;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.bytes();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async text(): Promise<string> {
    return (await this.bytes()).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  private async bytes(): Promise<Buffer> {
    if (this.used) throw new TypeError('Body has already been read');
    this.used = true;
    const parts: Buffer[] = [];
    for await (const part of this.body) parts.push(part as Buffer);
    return Buffer.concat(parts);
  }
}
