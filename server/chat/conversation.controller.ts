import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ErrorBody } from '../common/error-body';
import { CurrentUser } from '../identity/current-user.decorator';
import type { Identity } from '../identity/identity.types';
import { MessageDto } from '../sessions/dto/message.dto';
import { SessionDto } from '../sessions/dto/session.dto';
import { SessionIdParam } from '../sessions/session-id';
import { ConversationService } from './conversation.service';
import { FeedbackDto, MessageRefDto, MessageVersionsDto } from './dto/conversation.dto';

const NOT_FOUND = 'No such session among mine, or no such message in it';
const BUSY = 'An answer is being generated in this session; stop it or wait until it ends';

@ApiTags('sessions')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorBody, description: 'Missing or invalid bearer token' })
@ApiNotFoundResponse({ type: ErrorBody, description: NOT_FOUND })
@Controller('api/sessions/:id')
export class ConversationController {
  constructor(private readonly conversation: ConversationService) {}

  @Post('path')
  @HttpCode(200)
  @ApiBadRequestResponse({ type: ErrorBody, description: 'message_id missing or not text' })
  @ApiConflictResponse({ type: ErrorBody, description: BUSY })
  @ApiOperation({
    summary: 'Show another version: make the branch through a message active',
    description:
      'The history (GET .../messages) then follows the path through `message_id`, continuing below it with the newest ' +
      'version at each step. Use it for the "‹ n/m ›" arrows: pass the id of the sibling to show. Returns the session.',
  })
  switchSessionPath(@CurrentUser() me: Identity, @SessionIdParam() id: string, @Body() dto: MessageRefDto): Promise<SessionDto> {
    return this.conversation.switchPath(me.user_id, id, dto.message_id);
  }

  @Get('messages/:message_id/versions')
  @ApiParam({ name: 'message_id', description: 'Id of a message of this session (any branch)' })
  @ApiOperation({
    summary: 'The versions of a message: ids of the messages with the same parent',
    description:
      'Oldest first; the message itself is at its `sibling_index`. Pass one of them to POST .../path to show that version.',
  })
  listMessageVersions(@CurrentUser() me: Identity, @SessionIdParam() id: string, @Param('message_id') messageId: string): Promise<MessageVersionsDto> {
    return this.conversation.versions(me.user_id, id, messageId);
  }

  @Post('fork')
  @ApiBadRequestResponse({ type: ErrorBody, description: 'message_id missing or not text' })
  @ApiOperation({
    summary: 'Fork: a new session with the conversation up to a message',
    description: 'The new session (201) holds the path from the first message down to `message_id`, with the same persona and metadata, named "<name> (fork)". The original is unchanged.',
  })
  forkSession(@CurrentUser() me: Identity, @SessionIdParam() id: string, @Body() dto: MessageRefDto): Promise<SessionDto> {
    return this.conversation.fork(me.user_id, id, dto.message_id);
  }

  @Put('messages/:message_id/feedback')
  @ApiParam({ name: 'message_id', description: 'Id of a message of this session (any branch)' })
  @ApiBadRequestResponse({ type: ErrorBody, description: 'rating is not "up" or "down", or the comment is too long' })
  @ApiOperation({
    summary: 'Rate a message (thumbs up or down, with an optional comment)',
    description: 'Replaces any earlier rating of the message. Returns the message, which now carries `feedback`.',
  })
  rateMessage(
    @CurrentUser() me: Identity,
    @SessionIdParam() id: string,
    @Param('message_id') messageId: string,
    @Body() dto: FeedbackDto,
  ): Promise<MessageDto> {
    return this.conversation.setFeedback(me.user_id, id, messageId, dto);
  }

  @Delete('messages/:message_id/feedback')
  @HttpCode(204)
  @ApiParam({ name: 'message_id', description: 'Id of a message of this session (any branch)' })
  @ApiOperation({
    summary: 'Remove my rating of a message',
    description: 'The message no longer carries `feedback`. Also 204 when it had none.',
  })
  clearMessageRating(@CurrentUser() me: Identity, @SessionIdParam() id: string, @Param('message_id') messageId: string): Promise<void> {
    return this.conversation.clearFeedback(me.user_id, id, messageId);
  }

  @Delete('messages/:message_id')
  @ApiParam({ name: 'message_id', description: 'Id of a message of this session (any branch)' })
  @ApiConflictResponse({ type: ErrorBody, description: BUSY })
  @ApiOperation({
    summary: 'Delete a message and everything that follows from it',
    description:
      'Removes the message and every message below it in every branch. When it was shown, the history falls back to ' +
      'its parent and continues with the newest remaining version. Returns the session.',
  })
  deleteSessionMessage(@CurrentUser() me: Identity, @SessionIdParam() id: string, @Param('message_id') messageId: string): Promise<SessionDto> {
    return this.conversation.deleteMessage(me.user_id, id, messageId);
  }
}
