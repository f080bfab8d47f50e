import type { Response } from 'express';

/** How long a stream may stay silent before a comment keeps proxies from closing it. */
export const SSE_HEARTBEAT_MS = 15_000;

export function sseEvent(name: string, data: unknown, id?: string): string {
  return `${id ? `id: ${id}\n` : ''}event: ${name}\ndata: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

/** An open server-sent-events response: headers, heartbeat comments, end once. */
export class SseStream {
  private heartbeat?: NodeJS.Timeout;
  private readonly closeListeners = new Set<() => void>();
  ended = false;

  constructor(
    private readonly res: Response,
    status = 200,
    heartbeatMs = SSE_HEARTBEAT_MS,
  ) {
    res.status(status);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    // nginx and similar proxies buffer responses unless told not to.
    res.setHeader('X-Accel-Buffering', 'no');
    res.socket?.setNoDelay(true);
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n'), heartbeatMs);
    this.heartbeat.unref();
    res.on('close', () => {
      this.finish();
      for (const listener of this.closeListeners) listener();
    });
  }

  get open(): boolean {
    return !this.ended && !this.res.writableEnded && !this.res.destroyed;
  }

  /** Sends the headers now, before any event (a client waiting for them knows the stream is on). */
  flushHeaders(): void {
    if (this.open) this.res.flushHeaders();
  }

  write(chunk: string): void {
    if (this.open) this.res.write(chunk);
  }

  event(name: string, data: unknown, id?: string): void {
    this.write(sseEvent(name, data, id));
  }

  /** The last chunk and the end of the response in one write. */
  end(last?: string): void {
    if (!this.open) return this.finish();
    this.finish();
    this.res.end(last);
  }

  onClose(listener: () => void): void {
    this.closeListeners.add(listener);
    if (this.res.destroyed) listener();
  }

  private finish(): void {
    this.ended = true;
    clearInterval(this.heartbeat);
  }
}
