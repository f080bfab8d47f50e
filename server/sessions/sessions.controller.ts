import { Body, Controller, Delete, Get, Header, HttpCode, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ErrorBody } from '../common/error-body';
import { CurrentUser } from '../identity/current-user.decorator';
import type { Identity } from '../identity/identity.types';
import { MessageListDto, MessageListQueryDto } from './dto/message.dto';
import { SessionCreateDto, SessionDto, SessionListDto, SessionListQueryDto, SessionUpdateDto } from './dto/session.dto';
import { SessionIdParam } from './session-id';

const SESSION_NOT_FOUND_DOC = 'No such session among mine (also for malformed ids and other people\'s sessions)';
import { SessionsService } from './sessions.service';

@ApiTags('sessions')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorBody, description: 'Missing or invalid bearer token' })
@Controller('api/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Post()
  @ApiBadRequestResponse({ type: ErrorBody, description: 'Invalid body, query or cursor' })
  @ApiOperation({ summary: 'Create a session (persona defaults to the catalogue default)' })
  createSession(@CurrentUser() me: Identity, @Body() dto: SessionCreateDto): Promise<SessionDto> {
    return this.sessions.createSession(me.user_id, dto);
  }

  @Get()
  @ApiBadRequestResponse({ type: ErrorBody, description: 'Invalid body, query or cursor' })
  @ApiOperation({
    summary: 'List my sessions, newest activity first, a page at a time',
    description: 'Also the v0 API\'s `GET /api/sessions`: `{sessions, count}` with each item\'s `user_id` (= display name).',
  })
  listSessions(@CurrentUser() me: Identity, @Query() query: SessionListQueryDto): Promise<SessionListDto> {
    return this.sessions.listSessions(me.user_id, query);
  }

  @Get(':id')
  @ApiNotFoundResponse({ type: ErrorBody, description: SESSION_NOT_FOUND_DOC })
  @ApiOperation({ summary: 'Get one of my sessions' })
  getSession(@CurrentUser() me: Identity, @SessionIdParam() id: string): Promise<SessionDto> {
    return this.sessions.describeSession(me.user_id, id);
  }

  @Patch(':id')
  @ApiBadRequestResponse({ type: ErrorBody, description: 'Invalid body, query or cursor' })
  @ApiNotFoundResponse({ type: ErrorBody, description: SESSION_NOT_FOUND_DOC })
  @ApiOperation({ summary: 'Rename a session, change its persona or metadata, pin or unpin it' })
  updateSession(@CurrentUser() me: Identity, @SessionIdParam() id: string, @Body() dto: SessionUpdateDto): Promise<SessionDto> {
    return this.sessions.updateSession(me.user_id, id, dto);
  }

  @Delete(':id')
  @ApiNotFoundResponse({ type: ErrorBody, description: SESSION_NOT_FOUND_DOC })
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a session and its history' })
  deleteSession(@CurrentUser() me: Identity, @SessionIdParam() id: string): Promise<void> {
    return this.sessions.deleteSession(me.user_id, id);
  }

  @Get(':id/messages')
  @ApiBadRequestResponse({ type: ErrorBody, description: 'Invalid body, query or cursor' })
  @ApiNotFoundResponse({ type: ErrorBody, description: SESSION_NOT_FOUND_DOC })
  @ApiOperation({ summary: 'Read history: newest page first, oldest first within a page; `before` pages back' })
  @ApiOkResponse({ type: MessageListDto })
  @Header('Content-Type', 'application/json; charset=utf-8')
  listSessionMessages(@CurrentUser() me: Identity, @SessionIdParam() id: string, @Query() query: MessageListQueryDto): Promise<string> {
    // MessageListDto already as JSON text (see SessionsService.listSessionMessages).
    return this.sessions.listSessionMessages(me.user_id, id, query);
  }

  @Delete(':id/messages')
  @ApiNotFoundResponse({ type: ErrorBody, description: SESSION_NOT_FOUND_DOC })
  @ApiOperation({ summary: 'Clear the history; the session stays' })
  clearSessionHistory(@CurrentUser() me: Identity, @SessionIdParam() id: string): Promise<SessionDto> {
    return this.sessions.clearSessionHistory(me.user_id, id);
  }
}
