import { BadRequestException, HttpException, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorBody, statusText } from '../common/error-body';
import { requestIdOf } from '../common/all-exceptions.filter';
import { SseStream } from '../events/sse-stream';
import { mapMessage } from '../sessions/dto/message.dto';
import { SessionsRepository } from '../sessions/sessions.repository';
import { ChatService, ReplyTarget } from './chat.service';
import { GenerationStreamer } from './generation-streamer';
import { GenerationsService } from './generations.service';
import { IdempotencyRecord, IdempotencyRepository } from './idempotency.repository';
import { newMessageId } from './message-id';
import type { TurnResult } from './reply-channel';

const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;
/** A retry of a send whose first attempt is still storing its message waits this long for it. */
const PENDING_WAIT_MS = 5_000;
/** A JSON retry of a running send waits for its answer at most this long (then 409). */
const RUNNING_WAIT_MS = 10 * 60_000;

/**
 * Sends with an `Idempotency-Key`: the first attempt runs; a retry with the same key gets the first
 * attempt's outcome (or follows its generation while it runs) and never stores the message twice.
 * When the first attempt died after storing its message, the retry answers that message.
 */
@Injectable()
export class IdempotentSendsService {
  private readonly logger = new Logger(IdempotentSendsService.name);

  constructor(
    private readonly chat: ChatService,
    private readonly records: IdempotencyRepository,
    private readonly store: SessionsRepository,
    private readonly generations: GenerationsService,
    private readonly streamer: GenerationStreamer,
  ) {}

  async send(
    userId: string,
    sessionId: string,
    content: string,
    key: string | undefined,
    reply: ReplyTarget,
    parentId?: string | null,
  ): Promise<void> {
    if (key === undefined) return this.chat.sendMessage(userId, sessionId, content, reply, undefined, parentId);
    if (!KEY_PATTERN.test(key)) {
      throw new BadRequestException('Idempotency-Key must be 1 to 200 visible ASCII characters (e.g. a UUID); send a new one for each new message.');
    }
    // The message id is fixed by the first attempt, so a retry can tell whether it was stored.
    const run = (record: { message_id: string }, stored: boolean) => {
      const target = this.tracked(userId, sessionId, key, record.message_id, reply);
      return stored
        ? this.chat.answerStoredMessage(userId, sessionId, record.message_id, target)
        : this.chat.sendMessage(userId, sessionId, content, target, record.message_id, parentId);
    };
    const messageId = newMessageId();
    if (await this.records.claim(userId, sessionId, key, { state: 'pending', message_id: messageId })) {
      return this.first(userId, sessionId, key, () => run({ message_id: messageId }, false));
    }
    return this.retry(userId, sessionId, key, reply, run);
  }

  /** Regenerate with an `Idempotency-Key`: a retry gets the first attempt's answer instead of a third one. */
  async regenerate(userId: string, sessionId: string, key: string | undefined, reply: ReplyTarget, messageId?: string): Promise<void> {
    if (key === undefined) return this.chat.regenerateMessage(userId, sessionId, reply, messageId);
    if (!KEY_PATTERN.test(key)) {
      throw new BadRequestException('Idempotency-Key must be 1 to 200 visible ASCII characters (e.g. a UUID); send a new one for each new request.');
    }
    const run = (record: { message_id: string }) =>
      this.chat.regenerateMessage(userId, sessionId, this.tracked(userId, sessionId, key, record.message_id, reply), messageId);
    const marker = newMessageId();
    if (await this.records.claim(userId, sessionId, key, { state: 'pending', message_id: marker })) {
      return this.first(userId, sessionId, key, () => run({ message_id: marker }));
    }
    // Regenerating again is safe: it adds another version of the answer, never a user message.
    return this.retry(userId, sessionId, key, reply, (record) => run(record));
  }

  private tracked(userId: string, sessionId: string, key: string, messageId: string, reply: ReplyTarget): ReplyTarget {
    const save = (record: IdempotencyRecord) =>
      this.records.save(userId, sessionId, key, record).catch((error: Error) => this.logger.warn(`Idempotency record: ${error.message}`));
    return {
      ...reply,
      onStarted: () => void save({ state: 'running', message_id: messageId }),
      onFinished: (result) => void save(doneRecord(messageId, result)),
    };
  }

