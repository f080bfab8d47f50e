import { ApiProperty } from '@nestjs/swagger';
import { MessageDto } from '../../sessions/dto/message.dto';

/** One exchange: the stored user message and the stored answer (JSON responses of send and regenerate). */
export class ChatReplyDto {
  user_message: MessageDto;

  /** status "complete", or "interrupted" when it was stopped (partial text kept). */
  assistant_message: MessageDto;
}

export class GenerationStopDto {
  /** true when a generation was running and has been stopped; false when none was running. */
  stopped: boolean;
}

/** Data of the SSE `delta` event: the next piece of the answer. */
export class ChatDeltaEventDto {
  text: string;
}

/** Data of the SSE `error` event: why the answer failed (the same words as the JSON error). */
export class ChatErrorEventDto {
  @ApiProperty({ type: 'integer', example: 502 })
  statusCode: number;

  @ApiProperty({ example: 'Bad Gateway' })
  error: string;

  @ApiProperty({ example: 'The model service is not reachable right now; try again in a minute. If it keeps happening, tell the administrator.' })
  message: string;

  /** The failed turn as stored in the history (offer "retry" = regenerate); null when nothing was stored. */
  @ApiProperty({ type: String, nullable: true })
  message_id: string | null;
}
