import type { HttpException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { requestIdOf } from '../common/all-exceptions.filter';
import { errorBody, statusText } from '../common/error-body';
import { mapMessage } from '../sessions/dto/message.dto';
import type { StoredMessage } from '../sessions/session.model';
import type { ChatReplyDto } from './dto/chat-reply.dto';

/**
 * Where an answer goes: an SSE stream (`Accept: text/event-stream`) or one JSON response. The chat
 * service drives both the same way; only the wire differs.
 */
export interface ReplyChannel {
  /** The user message is stored (or, for regenerate, is the one being answered); the answer starts. */
  started(userMessage: StoredMessage): void;
  /** A piece of the answer. The hot path: one write, no other work. */
  delta(text: string): void;
  /** The answer is stored; `error` when the turn failed. Ends the response. */
  finished(userMessage: StoredMessage, assistant: StoredMessage, error?: HttpException): void;
  /** Runs `listener` if the client goes away before the answer is finished. */
  onDisconnect(listener: () => void): void;
  /**
   * Something other than the model failed after the answer started (e.g. the store went away).
   * Returns false when nothing was sent yet, so the error can take the normal error path.
   */
  failed(error: HttpException): boolean;
}

export function wantsEventStream(req: Request): boolean {
  return (req.headers.accept ?? '').includes('text/event-stream');
}

export function replyChannelFor(req: Request, res: Response): ReplyChannel {
  return wantsEventStream(req) ? new SseReplyChannel(req, res) : new JsonReplyChannel(req, res);
}

abstract class BaseChannel {
  protected done = false;

  constructor(
    protected readonly req: Request,
    protected readonly res: Response,
  ) {}

  onDisconnect(listener: () => void): void {
    // 'close' on the response fires when the connection ends, finished or not.
    this.res.on('close', () => {
      if (!this.done) listener();
    });
    if (this.res.destroyed && !this.done) listener();
  }

  protected get writable(): boolean {
    return !this.res.writableEnded && !this.res.destroyed;
  }
}

/** How long a stream may stay silent (e.g. while the model thinks) before a comment keeps proxies from closing it. */
const HEARTBEAT_MS = 15_000;

/** Server-sent events: `user_message`, `delta`…, then `done` or `error`. */
export class SseReplyChannel extends BaseChannel implements ReplyChannel {
  private heartbeat?: NodeJS.Timeout;

  started(userMessage: StoredMessage): void {
    const res = this.res;
    // 201 as in JSON mode: both messages are created either way.
    res.status(201);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    // nginx and similar proxies buffer responses unless told not to.
    res.setHeader('X-Accel-Buffering', 'no');
    res.socket?.setNoDelay(true);
    // The headers go out with the first event, in one write.
    this.event('user_message', mapMessage(userMessage));
    this.heartbeat = setInterval(() => this.writable && this.res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  delta(text: string): void {
    if (this.writable) this.res.write(`event: delta\ndata: {"text":${JSON.stringify(text)}}\n\n`);
  }

  finished(_userMessage: StoredMessage, assistant: StoredMessage, error?: HttpException): void {
    this.done = true;
    clearInterval(this.heartbeat);
    const last = error ? errorEvent(error, assistant.id) : sseEvent('done', mapMessage(assistant));
    // The last event and the end of the response in one write.
    if (this.writable) this.res.end(last);
  }

  failed(error: HttpException): boolean {
    if (!this.res.headersSent) return false;
    this.done = true;
    clearInterval(this.heartbeat);
    if (this.writable) this.res.end(errorEvent(error, null));
    return true;
  }

  private event(name: string, data: unknown): void {
    if (this.writable) this.res.write(sseEvent(name, data));
  }
}

function sseEvent(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** ChatErrorEventDto: the JSON error body's words, plus the failed turn's id (null when none was stored). */
function errorEvent(error: HttpException, messageId: string | null): string {
  const status = error.getStatus();
  return sseEvent('error', { statusCode: status, error: statusText(status), message: error.message, message_id: messageId });
}

/** The whole exchange as one JSON body (201), or the error status with the failed turn named. */
export class JsonReplyChannel extends BaseChannel implements ReplyChannel {
  started(): void {
    // Nothing to send until the answer is complete.
  }

  delta(): void {
    // Collected by the service; JSON clients get the stored message at the end.
  }

  finished(userMessage: StoredMessage, assistant: StoredMessage, error?: HttpException): void {
    this.done = true;
    if (!this.writable) return;
    if (error) {
      const status = error.getStatus();
      const details = [`The failed turn is kept in the history as message ${assistant.id}; POST /api/sessions/{id}/regenerate retries it.`];
      this.res.status(status).json(errorBody(status, error.message, { details, request_id: requestIdOf(this.req) }));
      return;
    }
    const body: ChatReplyDto = { user_message: mapMessage(userMessage), assistant_message: mapMessage(assistant) };
    this.res.status(201).json(body);
  }

  failed(): boolean {
    return false;
  }
}
