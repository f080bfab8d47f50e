import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorBody } from '../common/error-body';
import { RateLimit } from '../limits/limits.decorators';
import { CurrentUser } from './current-user.decorator';
import { GuestIdentityDto, IdentityDto, mapIdentity } from './dto/identity.dto';
import { IdentityService } from './identity.service';
import type { Identity } from './identity.types';
import { Public } from './public.decorator';

@ApiTags('identity')
@Controller('api')
export class IdentityController {
  constructor(private readonly identities: IdentityService) {}

  @Public()
  @Post('auth/guest')
  @HttpCode(201)
  @RateLimit('guest')
  @ApiForbiddenResponse({ type: ErrorBody, description: 'Guests are off on this server (ALLOW_GUESTS)' })
  @ApiOperation({
    summary: 'Create an anonymous identity and get its bearer token',
    description:
      'Needs no token. Send the returned token as `Authorization: Bearer <token>` on every other /api call; keep it, as it cannot be shown again. ' +
      'Always available in AUTH_MODE=guest; in accounts and proxy mode only with ALLOW_GUESTS=true (else 403). ' +
      'A guest identity and its data go after GUEST_TTL_SECONDS without activity. Limited per client address (RATE_LIMIT_GUEST_PER_MINUTE).',
  })
  async createGuestIdentity(): Promise<GuestIdentityDto> {
    const { identity, token } = await this.identities.createGuest();
    return { user_id: identity.user_id, token };
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiUnauthorizedResponse({ type: ErrorBody, description: 'Missing or invalid bearer token' })
  @ApiForbiddenResponse({ type: ErrorBody, description: 'Guest token while guests are off (ALLOW_GUESTS)' })
  @ApiOperation({
    summary: 'Who the caller is',
    description: 'The identity behind the bearer token (or the trusted proxy\'s user header): id, kind (guest, account, proxy) and username.',
  })
  async getCurrentIdentity(@CurrentUser() me: Identity): Promise<IdentityDto> {
    return mapIdentity(await this.identities.describe(me));
  }
}
