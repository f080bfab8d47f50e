import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ErrorBody } from '../common/error-body';
import { CurrentUser } from '../identity/current-user.decorator';
import type { Identity } from '../identity/identity.types';
import { RateLimit } from '../limits/limits.decorators';
import { SessionIdParam } from '../sessions/session-id';
import { ApiChatError, ApiChatReply, EVENT_STREAM_DESCRIPTION } from './chat-api.decorators';
import { ChatService } from './chat.service';
import { GenerationStopDto } from './dto/chat-reply.dto';
import { MessageCreateDto } from './dto/message-create.dto';
import { replyChannelFor } from './reply-channel';

@ApiTags('chat')
@ApiBearerAuth()
@Controller('api/sessions/:id')
export class ChatController {
  constructor(private readonly chat: ChatService) {}

  @Post('messages')
  @RateLimit('messages', 'messages_per_session', 'daily_tokens')
  @ApiOperation({ summary: 'Send a message and get the answer, streamed (SSE) or as JSON', description: EVENT_STREAM_DESCRIPTION })
  @ApiChatReply()
  @ApiChatError(400, 'Empty content, over 32000 characters, or too many tokens for CONTEXT_TOKEN_BUDGET.')
  sendMessage(
    @CurrentUser() me: Identity,
    @SessionIdParam() id: string,
    @Body() dto: MessageCreateDto,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return this.chat.sendMessage(me.user_id, id, dto.content, replyChannelFor(req, res));
  }

  @Post('regenerate')
  @RateLimit('messages', 'daily_tokens')
  @ApiOperation({
    summary: 'Answer the last message again, replacing the last answer (streamed or JSON, as for sending)',
    description: `409 when the session has no message to answer yet.\n\n${EVENT_STREAM_DESCRIPTION}`,
  })
  @ApiChatReply()
  regenerateMessage(@CurrentUser() me: Identity, @SessionIdParam() id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.chat.regenerateMessage(me.user_id, id, replyChannelFor(req, res));
  }

  @Post('stop')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Stop the answer being generated in this session (from any server instance)',
    description: 'Returns once the partial answer is stored as `interrupted`. `stopped` is false when nothing was running.',
  })
  @ApiResponse({ status: 404, description: 'No such session among mine.', type: ErrorBody })
  stopGeneration(@CurrentUser() me: Identity, @SessionIdParam() id: string): Promise<GenerationStopDto> {
    return this.chat.stopGeneration(me.user_id, id);
  }
}
