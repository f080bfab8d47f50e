import { BadRequestException, Inject, Injectable, Logger, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import type * as OpenId from 'openid-client';
import { authConfig, AuthConfig } from '../config/config';
import type { SignedIn } from './account.service';
import { newUserId } from './identity.ids';
import { IdentityRepository } from './identity.repository';
import { OidcRepository } from './oidc.repository';
import { TokenService } from './token.service';

const PENDING_MS = 10 * 60 * 1000;
const NOT_CONFIGURED =
  'OpenID Connect sign-in is not configured on this server: the administrator sets OIDC_ISSUER_URL, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET';

/** openid-client is ESM-only; a real import() (which TypeScript would turn into require) loads it. */
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<typeof OpenId>;

/** Sign-in with an OpenID Connect provider: authorization code flow with PKCE, state and nonce. */
@Injectable()
export class OidcService {
  private readonly logger = new Logger('OpenID Connect');
  private client?: Promise<{ lib: typeof OpenId; config: OpenId.Configuration }>;

  constructor(
    private readonly pending: OidcRepository,
    private readonly identities: IdentityRepository,
    private readonly tokens: TokenService,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
  ) {}

  get enabled(): boolean {
    return this.config.oidc !== undefined;
  }

  /** Where to send the browser to sign in; `requestCallbackUrl` is used when OIDC_REDIRECT_URL is unset. */
  async authorizationUrl(requestCallbackUrl: string): Promise<string> {
    const { lib, config } = await this.connect();
    const redirectUri = this.config.oidc!.redirectUrl ?? requestCallbackUrl;
    const verifier = lib.randomPKCECodeVerifier();
    const state = lib.randomState();
    const nonce = lib.randomNonce();
    await this.pending.savePending(state, { verifier, nonce, redirect_uri: redirectUri }, PENDING_MS);
    const url = lib.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile email',
      code_challenge: await lib.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return url.href;
  }

  /** Completes a sign-in from the provider's redirect (its query string). */
  async complete(query: Record<string, string>): Promise<SignedIn> {
    const { lib, config } = await this.connect();
    if (query.error) throw new BadRequestException(`The sign-in provider refused: ${query.error_description ?? query.error}`);
    const pending = query.state ? await this.pending.takePending(query.state) : null;
    if (!pending) throw new BadRequestException('This sign-in link is unknown, used or expired: start again at GET /api/auth/oidc/login');
    const callback = new URL(pending.redirect_uri);
    for (const [name, value] of Object.entries(query)) callback.searchParams.set(name, value);
    let claims: OpenId.IDToken | undefined;
    try {
      const tokens = await lib.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: pending.verifier,
        expectedState: query.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (error) {
      this.logger.warn(`Code exchange failed: ${(error as Error).message}`);
      throw new BadRequestException('The sign-in provider did not confirm this sign-in: start again at GET /api/auth/oidc/login');
    }
    return this.signIn(claims!);
  }

  private async signIn(claims: OpenId.IDToken): Promise<SignedIn> {
    const name = String(claims.preferred_username ?? claims.email ?? claims.sub);
    const { userId, created } = await this.pending.identityOf(claims.iss, claims.sub, newUserId());
    if (created || !(await this.identities.find(userId))) {
      await this.identities.create({ user_id: userId, created_at: Date.now(), kind: 'oidc', username: name });
    }
    return { user_id: userId, username: name, ...(await this.tokens.issueLogin(userId)) };
  }

  /** Discovers the provider once; a failure is retried on the next sign-in. */
  private connect(): Promise<{ lib: typeof OpenId; config: OpenId.Configuration }> {
    const settings = this.config.oidc;
    if (!settings) throw new NotFoundException(NOT_CONFIGURED);
    this.client ??= (async () => {
      const lib = await importEsm('openid-client');
      const issuer = new URL(settings.issuer);
      // Plain http only for a provider on this machine (development, tests).
      const local = issuer.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(issuer.hostname);
      // HTTP Basic client authentication: the one every provider must support (RFC 6749 2.3.1).
      const auth = lib.ClientSecretBasic(settings.clientSecret);
      const config = await lib.discovery(issuer, settings.clientId, undefined, auth, local ? { execute: [lib.allowInsecureRequests] } : undefined);
      return { lib, config };
    })();
    return this.client.catch((error: Error) => {
      this.client = undefined;
      this.logger.warn(`Provider discovery failed: ${error.message}`);
      throw new ServiceUnavailableException(`The sign-in provider at ${settings.issuer} cannot be reached right now: try again shortly`);
    });
  }
}
