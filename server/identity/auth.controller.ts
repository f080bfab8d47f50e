import { Body, Controller, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { ErrorBody } from '../common/error-body';
import { RateLimit } from '../limits/limits.decorators';
import { authConfig, AuthConfig } from '../config/config';
import { AccountService } from './account.service';
import { bearerToken } from './bearer-auth.guard';
import { CurrentUser } from './current-user.decorator';
import { AuthSettingsDto, LoginDto, mapSignedIn, RegisterDto, SignedInDto } from './dto/auth.dto';
import type { Identity } from './identity.types';
import { Public } from './public.decorator';
import { TokenService } from './token.service';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly accounts: AccountService,
    private readonly tokens: TokenService,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
  ) {}

  @Public()
  @Get('config')
  @ApiOperation({
    summary: 'How to sign in on this server',
    description: 'The sign-in mode (guest, accounts, proxy), whether registration is open and whether guests are allowed, so a client can show the right screen.',
  })
  getAuthSettings(): AuthSettingsDto {
    return { mode: this.config.mode, registration: this.config.registration, guests_allowed: this.config.allowGuests, oidc: this.config.oidc !== undefined };
  }

  @Public()
  @Post('register')
  @RateLimit('login')
  @HttpCode(201)
  @ApiBadRequestResponse({ type: ErrorBody, description: 'Username or password breaks the rules; details say which' })
  @ApiUnauthorizedResponse({ type: ErrorBody, description: 'A bearer token was sent but is invalid or expired' })
  @ApiForbiddenResponse({ type: ErrorBody, description: 'Accounts are off (AUTH_MODE) or registration is closed (REGISTRATION)' })
  @ApiConflictResponse({ type: ErrorBody, description: 'The username is taken, or the bearer token is already an account\'s' })
  @ApiOperation({
    summary: 'Create an account and sign in',
    description:
      'AUTH_MODE=accounts with REGISTRATION=open. Sent with a guest\'s bearer token, the guest identity becomes the account and ' +
      'keeps its sessions (same user_id). The password is stored as an argon2id hash.',
  })
  async register(@Body() dto: RegisterDto, @Req() req: Request): Promise<SignedInDto> {
    return mapSignedIn(await this.accounts.register(dto.username, dto.password, bearerToken(req)));
  }

  @Public()
  @Post('login')
  @RateLimit('login')
  @HttpCode(200)
  @ApiBadRequestResponse({ type: ErrorBody, description: 'Missing or malformed username or password' })
  @ApiUnauthorizedResponse({ type: ErrorBody, description: 'Wrong username or password' })
  @ApiForbiddenResponse({ type: ErrorBody, description: 'Accounts are off on this server (AUTH_MODE)' })
  @ApiOperation({
    summary: 'Sign in with username and password',
    description: 'Returns a new bearer token that lasts TOKEN_TTL_SECONDS after its last use. The username is matched in lowercase.',
  })
  async login(@Body() dto: LoginDto): Promise<SignedInDto> {
    return mapSignedIn(await this.accounts.login(dto.username, dto.password));
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiUnauthorizedResponse({ type: ErrorBody, description: 'Missing or invalid bearer token' })
  @ApiOperation({
    summary: 'Sign out: revoke the token this request was sent with',
    description: 'The token stops working at once on this instance and within a second on every other one. Other tokens keep working.',
  })
  async logout(@CurrentUser() me: Identity): Promise<void> {
    await this.tokens.revokePresented(me);
  }

  @Post('logout-all')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiUnauthorizedResponse({ type: ErrorBody, description: 'Missing or invalid bearer token' })
  @ApiOperation({
    summary: 'Sign out everywhere: revoke every token of my identity',
    description: 'Every sign-in token and every personal API token of the caller stops working (within a second on every instance).',
  })
  async logoutAll(@CurrentUser() me: Identity): Promise<void> {
    await this.tokens.revokeAll(me.user_id);
  }
}
