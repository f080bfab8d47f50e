import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../identity/current-user.decorator';
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
@Controller('api/session')
export class LegacySessionsController {
  constructor(private readonly legacy: LegacySessionsService) {}

  @Post('create')
  @HttpCode(201)
  @ApiOperation({ summary: 'v0: create a session named by `user_id`', deprecated: true })
  createLegacySession(@CurrentUser() me: Identity, @Body() dto: LegacySessionCreateDto): Promise<LegacySessionCreatedDto> {
    return this.legacy.createLegacySession(me.user_id, dto);
  }

  @Get(':id/history')
  @ApiParam(REFERENCE)
  @ApiOperation({ summary: 'v0: a session\'s history (use GET /api/sessions/{id}/messages)', deprecated: true })
  getLegacySessionHistory(@CurrentUser() me: Identity, @Param('id') reference: string): Promise<LegacySessionHistoryDto> {
    return this.legacy.getLegacyHistory(me.user_id, reference);
  }

  @Delete(':id/clear')
  @ApiParam(REFERENCE)
  @ApiOperation({ summary: 'v0: clear a session\'s history (use DELETE /api/sessions/{id}/messages)', deprecated: true })
  clearLegacySessionHistory(@CurrentUser() me: Identity, @Param('id') reference: string): Promise<LegacySessionClearedDto> {
    return this.legacy.clearLegacyHistory(me.user_id, reference);
  }
}
