import { Body, Controller, Get, Headers, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiNotFoundResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ErrorBody } from '../common/error-body';
import { CurrentUser } from '../identity/current-user.decorator';
import type { Identity } from '../identity/identity.types';
import { RateLimit } from '../limits/limits.decorators';
import { SessionIdParam } from '../sessions/session-id';
import { ApiChatError, ApiChatReply, ApiIdempotencyKey, EVENT_STREAM_DESCRIPTION, RESUME_DESCRIPTION } from './chat-api.decorators';
import { ChatService } from './chat.service';
import { GenerationStopDto } from './dto/chat-reply.dto';
import { RegenerateDto } from './dto/conversation.dto';
import { MessageCreateDto } from './dto/message-create.dto';
import { MessageContextViewDto } from './dto/message-context.dto';
import { IdempotentSendsService } from './idempotent-sends.service';
import { MessageContextService } from './message-context.service';
import { wantsEventStream } from './reply-channel';

@ApiTags('chat')
@ApiBearerAuth()
@Controller('api/sessions/:id')
export class ChatController {
  constructor(
    private readonly chat: ChatService,
    private readonly sends: IdempotentSendsService,
    private readonly contexts: MessageContextService,
  ) {}

  @Post('messages')
  @RateLimit('messages', 'messages_per_session', 'daily_tokens')
  @ApiOperation({ summary: 'Send a message and get the answer, streamed (SSE) or as JSON', description: EVENT_STREAM_DESCRIPTION })
  @ApiChatReply()
  @ApiIdempotencyKey()
  @ApiChatError(400, 'Empty content, over 32000 characters, too many tokens for CONTEXT_TOKEN_BUDGET, a parent_id that is not an answer, or a malformed Idempotency-Key.')
  sendMessage(
    @CurrentUser() me: Identity,
    @SessionIdParam() id: string,
    @Body() dto: MessageCreateDto,
    @Headers('idempotency-key') key: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return this.sends.send(me.user_id, id, dto.content, key, { req, res, stream: wantsEventStream(req) }, dto.parent_id);
  }

  @Post('regenerate')
  @RateLimit('messages', 'daily_tokens')
  @ApiOperation({
    summary: 'Answer again: a new version of an answer (streamed or JSON, as for sending)',
    description:
      '`message_id`: the answer to redo, in any branch (default: the last answer shown; when the last message has no ' +
      'answer yet, it is answered). The new answer is a sibling of the old one, which stays (see `sibling_count`); the ' +
      'path through the new answer becomes the one shown. Retry of a failed answer passes its id. 409 when the session ' +
      `has no message to answer yet.\n\n${EVENT_STREAM_DESCRIPTION}`,
  })
  @ApiChatReply()
  @ApiIdempotencyKey()
  regenerateMessage(
    @CurrentUser() me: Identity,
    @SessionIdParam() id: string,
    @Body() dto: RegenerateDto,
    @Headers('idempotency-key') key: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return this.sends.regenerate(me.user_id, id, key, { req, res, stream: wantsEventStream(req) }, dto.message_id);
  }

  @Get('generation')
  @ApiOperation({ summary: 'Resume the answer being generated in this session (server-sent events), from any server instance', description: RESUME_DESCRIPTION })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'The `id:` of the last event received; only later events are sent.' })
  @ApiResponse({
    status: 200,
    description: 'The missed events, then the live ones until `done` or `error`.',
    content: { 'text/event-stream': { schema: { type: 'string', example: 'id: 1732890000000-3\nevent: delta\ndata: {"text":"Hel"}\n\n' } } },
  })
  @ApiResponse({ status: 204, description: 'No answer is being generated, and none ended in the last minute.' })
  @ApiResponse({ status: 400, description: 'Last-Event-ID is not an event id of this stream.', type: ErrorBody })
  @ApiResponse({ status: 404, description: 'No such session among mine.', type: ErrorBody })
  followGeneration(
    @CurrentUser() me: Identity,
    @SessionIdParam() id: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    return this.chat.followGeneration(me.user_id, id, lastEventId || undefined, res);
  }

  @Post('stop')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Stop the answer being generated in this session (from any server instance)',
    description:
      'Returns once the partial answer is stored as `interrupted` and the session takes messages again. `stopped` is ' +
      'false when nothing was running. When the server that ran the answer is gone, its lock is cleared at once.',
  })
  @ApiResponse({ status: 404, description: 'No such session among mine.', type: ErrorBody })
  stopGeneration(@CurrentUser() me: Identity, @SessionIdParam() id: string): Promise<GenerationStopDto> {
    return this.chat.stopGeneration(me.user_id, id);
  }

  @Get('messages/:message_id/context')
  @ApiOperation({
    summary: 'What the model saw for an answer: the exact messages sent, persona prompt included',
    description:
      'The system prompt the answer was written with, then the history messages that fit the context budget, as sent. ' +
      '`exact` is false for answers stored before this was recorded.',
  })
  @ApiParam({ name: 'message_id', description: 'Id of an answer (an assistant message) in this session' })
  @ApiNotFoundResponse({ type: ErrorBody, description: 'No such session among mine, no such message in it, or the message is not an answer.' })
  getMessageContext(@CurrentUser() me: Identity, @SessionIdParam() id: string, @Param('message_id') messageId: string): Promise<MessageContextViewDto> {
    return this.contexts.describeContext(me.user_id, id, messageId);
  }
}
