import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { authConfig, AuthConfig } from '../config/config';
import { guestsOffMessage, invalidTokenMessage, missingTokenMessage } from './auth-messages';
import { IdentityService } from './identity.service';
import { Identity, IDENTITY_REQUEST_KEY, RequestWithIdentity } from './identity.types';
import { IS_PUBLIC } from './public.decorator';
import { TrustedProxies } from './trusted-proxies';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The bearer token of a request, if it sent one in the usual form. */
export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  return header ? BEARER.exec(header)?.[1] : undefined;
}

/**
 * Global guard: every route needs a signed-in caller unless marked @Public(). The caller comes
 * from a trusted proxy's user header (AUTH_MODE=proxy, only when the TCP peer is in TRUSTED_PROXY;
 * from anyone else the header is ignored) or from `Authorization: Bearer <token>`. Guests are
 * refused outside guest mode unless ALLOW_GUESTS=true.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  private readonly proxies: TrustedProxies;

  constructor(
    private readonly reflector: Reflector,
    private readonly identities: IdentityService,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
  ) {
    this.proxies = new TrustedProxies(config.trustedProxies);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const req = context.switchToHttp().getRequest<Request & RequestWithIdentity>();
    const identity = (await this.fromProxy(req)) ?? (await this.fromBearer(req));
    if (identity.kind === 'guest' && !this.config.allowGuests) throw new ForbiddenException(guestsOffMessage(this.config.mode));
    req[IDENTITY_REQUEST_KEY] = identity;
    return true;
  }

  private async fromProxy(req: Request): Promise<Identity | null> {
    if (this.config.mode !== 'proxy') return null;
    const header = req.headers[this.config.proxyUserHeader];
    if (typeof header !== 'string' || header.trim() === '' || !this.proxies.has(req.socket.remoteAddress)) return null;
    return this.identities.proxyUser(header);
  }

  private async fromBearer(req: Request): Promise<Identity> {
    const token = bearerToken(req);
    if (!token) throw new UnauthorizedException(missingTokenMessage(this.config.mode));
    const identity = await this.identities.authenticate(token);
    if (!identity) throw new UnauthorizedException(invalidTokenMessage(this.config.mode));
    return identity;
  }
}
