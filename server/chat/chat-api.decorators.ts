import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiHeader, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ErrorBody } from '../common/error-body';
import { MessageDto } from '../sessions/dto/message.dto';
import { ChatDeltaEventDto, ChatErrorEventDto, ChatReplyDto } from './dto/chat-reply.dto';

const EVENT_STREAM = [
  'With `Accept: text/event-stream` the answer streams as server-sent events:',
  '',
  'Every event carries an `id:` (its entry in the generation\'s stream): after a refresh or a dropped',
  'connection, `GET /api/sessions/{id}/generation` with `Last-Event-ID` sends what was missed.',
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
  'are plain JSON errors in both modes. The answer belongs to the server: closing the connection does',
  'not stop it (POST .../stop does); resume it with GET .../generation, from any instance.',
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

export const RESUME_DESCRIPTION = [
  'Replays the events of the session\'s current (or just finished) answer after `Last-Event-ID` (all of',
  'them without it), then follows it live until `done` or `error`, whichever server instance runs it:',
  'the same events as the streamed send (`user_message`, `delta`, `done`, `error`), each with its `id:`.',
  'Reattaching after a refresh or a dropped connection this way loses no text and repeats none.',
  '204 when no answer runs and none ended in the last minute. When this server shuts down, open',
  'streams end with an `interrupted` event: reconnect, another instance answers.',
].join('\n');

/** The optional Idempotency-Key header of send and regenerate. */
export const ApiIdempotencyKey = () =>
  ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'A unique key per message (e.g. a UUID), 1-200 visible ASCII characters. A retry with the same key within ' +
      '24 h stores nothing again and gets the first attempt\'s outcome (or follows its answer while it runs).',
  });
