import { createParser } from 'eventsource-parser';
import { ApiErrorBody } from '../core/api-types';
import type { SseEvent } from './sse-types';

/** A stream request the server refused before streaming (409 busy, 503 no model, 404 gone, ...). */
export class StreamRefusedError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'StreamRefusedError';
  }
}

export class SseParser {
  private completed: SseEvent[] = [];
  private readonly parser = createParser({
    onEvent: ({ event, data, id }) => this.completed.push(id === undefined ? { event: event ?? 'message', data } : { event: event ?? 'message', data, id }),
  });

  feed(chunk: string): SseEvent[] {
    this.parser.feed(chunk);
    const events = this.completed;
    this.completed = [];
    return events;
  }
}

/**
 * POSTs and reads the answer as server-sent events. EventSource cannot POST or send a bearer
 * token, hence fetch. Resolves when the stream ends; rejects with StreamRefusedError on a non-2xx.
 */
export async function postEventStream(
  url: string,
  token: string | null,
  body: unknown,
  signal: AbortSignal,
  onEvent: (event: SseEvent) => void,
  extraHeaders: Record<string, string> = {},
): Promise<void> {
  const headers: Record<string, string> = { Accept: 'text/event-stream', 'Content-Type': 'application/json', ...extraHeaders };
  if (token) headers['Authorization'] = `Bearer ${token}`;
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body ?? {}), signal });
  if (!response.ok || !response.body) throw await refusal(response);
  await readEvents(response, onEvent);
}

/**
 * GETs an event stream (reattaching to an answer, live events). Resolves true when the stream
 * ended, false when the server had nothing to stream (204); rejects with StreamRefusedError on an error status.
 */
export async function getEventStream(
  url: string,
  token: string | null,
  signal: AbortSignal,
  onEvent: (event: SseEvent) => void,
  extraHeaders: Record<string, string> = {},
): Promise<boolean> {
  const headers: Record<string, string> = { Accept: 'text/event-stream', ...extraHeaders };
  if (token) headers['Authorization'] = `Bearer ${token}`;
  const response = await fetch(url, { headers, signal });
  if (response.status === 204) return false;
  if (!response.ok || !response.body) throw await refusal(response);
  await readEvents(response, onEvent);
  return true;
}

async function readEvents(response: Response, onEvent: (event: SseEvent) => void): Promise<void> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    for (const event of parser.feed(value)) onEvent(event);
  }
}

async function refusal(response: Response): Promise<StreamRefusedError> {
  let message = `The server answered ${response.status} ${response.statusText}.`;
  try {
    const body = (await response.json()) as Partial<ApiErrorBody>;
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // Not JSON: keep the status line.
  }
  return new StreamRefusedError(response.status, message);
}
