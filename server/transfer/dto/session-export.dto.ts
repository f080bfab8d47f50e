import { ApiProperty } from '@nestjs/swagger';
import { MessageContextDto, MessageErrorDto, MessageUsageDto } from '../../sessions/dto/message.dto';

/** A reader's rating of an answer. */
export class ExportedFeedbackDto {
  @ApiProperty({ enum: ['up', 'down'] })
  rating: 'up' | 'down';

  comment?: string;

  /** When it was given (ISO 8601). */
  @ApiProperty({ format: 'date-time', required: false })
  updated_at?: string;
}

/** One message of an exported session, with its place in the conversation tree. */
export class ExportedMessageDto {
  /** Message id, unique within the session. */
  id: string;

  /** The message this one answers or follows; null for the first message of a conversation. Parents come before their children. */
  @ApiProperty({ type: String, nullable: true })
  parent_id: string | null;

  @ApiProperty({ enum: ['user', 'assistant', 'system', 'tool'], enumName: 'ExportedMessageRole' })
  role: 'user' | 'assistant' | 'system' | 'tool';

  /** Text of the message (markdown). */
  content: string;

  /** When the message was written (ISO 8601). */
  @ApiProperty({ format: 'date-time' })
  created_at: string;

  /** Persona key the session had when the message was written. */
  persona?: string;

  /** Assistant messages: the model that answered. */
  model?: string;

  /** Assistant messages: complete, interrupted or failed. */
  @ApiProperty({ enum: ['complete', 'interrupted', 'failed'], enumName: 'MessageStatus', required: false })
  status?: 'complete' | 'interrupted' | 'failed';

  /** Assistant messages: why the model stopped. */
  @ApiProperty({ type: String, nullable: true, required: false })
  finish_reason?: string | null;

  @ApiProperty({ type: MessageUsageDto, nullable: true, required: false })
  usage?: MessageUsageDto | null;

  @ApiProperty({ type: MessageErrorDto, nullable: true, required: false })
  error?: MessageErrorDto | null;

  @ApiProperty({ type: MessageContextDto, nullable: true, required: false })
  context?: MessageContextDto | null;

  @ApiProperty({ type: ExportedFeedbackDto, nullable: true, required: false })
  feedback?: ExportedFeedbackDto | null;
}

/** The session's own fields, as they were when exported. */
export class ExportedSessionDto {
  /** The session's id on the server it was exported from. */
  session_id: string;

  display_name: string;

  /** Persona key. */
  persona: string;

  /** The persona's display name, for readers of the file. */
  @ApiProperty({ type: String, nullable: true })
  persona_name: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time' })
  last_activity: string;

  pinned: boolean;

  /** Labels of the session (e.g. "imported"). */
  tags: string[];

  /** The session's metadata object. */
  @ApiProperty({ type: Object, additionalProperties: true })
  metadata: Record<string, unknown>;

  /** Per-session model settings; null when the session uses its persona's. */
  @ApiProperty({ type: Object, additionalProperties: true, nullable: true })
  settings: Record<string, unknown> | null;
}

/**
 * A lossless export of one session (`format` "nono-chat.session", `version` 1): the session, then
 * every message of its tree, parents first. `GET /api/export` streams one of these per line (NDJSON);
 * `POST /api/import` takes either back.
 */
export class SessionExportDto {
  @ApiProperty({ enum: ['nono-chat.session'] })
  format: 'nono-chat.session';

  /** Version of this schema; readers refuse versions they do not know. */
  @ApiProperty({ enum: [1], type: 'integer' })
  version: 1;

  @ApiProperty({ format: 'date-time' })
  exported_at: string;

  session: ExportedSessionDto;

  /** The leaf of the branch shown in the session (the last message of its active path); null without messages. */
  @ApiProperty({ type: String, nullable: true })
  active_leaf_id: string | null;

  /** Every message, parents before children. */
  messages: ExportedMessageDto[];
}
