import { ApiErrorBody } from '../core/api-types';

export interface SseEvent {
  event: string;
  data: string;
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
  private data: string[] = [];

  feed(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const lines = this.buffer.split(/\r\n|\r|\n/);
    this.buffer = lines.pop() ?? '';
    const events: SseEvent[] = [];
    for (const line of lines) {
      if (line === '') {
        if (this.data.length > 0) events.push({ event: this.eventName || 'message', data: this.data.join('\n') });
        this.eventName = '';
        this.data = [];
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') this.eventName = value;
        else if (field === 'data') this.data.push(value);
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
): Promise<void> {
  const headers: Record<string, string> = { Accept: 'text/event-stream', 'Content-Type': 'application/json' };
  if (token) headers['Authorization'] = `Bearer ${token}`;
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body ?? {}), signal });
  if (!response.ok || !response.body) throw await refusal(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
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
