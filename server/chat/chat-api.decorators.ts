import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiHeader, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ErrorBody } from '../common/error-body';
import { MessageDto } from '../sessions/dto/message.dto';
import { ChatDeltaEventDto, ChatErrorEventDto, ChatReplyDto } from './dto/chat-reply.dto';

const EVENT_STREAM = [
  'With `Accept: text/event-stream` the answer streams as server-sent events:',
  '',
  '- `user_message`: the stored user message (`MessageDto`), sent as soon as it is stored;',
  '- `delta`: `{"text": "..."}` (`ChatDeltaEventDto`), the next piece of the answer;',
  '- `done`: the stored assistant message (`MessageDto` with model, persona, finish_reason, usage,',
  '  status `complete`, or `interrupted` after a stop, and `context` = messages and tokens sent);',
  '- `error`: `ChatErrorEventDto` (`statusCode`, `error`, `message`, `message_id` of the failed turn,',
  '  which stays in the history so it can be retried with regenerate).',
  '',
  'Without it the complete exchange comes back as JSON (`ChatReplyDto`, 201), or the error status',
  'with the usual error body. Errors found before anything is stored (404, 409, 400, 503 no model)',
  'are plain JSON errors in both modes. Closing the connection stops the answer; the part generated',
  'so far is stored as `interrupted`.',
].join('\n');

/** Errors are JSON in both modes: they are decided before any event is sent. */
export const ApiChatError = (status: number, description: string) =>
  ApiResponse({ status, description, content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorBody) } } } });
const error = ApiChatError;

/**
 * The stream's media type. `x-events` names the JSON `data` schema of each event, as OpenAPI 3.0
 * cannot describe a stream's items (3.2's `itemSchema` can); it also keeps those schemas in use.
 */
function eventStreamMediaType() {
  return {
    schema: { type: 'string', example: 'event: delta\ndata: {"text":"Hel"}\n\n' },
    'x-events': {
      user_message: { $ref: getSchemaPath(MessageDto) },
      delta: { $ref: getSchemaPath(ChatDeltaEventDto) },
      done: { $ref: getSchemaPath(MessageDto) },
      error: { $ref: getSchemaPath(ChatErrorEventDto) },
    },
  };
}

/** The two response content types of send and regenerate, and their errors. */
export function ApiChatReply(): MethodDecorator {
  return applyDecorators(
    ApiExtraModels(ChatReplyDto, ChatDeltaEventDto, ChatErrorEventDto, MessageDto, ErrorBody),
    ApiHeader({
      name: 'Accept',
      required: false,
      description: '`text/event-stream` to stream the answer; anything else gets JSON.',
    }),
    ApiResponse({
      status: 201,
      description:
        'JSON mode: the stored user message and the stored answer. Streaming mode: server-sent events ' +
        '`user_message`, `delta`…, then `done` or `error`.',
      content: {
        'application/json': { schema: { $ref: getSchemaPath(ChatReplyDto) } },
        'text/event-stream': eventStreamMediaType(),
      },
    }),
    error(404, 'No such session among mine.'),
    error(409, 'A reply is already being generated in this session.'),
    error(502, 'The model provider failed or rejected the request (the failed turn is stored).'),
    error(503, 'No model configured, or the provider is rate limiting (the failed turn is stored).'),
    error(504, 'The model did not answer in time (the failed turn is stored).'),
  );
}

export const EVENT_STREAM_DESCRIPTION = EVENT_STREAM;
