import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty } from 'class-validator';
import { IsDisplayName, IsOptionalField, IsPersonaKey, IsSessionMetadata } from '../session-validation';
import { MessageDto } from './message.dto';

/** Body of the v0 API's `POST /api/session/create`. */
export class LegacySessionCreateDto {
  /** The session's display name (the v0 API called it user_id), e.g. "John Doe". */
  @IsDisplayName('user_id')
  @IsNotEmpty({ message: 'user_id must not be empty (it is the session\'s display name)' })
  @ApiProperty({ maxLength: 200, example: 'John Doe' })
  user_id: string;

  /** Persona key from GET /api/personas. */
  @IsPersonaKey()
  @ApiProperty({ example: 'mental_health_nurse' })
  persona: string;

  /** Any JSON object (at most 4 KB serialized). */
  @IsOptionalField()
  @IsSessionMetadata()
  @ApiProperty({ type: Object, additionalProperties: true, required: false, example: { topic: 'wellness' } })
  metadata?: Record<string, unknown>;
}

export class LegacySessionCreatedDto {
  session_id: string;
  /** The session's display name. */
  user_id: string;
  @ApiProperty({ format: 'date-time' })
  created_at: string;
  persona: string;
}

export class LegacySessionHistoryDto {
  session_id: string;
  /** The session's display name. */
  user_id: string;
  persona: string;
  /** The newest messages (up to 1000), oldest first; GET /api/sessions/{id}/messages pages through all of them. */
  messages: MessageDto[];
  /** Messages in the whole history. */
  @ApiProperty({ type: 'integer', minimum: 0 })
  count: number;
}

export class LegacySessionClearedDto {
  session_id: string;
  /** Always "History cleared". */
  message: string;
}
