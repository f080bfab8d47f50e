import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
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
  @ApiOperation({
    summary: 'Create an anonymous identity and get its bearer token',
    description:
      'Needs no token. Send the returned token as `Authorization: Bearer <token>` on every other /api call; keep it, as it cannot be shown again. ' +
      'Limited per client address (RATE_LIMIT_GUEST_PER_MINUTE).',
  })
  async createGuestIdentity(): Promise<GuestIdentityDto> {
    const { identity, token } = await this.identities.createGuest();
    return { user_id: identity.user_id, token };
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiUnauthorizedResponse({ type: ErrorBody, description: 'Missing or invalid bearer token' })
  @ApiOperation({
    summary: 'Who the bearer token belongs to',
    description: 'A cheap way to check a stored token: 401 when it is missing or no longer valid.',
  })
  async getCurrentIdentity(@CurrentUser() me: Identity): Promise<IdentityDto> {
    return mapIdentity(await this.identities.describe(me));
  }
}
