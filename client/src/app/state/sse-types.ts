// Kept apart from sse.ts (and its parser), which loads on first use: the app's start-up does not stream.

export interface SseEvent {
  /** The `event:` field, "message" when absent. */
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

/**
 * Incremental parser for the text/event-stream format: feed chunks as they arrive, get the
 * events they complete. eventsource-parser does the parsing (CR, LF and CRLF line ends, also
 * split across chunks; comments; ids); this only collects its callbacks into a return value.
 */
