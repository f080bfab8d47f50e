import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDefined, IsNotEmpty, IsString, MaxLength } from 'class-validator';

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
}
