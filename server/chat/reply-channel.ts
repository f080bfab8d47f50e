import type { HttpException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { requestIdOf } from '../common/all-exceptions.filter';
import { errorBody, statusText } from '../common/error-body';
import { mapMessage } from '../sessions/dto/message.dto';
import type { StoredMessage } from '../sessions/session.model';
import type { ChatErrorEventDto, ChatReplyDto } from './dto/chat-reply.dto';

/** How a generation ended, as the JSON reply and the idempotency record tell it. */
export interface TurnResult {
  userMessage: StoredMessage;
  /** Null when the answer could not be stored at all. */
  assistant: StoredMessage | null;
  error?: HttpException;
}

export function wantsEventStream(req: Request): boolean {
  return (req.headers.accept ?? '').includes('text/event-stream');
}

/** ChatErrorEventDto: the JSON error body's words, plus the failed turn's id (null when none was stored). */
export function errorEventData(error: HttpException, messageId: string | null): ChatErrorEventDto {
  const status = error.getStatus();
  return { statusCode: status, error: statusText(status), message: error.message, message_id: messageId };
}

/** The whole exchange as one JSON body (201), or the error status with the failed turn named. */
export function sendJsonResult(req: Request, res: Response, result: TurnResult): void {
  if (res.writableEnded || res.destroyed) return;
  if (result.error || !result.assistant) {
    const status = result.error?.getStatus() ?? 500;
    const details = result.assistant
      ? [`The failed turn is kept in the history as message ${result.assistant.id}; POST /api/sessions/{id}/regenerate retries it.`]
      : undefined;
    const message = result.error?.message ?? 'The answer could not be stored; try again in a moment.';
    res.status(status).json(errorBody(status, message, { ...(details ? { details } : {}), request_id: requestIdOf(req) }));
    return;
  }
  const body: ChatReplyDto = { user_message: mapMessage(result.userMessage), assistant_message: mapMessage(result.assistant) };
  res.status(201).json(body);
}
