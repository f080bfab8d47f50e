import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiNotFoundResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorBody } from '../common/error-body';
import { CurrentUser } from '../identity/current-user.decorator';
import type { Identity } from '../identity/identity.types';
import { RateLimit } from '../limits/limits.decorators';
import { SessionDto } from '../sessions/dto/session.dto';
import { SessionIdParam } from '../sessions/session-id';
import { ShareCreateDto, ShareDto, ShareListDto } from './dto/share.dto';
import { RequestOrigin } from './request-origin.decorator';
import { ShareIdParam } from './share-id';
import { SharesService } from './shares.service';

const SESSION_NOT_FOUND_DOC = 'No such session among mine (also for malformed ids and other people\'s sessions)';
const SHARE_NOT_FOUND_DOC = 'No such link: never made, revoked or expired (also for malformed ids)';

@ApiTags('shares')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorBody, description: 'Missing or invalid bearer token' })
@Controller('api')
export class SharesController {
  constructor(private readonly shares: SharesService) {}

  @Post('sessions/:id/shares')
  @ApiBadRequestResponse({ type: ErrorBody, description: 'Invalid expires_in_seconds' })
  @ApiNotFoundResponse({ type: ErrorBody, description: SESSION_NOT_FOUND_DOC })
  @ApiOperation({
    summary: 'Share a session: a read-only link to what it shows now',
    description:
      'Takes a snapshot of the session\'s conversation as shown (later messages are not added) under an unguessable id. ' +
      'Anyone with the link can read it, signed in or not, until it expires (`expires_in_seconds`; absent: never) or is revoked. ' +
      'The snapshot names no identity.',
  })
  createShare(@CurrentUser() me: Identity, @SessionIdParam() id: string, @Body() dto: ShareCreateDto, @RequestOrigin() origin: string): Promise<ShareDto> {
    return this.shares.createShare(me.user_id, id, dto, origin);
  }

  @Get('shares')
  @ApiOperation({ summary: 'List my share links', description: 'Links that still work, newest first.' })
  listShares(@CurrentUser() me: Identity, @RequestOrigin() origin: string): Promise<ShareListDto> {
    return this.shares.listShares(me.user_id, origin);
  }

  @Delete('shares/:share_id')
  @HttpCode(204)
  @ApiNotFoundResponse({ type: ErrorBody, description: 'No such link among mine' })
  @ApiOperation({ summary: 'Revoke a share link', description: 'The link stops working at once (404 for everyone).' })
  revokeShare(@CurrentUser() me: Identity, @ShareIdParam() shareId: string): Promise<void> {
    return this.shares.revokeShare(me.user_id, shareId);
  }

  @Post('shared/:share_id/continue')
  @RateLimit('sessions', 'sessions_per_identity')
  @ApiNotFoundResponse({ type: ErrorBody, description: SHARE_NOT_FOUND_DOC })
  @ApiOperation({
    summary: 'Continue a shared conversation in a session of mine',
    description: 'Copies the snapshot into a new session of the caller (tagged "shared"), which then goes on like any other.',
  })
  continueSharedConversation(@CurrentUser() me: Identity, @ShareIdParam() shareId: string): Promise<SessionDto> {
    return this.shares.continueSharedConversation(me.user_id, shareId);
  }
}
