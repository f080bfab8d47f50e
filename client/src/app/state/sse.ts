import { ApiErrorBody } from '../core/api-types';

export interface SseEvent {
  event: string;
  data: string;
  /** The event's `id:` (the server's stream entry id), for Last-Event-ID when reattaching. */
  id?: string;
}

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

/** Incremental parser for the text/event-stream format: feed chunks, get whole events. */
export class SseParser {
  private buffer = '';
  private eventName = '';
  private eventId: string | undefined;
  private data: string[] = [];

  feed(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const lines = this.buffer.split(/\r\n|\r|\n/);
    this.buffer = lines.pop() ?? '';
    const events: SseEvent[] = [];
    for (const line of lines) {
      if (line === '') {
        if (this.data.length > 0) {
          const event: SseEvent = { event: this.eventName || 'message', data: this.data.join('\n') };
          if (this.eventId !== undefined) event.id = this.eventId;
          events.push(event);
        }
        this.eventName = '';
        this.eventId = undefined;
        this.data = [];
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') this.eventName = value;
        else if (field === 'data') this.data.push(value);
        else if (field === 'id') this.eventId = value;
      }
    }
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
