import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

const MESSAGE_ID_MESSAGE = 'message_id must be the id of a message of this session (text)';
export const MAX_FEEDBACK_COMMENT = 2000;

/** Which message a tree operation is about. */
export class MessageRefDto {
  /** Id of a message of this session (any branch). */
  @IsDefined({ message: 'message_id is required: the id of a message of this session' })
  @IsString({ message: MESSAGE_ID_MESSAGE })
  @IsNotEmpty({ message: MESSAGE_ID_MESSAGE })
  @MaxLength(200, { message: 'message_id must be at most 200 characters (a message id)' })
  @ApiProperty({ example: 'm_3q2Xf0cV8kL1pZ9a' })
  message_id: string;
}

export class RegenerateDto {
  /** The answer to redo (any branch). Absent: the last answer shown. */
  @IsOptional()
  @IsString({ message: 'message_id must be the id of an answer (assistant message) of this session' })
  @IsNotEmpty({ message: 'message_id must not be empty; leave it out to redo the last answer' })
  @MaxLength(200, { message: 'message_id must be at most 200 characters (a message id)' })
  @ApiProperty({ required: false, example: 'm_3q2Xf0cV8kL1pZ9a' })
  message_id?: string;
}

export class FeedbackDto {
  /** Thumbs up or down. */
  @IsDefined({ message: 'rating is required: "up" or "down"' })
  @IsIn(['up', 'down'], { message: 'rating must be "up" or "down"' })
  @ApiProperty({ enum: ['up', 'down'], enumName: 'FeedbackRating' })
  rating: 'up' | 'down';

  /** Optional words to go with the rating (at most 2000 characters). */
  @IsOptional()
  @IsString({ message: 'comment must be text' })
  @MaxLength(MAX_FEEDBACK_COMMENT, { message: `comment must be at most ${MAX_FEEDBACK_COMMENT} characters` })
  @ApiProperty({ required: false, maxLength: MAX_FEEDBACK_COMMENT })
  comment?: string;
}

/** The versions of a message: the ids of the messages with the same parent, oldest first. */
export class MessageVersionsDto {
  /** Ids, oldest first; the message asked about is among them (at its `sibling_index`). */
  @ApiProperty({ type: [String], example: ['m_3q2Xf0cV8kL1pZ9a', 'm_7hT2bQ9xW4nR6sY1'] })
  ids: string[];
}
