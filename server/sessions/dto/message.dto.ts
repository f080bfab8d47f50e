import { ApiProperty } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import type { StoredMessage } from '../session.model';
import { IsPageCursor, IsPageLimit } from '../session-validation';

export class MessageUsageDto {
  @ApiProperty({ type: 'integer' })
  prompt_tokens: number;
  @ApiProperty({ type: 'integer' })
  completion_tokens: number;
  @ApiProperty({ type: 'integer' })
  total_tokens: number;
}

export class MessageErrorDto {
  /** HTTP status the failure maps to. */
  @ApiProperty({ type: 'integer' })
  status: number;
  /** What went wrong, for the person reading it. */
  message: string;
}

export class MessageContextDto {
  /** History messages sent to the model with this turn. */
  @ApiProperty({ type: 'integer' })
  messages: number;
  /** Tokens those messages and the system prompt took. */
  @ApiProperty({ type: 'integer' })
  tokens: number;
  /**
   * The oldest history message sent: every message from it to the one answered was sent, except
   * failed and empty answers. GET .../messages/{message_id}/context shows them.
   */
  @ApiProperty({ type: String, nullable: true, required: false })
  first_message_id?: string | null;
  /** Id of the system prompt text sent (a hash of it). */
  system_prompt_id?: string;
}

export class MessageFeedbackDto {
  @ApiProperty({ enum: ['up', 'down'], enumName: 'FeedbackRating' })
  rating: 'up' | 'down';

  /** What the person wrote with the rating. */
  comment?: string;

  /** When the rating was given or last changed (ISO 8601). */
  @ApiProperty({ format: 'date-time' })
  updated_at: string;
}

export class MessageDto {
  /** Message id. */
  id: string;

  @ApiProperty({ enum: ['user', 'assistant'], enumName: 'MessageRole' })
  role: 'user' | 'assistant';

  /** Text of the message (markdown for assistant messages). */
  content: string;

  /** When the message was written (ISO 8601). */
  @ApiProperty({ format: 'date-time' })
  created_at: string;

  /** Persona key the session had when the message was written. */
  persona?: string;

  /** Assistant messages: the model that answered. */
  model?: string;

  /** Assistant messages: complete, interrupted (stopped; partial text kept) or failed. */
  @ApiProperty({ enum: ['complete', 'interrupted', 'failed'], enumName: 'MessageStatus', required: false })
  status?: 'complete' | 'interrupted' | 'failed';

  /** Assistant messages: why the model stopped (e.g. "stop", "length"). */
  @ApiProperty({ type: String, nullable: true, required: false })
  finish_reason?: string | null;

  @ApiProperty({ type: MessageUsageDto, nullable: true, required: false })
  usage?: MessageUsageDto | null;

  /** Failed assistant turns: what went wrong. */
  @ApiProperty({ type: MessageErrorDto, nullable: true, required: false })
  error?: MessageErrorDto | null;

  /** Assistant messages: what was sent to the model. */
  @ApiProperty({ type: MessageContextDto, nullable: true, required: false })
  context?: MessageContextDto | null;

  /** The message this one follows; null for a first message. Messages with the same parent are versions of each other. */
  @ApiProperty({ type: String, nullable: true })
  parent_id: string | null;

  /** Which version this is among the messages with the same parent (0 = oldest). */
  @ApiProperty({ type: 'integer', minimum: 0, required: false })
  sibling_index?: number;

  /** How many versions there are (messages with the same parent), this one included. */
  @ApiProperty({ type: 'integer', minimum: 1, required: false })
  sibling_count?: number;

  /** The rating given to this message, when there is one. */
  @ApiProperty({ type: () => MessageFeedbackDto, nullable: true, required: false })
  feedback?: MessageFeedbackDto | null;
}

export class MessageListQueryDto {
  /** Messages per page (1-200, default 50). */
  @IsPageLimit()
  limit?: number;

  /** `next_cursor` of the previous page: returns the messages before it. */
  @IsOptional()
  @IsPageCursor()
  before?: string;
}

/** A page of history. Pages go from the newest backwards; within a page, oldest first. */
export class MessageListDto {
  /** Oldest first. */
  messages: MessageDto[];

  /** Pass as `before` to get the older messages; null when there are none. */
  @ApiProperty({ type: String, nullable: true })
  next_cursor: string | null;

  /** Messages in the whole history. */
  @ApiProperty({ type: 'integer', minimum: 0 })
  total: number;
}

export function mapMessage(message: StoredMessage): MessageDto {
  const dto: MessageDto = {
    id: message.id,
    role: message.role,
    content: message.content,
    created_at: new Date(message.created_at).toISOString(),
    parent_id: message.parent_id ?? null,
  };
  if (message.persona !== undefined) dto.persona = message.persona;
  if (message.model !== undefined) dto.model = message.model;
  if (message.status !== undefined) dto.status = message.status;
  if (message.finish_reason !== undefined) dto.finish_reason = message.finish_reason;
  if (message.usage !== undefined) dto.usage = message.usage;
  if (message.error !== undefined) dto.error = message.error;
  if (message.context !== undefined) dto.context = message.context;
  if (message.feedback) {
    const { rating, comment, updated_at } = message.feedback;
    dto.feedback = { rating, ...(comment !== undefined ? { comment } : {}), updated_at: new Date(updated_at).toISOString() };
  }
  if (message.sibling_index !== undefined) dto.sibling_index = message.sibling_index;
  if (message.sibling_count !== undefined) dto.sibling_count = message.sibling_count;
  return dto;
}
