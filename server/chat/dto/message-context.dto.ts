import { ApiProperty } from '@nestjs/swagger';

/** One message as it was sent to the model. */
export class ContextMessageDto {
  @ApiProperty({ enum: ['system', 'user', 'assistant'], enumName: 'ContextMessageRole' })
  role: 'system' | 'user' | 'assistant';

  /** The text exactly as sent. */
  content: string;

  /** The stored message it came from; absent for the persona's system prompt. */
  id?: string;
}

/** What the model saw for one answer. */
export class MessageContextViewDto {
  /** The answer. */
  message_id: string;

  /** Persona that wrote the answer. */
  persona?: string;

  /** Model that wrote the answer. */
  model?: string;

  /** Exactly the messages sent, in order: the persona's system prompt first, then the history that fit the budget. */
  messages: ContextMessageDto[];

  /** Tokens those messages took, as counted when the answer was written. */
  @ApiProperty({ type: 'integer' })
  tokens: number;

  /**
   * false when part of it could not be reproduced exactly (answers stored before this was recorded,
   * or a system prompt no longer on record: the persona's current prompt is shown instead).
   */
  exact: boolean;
}
