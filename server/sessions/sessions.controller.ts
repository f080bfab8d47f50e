import { Body, Controller, Delete, Get, Header, HttpCode, Patch, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
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
import { RateLimit } from '../limits/limits.decorators';
import type { Identity } from '../identity/identity.types';
import { MessageListDto, MessageListQueryDto } from './dto/message.dto';
import { SessionBulkDto, SessionBulkResultDto } from './dto/session-bulk.dto';
import { SessionCreateDto, SessionDto, SessionListDto, SessionListQueryDto, SessionUpdateDto, SessionUpdatedDto } from './dto/session.dto';
import { SessionIdParam } from './session-id';
import { SessionsService } from './sessions.service';

const SESSION_NOT_FOUND_DOC = 'No such session among mine (also for malformed ids and other people\'s sessions)';

@ApiTags('sessions')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorBody, description: 'Missing or invalid bearer token' })
@Controller('api/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Post()
  @RateLimit('sessions', 'sessions_per_identity')
  @ApiBadRequestResponse({ type: ErrorBody, description: 'Invalid body, query or cursor' })
  @ApiOperation({
    summary: 'Create a session (persona defaults to the catalogue default)',
    description:
      'Creates an empty session owned by the caller. Unless pinned, it is removed after SESSION_TTL_SECONDS ' +
      'without use; `expires_at` says when. Limited per identity (RATE_LIMIT_SESSIONS_PER_MINUTE) and by MAX_SESSIONS_PER_IDENTITY.',
  })
  createSession(@CurrentUser() me: Identity, @Body() dto: SessionCreateDto): Promise<SessionDto> {
    return this.sessions.createSession(me.user_id, dto);
  }

  @Get()
  @ApiBadRequestResponse({ type: ErrorBody, description: 'Invalid body, query or cursor' })
  @ApiOperation({
    summary: 'List my sessions, pinned first, then newest activity first, a page at a time',
    description:
      'Archived sessions are left out unless `archived=true` (which lists only them). `tag`, `persona` and `pinned` ' +
      'narrow the list on the server; pass `next_cursor` back with the same filters. ' +
      'Also the v0 API\'s `GET /api/sessions`: `{sessions, count}` with each item\'s `user_id` (= display name).',
  })
  listSessions(@CurrentUser() me: Identity, @Query() query: SessionListQueryDto): Promise<SessionListDto> {
    return this.sessions.listSessions(me.user_id, query);
  }

  @Post('bulk')
  @HttpCode(200)
  @ApiBadRequestResponse({ type: ErrorBody, description: 'Invalid body (e.g. more than 100 ids, unknown action, tag missing)' })
  @ApiOperation({
    summary: 'Archive, unarchive, delete, tag, untag, pin or unpin many of my sessions at once',
    description:
      'At most 100 ids per request. Each id gets a status in `results`, in the order sent: `ok`, `not_found` ' +
      '(also for other people\'s sessions, which are left unchanged) or `too_many_tags`.',
  })
  bulkUpdateSessions(@CurrentUser() me: Identity, @Body() dto: SessionBulkDto): Promise<SessionBulkResultDto> {
    return this.sessions.bulkUpdateSessions(me.user_id, dto);
  }

  @Get(':id')
  @ApiNotFoundResponse({ type: ErrorBody, description: SESSION_NOT_FOUND_DOC })
  @ApiOperation({
    summary: 'Get one of my sessions',
    description: 'Its name, persona, metadata, message count, pin and when it expires.',
  })
  getSession(@CurrentUser() me: Identity, @SessionIdParam() id: string): Promise<SessionDto> {
    return this.sessions.describeSession(me.user_id, id);
  }

  @Patch(':id')
  @ApiBadRequestResponse({ type: ErrorBody, description: 'Invalid body, query or cursor' })
  @ApiNotFoundResponse({ type: ErrorBody, description: SESSION_NOT_FOUND_DOC })
  @ApiOperation({
    summary: 'Rename a session, change its persona, settings, metadata or tags, pin, unpin, archive or unarchive it',
    description:
      'Only the fields given change. A new persona applies to the answers that follow; the history keeps each message\'s persona ' +
      'and model. `settings` overrides the persona\'s model, temperature, top_p and max_tokens within its `allow_overrides` ' +
      '(GET /api/personas); a parameter it does not allow or a value outside its limits is a 400 naming both, and nothing changes. ' +
      'Switching persona drops the overrides the new persona does not allow; `dropped_settings` lists them. ' +
      'A name given here is kept: no title is made for the session after that.',
  })
  updateSession(@CurrentUser() me: Identity, @SessionIdParam() id: string, @Body() dto: SessionUpdateDto): Promise<SessionUpdatedDto> {
    return this.sessions.updateSession(me.user_id, id, dto);
  }

  @Delete(':id')
  @ApiNotFoundResponse({ type: ErrorBody, description: SESSION_NOT_FOUND_DOC })
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a session and its history',
    description: 'Removes the session and every message in it at once; it cannot be restored.',
  })
  deleteSession(@CurrentUser() me: Identity, @SessionIdParam() id: string): Promise<void> {
    return this.sessions.deleteSession(me.user_id, id);
  }

  @Get(':id/messages')
  @ApiBadRequestResponse({ type: ErrorBody, description: 'Invalid body, query or cursor' })
  @ApiNotFoundResponse({ type: ErrorBody, description: SESSION_NOT_FOUND_DOC })
  @ApiOperation({
    summary: 'Read history: newest page first, oldest first within a page; `before` pages back',
    description: 'Pass `next_cursor` back as `cursor` to read older messages; it is null once the oldest page is reached.',
  })
  @ApiOkResponse({ type: MessageListDto })
  @Header('Content-Type', 'application/json; charset=utf-8')
  async listSessionMessages(
    @CurrentUser() me: Identity,
    @SessionIdParam() id: string,
    @Query() query: MessageListQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    // MessageListDto already as JSON bytes (see SessionsService.listSessionMessages), sent as they are.
    res.send(await this.sessions.listSessionMessages(me.user_id, id, query));
  }

  @Delete(':id/messages')
  @ApiNotFoundResponse({ type: ErrorBody, description: SESSION_NOT_FOUND_DOC })
  @ApiOperation({
    summary: 'Clear the history; the session stays',
    description: 'Removes every message; the session keeps its name, persona, metadata and pin. Returns the session.',
  })
  clearSessionHistory(@CurrentUser() me: Identity, @SessionIdParam() id: string): Promise<SessionDto> {
    return this.sessions.clearSessionHistory(me.user_id, id);
  }
}