  private async first(userId: string, sessionId: string, key: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      // Decided before anything was stored (404, 409, 400, 503 no model): the key is free again.
      // A store failure leaves the record pending: the message may have been stored, a retry checks.
      if (error instanceof HttpException) await this.records.forget(userId, sessionId, key).catch(() => undefined);
      throw error;
    }
  }

  private async retry(
    userId: string,
    sessionId: string,
    key: string,
    reply: ReplyTarget,
    takeOver: (record: IdempotencyRecord, stored: boolean) => Promise<void>,
  ): Promise<void> {
    const deadline = Date.now() + PENDING_WAIT_MS;
    let record = await this.records.read(userId, sessionId, key);
    while (record?.state === 'pending' && Date.now() < deadline && (await this.generations.isRunning(userId, sessionId))) {
      await sleep(100);
      record = await this.records.read(userId, sessionId, key);
    }
    // Forgotten meanwhile (the first attempt was refused before storing anything): this one runs.
    if (record === null) {
      if (await this.records.claim(userId, sessionId, key, { state: 'pending', message_id: newMessageId() })) {
        const claimed = (await this.records.read(userId, sessionId, key))!;
        return this.first(userId, sessionId, key, () => takeOver(claimed, false));
      }
      record = await this.records.read(userId, sessionId, key);
      if (record === null) throw new HttpException('This Idempotency-Key is being used by another request right now; retry.', 409);
    }
    if (record.state === 'done') return replayDone(record, reply);
    if (record.state === 'running') return this.attach(userId, sessionId, key, record, reply);
    // Pending with no generation running: the first attempt died. Was its message stored?
    const recent = await this.store.recentMessages(userId, sessionId, 64);
    const pending = record;
    const stored = recent.some((m) => m.id === pending.message_id);
    return this.first(userId, sessionId, key, () => takeOver(pending, stored));
  }

  /** A retry while the first attempt's answer runs: follow it (SSE) or wait for it (JSON). */
  private async attach(userId: string, sessionId: string, key: string, record: IdempotencyRecord, reply: ReplyTarget): Promise<void> {
    if (reply.stream && (await this.streamer.stream(reply.res, userId, sessionId, undefined, 201))) return;
    const deadline = Date.now() + RUNNING_WAIT_MS;
    let current: IdempotencyRecord | null = record;
    while (current?.state !== 'done' && Date.now() < deadline) {
      if (reply.req.destroyed) return;
      await sleep(250);
      current = await this.records.read(userId, sessionId, key);
    }
    if (current?.state !== 'done') throw new HttpException('The first request with this Idempotency-Key is still being answered; retry later.', 409);
    replayDone(current, reply);
  }
}

function doneRecord(messageId: string, result: TurnResult): IdempotencyRecord {
  return {
    state: 'done',
    message_id: messageId,
    user_message: mapMessage(result.userMessage),
    assistant_message: result.assistant ? mapMessage(result.assistant) : null,
    error: result.error ? { status: result.error.getStatus(), message: result.error.message } : null,
  };
}

/** The first attempt's outcome again, in the form this request asked for. */
function replayDone(record: Extract<IdempotencyRecord, { state: 'done' }>, reply: ReplyTarget): void {
  const { res, req } = reply;
  const error = record.error;
  if (reply.stream) {
    const sse = new SseStream(res, 201);
    sse.event('user_message', record.user_message);
    if (record.assistant_message?.content) sse.event('delta', { text: record.assistant_message.content });
    if (error) {
      const data = { statusCode: error.status, error: statusText(error.status), message: error.message, message_id: record.assistant_message?.id ?? null };
      sse.end(`event: error\ndata: ${JSON.stringify(data)}\n\n`);
    } else sse.end(`event: done\ndata: ${JSON.stringify(record.assistant_message)}\n\n`);
    return;
  }
  if (error || !record.assistant_message) {
    const status = error?.status ?? 500;
    res.status(status).json(errorBody(status, error?.message ?? 'The answer could not be stored.', { request_id: requestIdOf(req) }));
    return;
  }
  res.status(201).json({ user_message: record.user_message, assistant_message: record.assistant_message });
}
