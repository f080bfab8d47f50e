import { ApiProperty } from '@nestjs/swagger';
import { MessageDto } from '../../sessions/dto/message.dto';
import { SessionDto } from '../../sessions/dto/session.dto';

export const LIVE_EVENT_TYPES = [
  'session.created',
  'session.updated',
  'session.deleted',
  'message.stored',
  'generation.started',
  'generation.finished',
] as const;
export type LiveEventType = (typeof LIVE_EVENT_TYPES)[number];

/** Data of every event of GET /api/events; the SSE event name is the same as `type`. */
export class LiveEventDto {
  @ApiProperty({ enum: LIVE_EVENT_TYPES, enumName: 'LiveEventType' })
  type: LiveEventType;

  session_id: string;

  /** session.created and session.updated: the session as it is now. */
  session?: SessionDto;

  /** session.updated: which fields changed (display_name, persona, pinned, metadata, tags, archived, messages). */
  changes?: string[];

  /** message.stored: the stored message (a user message, or an answer when its generation ended). */
  message?: MessageDto;

  /** generation.finished: how the answer ended (complete, interrupted, failed). */
  status?: string;
}
