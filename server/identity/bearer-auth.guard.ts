import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { INVALID_TOKEN_MESSAGE, MISSING_TOKEN_MESSAGE } from './current-user.decorator';
import { IdentityService } from './identity.service';
import { IDENTITY_REQUEST_KEY, RequestWithIdentity } from './identity.types';
import { IS_PUBLIC } from './public.decorator';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Global guard: every route needs `Authorization: Bearer <token>` unless marked @Public(). The
 * token's user comes from the store, or from a short-lived in-process cache (see TokenCache).
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly identities: IdentityService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const req = context.switchToHttp().getRequest<Request & RequestWithIdentity>();
    const header = req.headers.authorization;
    if (!header || header.trim() === '') throw new UnauthorizedException(MISSING_TOKEN_MESSAGE);
    const match = BEARER.exec(header);
    if (!match) throw new UnauthorizedException(MISSING_TOKEN_MESSAGE);
    const identity = await this.identities.authenticate(match[1]);
    if (!identity) throw new UnauthorizedException(INVALID_TOKEN_MESSAGE);
    req[IDENTITY_REQUEST_KEY] = identity;
    return true;
  }
}
