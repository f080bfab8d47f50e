import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ErrorBody } from '../common/error-body';
import { CurrentUser } from '../identity/current-user.decorator';
import { RateLimit } from '../limits/limits.decorators';
import type { Identity } from '../identity/identity.types';
import {
  LegacySessionClearedDto,
  LegacySessionCreateDto,
  LegacySessionCreatedDto,
  LegacySessionHistoryDto,
} from './dto/legacy-session.dto';
import { LegacySessionsService } from './legacy-sessions.service';

const REFERENCE = {
  name: 'id',
  description: 'A session id, or the display name of one of my sessions (the newest with that name)',
};

/** The v0 API's session calls, kept working (with the bearer token added). */
@ApiTags('sessions (v0)')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorBody, description: 'Missing or invalid bearer token' })
@Controller('api/session')
export class LegacySessionsController {
  constructor(private readonly legacy: LegacySessionsService) {}

  @Post('create')
  @RateLimit('sessions', 'sessions_per_identity')
  @ApiBadRequestResponse({ type: ErrorBody, description: 'Invalid body or unknown persona' })
  @HttpCode(201)
  @ApiOperation({
    summary: 'v0: create a session named by `user_id`',
    description:
      'Kept for v0 clients; use POST /api/sessions, where `display_name` is the name. ' +
      'Counts toward the same limits as POST /api/sessions (RATE_LIMIT_SESSIONS_PER_MINUTE, MAX_SESSIONS_PER_IDENTITY).',
    deprecated: true,
  })
  createLegacySession(@CurrentUser() me: Identity, @Body() dto: LegacySessionCreateDto): Promise<LegacySessionCreatedDto> {
    return this.legacy.createLegacySession(me.user_id, dto);
  }

  @Get(':id/history')
  @ApiParam(REFERENCE)
  @ApiNotFoundResponse({ type: ErrorBody, description: 'No session of mine with this id or name' })
  @ApiOperation({
    summary: 'v0: a session\'s history (use GET /api/sessions/{id}/messages)',
    description: 'Kept for v0 clients: the history in one answer, oldest first, without paging (at most the newest 1000 messages).',
    deprecated: true,
  })
  getLegacySessionHistory(@CurrentUser() me: Identity, @Param('id') reference: string): Promise<LegacySessionHistoryDto> {
    return this.legacy.getLegacyHistory(me.user_id, reference);
  }

  @Delete(':id/clear')
  @ApiParam(REFERENCE)
  @ApiNotFoundResponse({ type: ErrorBody, description: 'No session of mine with this id or name' })
  @ApiOperation({
    summary: 'v0: clear a session\'s history (use DELETE /api/sessions/{id}/messages)',
    description: 'Kept for v0 clients: removes every message; the session stays.',
    deprecated: true,
  })
  clearLegacySessionHistory(@CurrentUser() me: Identity, @Param('id') reference: string): Promise<LegacySessionClearedDto> {
    return this.legacy.clearLegacyHistory(me.user_id, reference);
  }
}
