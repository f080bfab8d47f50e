import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiFoundResponse, ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ErrorBody } from '../common/error-body';
import { OidcService } from './oidc.service';
import { Public } from './public.decorator';

const CALLBACK_PATH = '/api/auth/oidc/callback';

@ApiTags('auth')
@Controller('api/auth/oidc')
export class OidcController {
  constructor(private readonly oidc: OidcService) {}

  @Public()
  @Get('login')
  @ApiFoundResponse({ description: 'Redirect to the provider\'s sign-in page' })
  @ApiNotFoundResponse({ type: ErrorBody, description: 'OpenID Connect is not configured (OIDC_ISSUER_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET)' })
  @ApiOperation({
    summary: 'Sign in with the OpenID Connect provider',
    description: 'Redirects the browser to the provider (authorization code flow with PKCE); it comes back to /api/auth/oidc/callback.',
  })
  async startOidcLogin(@Req() req: Request, @Res() res: Response): Promise<void> {
    res.redirect(302, await this.oidc.authorizationUrl(`${req.protocol}://${req.get('host')}${CALLBACK_PATH}`));
  }

  @Public()
  @Get('callback')
  @ApiFoundResponse({ description: 'Signed in: redirect to `/#token=<token>&user_id=...&username=...&expires_at=...`' })
  @ApiBadRequestResponse({ type: ErrorBody, description: 'Unknown, used or expired sign-in, or the provider refused' })
  @ApiOperation({
    summary: 'Where the OpenID Connect provider sends the browser back',
    description:
      'Exchanges the code for the provider\'s ID token, finds or creates the identity of its subject and redirects to the web ' +
      'client with a new bearer token in the URL fragment (never sent to a server or written to logs).',
  })
  async finishOidcLogin(@Query() query: Record<string, string>, @Res() res: Response): Promise<void> {
    const signedIn = await this.oidc.complete(query);
    const fragment = new URLSearchParams({
      token: signedIn.token,
      user_id: signedIn.user_id,
      username: signedIn.username,
      expires_at: signedIn.expires_at === null ? '' : new Date(signedIn.expires_at).toISOString(),
    });
    res.redirect(302, `/#${fragment.toString()}`);
  }
}
