// Kept apart from sse.ts (and its parser), which loads on first use: the app's start-up does not stream.
// Types and checks only: nothing here is shared at run time with sse.ts.

export interface SseEvent {
  /** The `event:` field, "message" when absent. */
  event: string;
  data: string;
  /** The event's `id:` (the server's stream entry id), for Last-Event-ID when reattaching. */
  id?: string;
}

/**
 * A stream request the server refused before streaming (sse.ts throws it as StreamRefusedError).
 * Told by its name, so the app need not load the streaming code to recognise it.
 */
export function isStreamRefused(error: unknown): error is Error & { status: number } {
  return error instanceof Error && error.name === 'StreamRefusedError' && typeof (error as { status?: unknown }).status === 'number';
}
