import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { IsOptionalField } from '../../sessions/session-validation';

/** One year: the longest a link may live when it expires at all. */
export const MAX_SHARE_SECONDS = 365 * 24 * 3600;

export class ShareCreateDto {
  /** Seconds until the link stops working (1 to 31,536,000 = a year). Absent: it works until revoked. */
  @IsOptionalField()
  @IsInt({ message: 'expires_in_seconds must be a whole number of seconds' })
  @Min(1, { message: 'expires_in_seconds must be at least 1' })
  @Max(MAX_SHARE_SECONDS, { message: `expires_in_seconds must be at most ${MAX_SHARE_SECONDS} (a year); leave it out for a link that works until revoked` })
  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_SHARE_SECONDS, required: false, example: 604800 })
  expires_in_seconds?: number;
}

/** A share link of mine. */
export class ShareDto {
  /** Unguessable id (`sh_` + 32 characters). */
  share_id: string;

  /** The page that shows the snapshot, signed in or not. */
  url: string;

  /** The session it was taken from. */
  session_id: string;

  /** The session's name when the link was made. */
  title: string;

  @ApiProperty({ type: 'integer', minimum: 0 })
  message_count: number;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  /** When the link stops working; null: until revoked. */
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expires_at: string | null;
}

export class ShareListDto {
  /** Newest first; revoked and expired links are not listed. */
  shares: ShareDto[];
}

export class SharedMessageDto {
  @ApiProperty({ enum: ['user', 'assistant'], enumName: 'MessageRole' })
  role: 'user' | 'assistant';

  /** Text (markdown). */
  content: string;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  /** Assistant messages: the model that answered. */
  model?: string;
}

/** What a share link shows: the active path when the link was made. Nothing names its owner. */
export class SharedConversationDto {
  share_id: string;

  title: string;

  /** Persona key. */
  persona: string;

  /** The persona's display name. */
  @ApiProperty({ type: String, nullable: true })
  persona_name: string | null;

  /** When the snapshot was taken. */
  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expires_at: string | null;

  /** Oldest first. */
  messages: SharedMessageDto[];
}
