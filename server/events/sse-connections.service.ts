import { Injectable } from '@nestjs/common';
import { sseEvent, SseStream } from './sse-stream';

/** The event streams this instance holds open, so a shutdown can tell each client to reconnect elsewhere. */
@Injectable()
export class SseConnectionsService {
  private readonly open = new Set<SseStream>();

  track(stream: SseStream): void {
    this.open.add(stream);
    stream.onClose(() => this.open.delete(stream));
  }

  get count(): number {
    return this.open.size;
  }

  /** Ends every open stream with an `interrupted` event. */
  interruptAll(message: string): void {
    const last = sseEvent('interrupted', { reason: 'shutdown', message });
    for (const stream of this.open) stream.end(last);
    this.open.clear();
  }
}
