import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDefined, IsNotEmpty, IsString, MaxLength, ValidateIf } from 'class-validator';

export const MAX_MESSAGE_LENGTH = 32_000;

export class MessageCreateDto {
  /** What the person writes: 1-32000 characters after surrounding whitespace is trimmed. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsDefined({ message: `content is required: the message text, 1-${MAX_MESSAGE_LENGTH} characters` })
  @IsString({ message: 'content must be text' })
  @IsNotEmpty({ message: 'content must not be empty' })
  @MaxLength(MAX_MESSAGE_LENGTH, { message: `content must be at most ${MAX_MESSAGE_LENGTH} characters` })
  @ApiProperty({ minLength: 1, maxLength: MAX_MESSAGE_LENGTH, example: 'How do I reset my router?' })
  content: string;

  /**
   * Where the message goes. Absent: after the last message shown (the active path). The id of an
   * answer: a new version beside the message that followed it (edit: pass the parent_id of the
   * message being edited). null: a new version of the first message. The new message and its
   * answer become the active path; the other versions stay.
   */
  @ValidateIf((dto: MessageCreateDto) => dto.parent_id !== undefined && dto.parent_id !== null)
  @IsString({ message: 'parent_id must be a message id (text), or null for a new first message' })
  @IsNotEmpty({ message: 'parent_id must not be empty: pass a message id, or null for a new first message' })
  @MaxLength(200, { message: 'parent_id must be at most 200 characters (a message id)' })
  @ApiProperty({ type: String, nullable: true, required: false, example: 'm_3q2Xf0cV8kL1pZ9a' })
  parent_id?: string | null;
}
