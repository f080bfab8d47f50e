import { createParser } from 'eventsource-parser';
import { Agent, IncomingHttpHeaders, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/**
 * A small server-sent-events client on node:http, shared by the chat tests and the benchmarks so
 * that the app and the bare fake model server are measured with exactly the same client code.
 */
export interface SseEvent {
  /** `event:` field, "message" when absent (OpenAI streams send none). */
  event: string;
  data: string;
  /** `id:` field (the app's stream entry id, for Last-Event-ID), when present. */
  id?: string;
  /** performance.now() when the event was parsed. */
  at: number;
}

export interface SseRequestOptions {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  agent?: Agent;
  /** Called per event; call `abort()` to close the connection as a leaving client would. */
  onEvent?: (event: SseEvent, abort: () => void) => void;
  /** Give up (and close) after this long. */
  timeoutMs?: number;
}

export interface SseResponse {
  status: number;
  headers: IncomingHttpHeaders;
  events: SseEvent[];
  /** The raw body when the response was not an event stream (e.g. a JSON error). */
  text: string;
  startedAt: number;
  endedAt: number;
  /** True when the client closed the connection itself (abort or timeout). */
  aborted: boolean;
}

export function sseRequest(options: SseRequestOptions): Promise<SseResponse> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { Accept: 'text/event-stream', ...options.headers };
  if (payload !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const events: SseEvent[] = [];
    let aborted = false;
    let settled = false;
    const req = request(options.url, { method: options.method ?? 'POST', headers, agent: options.agent });
    const abort = () => {
      aborted = true;
      req.destroy();
    };
    const timer = options.timeoutMs ? setTimeout(abort, options.timeoutMs) : undefined;
    const finish = (status: number, resHeaders: IncomingHttpHeaders, text: string) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolve({ status, headers: resHeaders, events, text, startedAt, endedAt: performance.now(), aborted });
    };
    req.on('error', (error) => {
      if (aborted) return; // handled by 'close' of the response, or below
      if (!settled) {
        settled = true;
        if (timer) clearTimeout(timer);
        reject(error);
      }
    });
    req.on('response', (res) => {
      res.setEncoding('utf8');
      const isStream = (res.headers['content-type'] ?? '').startsWith('text/event-stream');
      let text = '';
      // The same parser as the web client (CR/LF/CRLF line ends, split anywhere; comments ignored).
      const parser = createParser({
        onEvent: ({ event, data, id }) => {
          const parsed: SseEvent = { event: event ?? 'message', data, ...(id === undefined ? {} : { id }), at: performance.now() };
          events.push(parsed);
          options.onEvent?.(parsed, abort);
        },
      });
      res.on('data', (chunk: string) => {
        if (isStream) parser.feed(chunk);
        else text += chunk;
      });
      res.on('close', () => finish(res.statusCode ?? 0, res.headers, text));
    });
    req.on('close', () => {
      if (aborted && !settled) finish(0, {}, '');
    });
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
