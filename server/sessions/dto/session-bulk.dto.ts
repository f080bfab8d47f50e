import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsString, MaxLength, ValidateIf } from 'class-validator';
import { IsSessionTag } from '../session-validation';

export const BULK_MAX_IDS = 100;

export const BULK_ACTIONS = ['archive', 'unarchive', 'delete', 'tag', 'untag', 'pin', 'unpin'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

export const BULK_STATUSES = ['ok', 'not_found', 'too_many_tags'] as const;
export type BulkStatus = (typeof BULK_STATUSES)[number];

export class SessionBulkDto {
  /** Ids of my sessions (1-100); ids that are not mine are answered `not_found` and nothing of theirs changes. */
  @IsArray({ message: `ids must be an array of 1-${BULK_MAX_IDS} session ids` })
  @ArrayMinSize(1, { message: `ids must hold 1-${BULK_MAX_IDS} session ids` })
  @ArrayMaxSize(BULK_MAX_IDS, { message: `ids must hold at most ${BULK_MAX_IDS} session ids; send the rest in another request` })
  @IsString({ each: true, message: 'each of ids must be a session id string' })
  @MaxLength(100, { each: true, message: 'each of ids must be a session id (at most 100 characters)' })
  @ApiProperty({ type: [String], minItems: 1, maxItems: BULK_MAX_IDS, example: ['s_3q2bH1kVvS0mJ8e5c9dWfA'] })
  ids: string[];

  /** What to do with each session. `tag` and `untag` need `tag`. */
  @IsIn(BULK_ACTIONS, { message: `action must be one of ${BULK_ACTIONS.join(', ')}` })
  @ApiProperty({ enum: BULK_ACTIONS, enumName: 'SessionBulkAction' })
  action: BulkAction;

  /** The tag to add or remove (`tag`, `untag` only): 1-32 characters, compared trimmed and in lower case. */
  @ValidateIf((dto: SessionBulkDto) => dto.action === 'tag' || dto.action === 'untag' || dto.tag !== undefined)
  @IsSessionTag()
  @ApiProperty({ required: false, maxLength: 32, example: 'work' })
  tag?: string;
}

export class SessionBulkResultItemDto {
  session_id: string;

  /**
   * `ok`: done (also when nothing had to change); `not_found`: no such session among mine;
   * `too_many_tags`: the session already has 10 tags, nothing changed.
   */
  @ApiProperty({ enum: BULK_STATUSES, enumName: 'SessionBulkStatus' })
  status: BulkStatus;
}

export class SessionBulkResultDto {
  /** One per id sent, in the same order. */
  results: SessionBulkResultItemDto[];
}
