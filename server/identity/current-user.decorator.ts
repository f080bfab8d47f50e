import { createParamDecorator, ExecutionContext, UnauthorizedException } from '@nestjs/common';
import { Identity, IDENTITY_REQUEST_KEY, RequestWithIdentity } from './identity.types';

/**
 * The caller of a protected route: `handler(@CurrentUser() me: Identity)`. The global bearer guard
 * has already rejected requests without a valid token, so this always yields an identity there.
 */
export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): Identity => {
  const identity = ctx.switchToHttp().getRequest<RequestWithIdentity>()[IDENTITY_REQUEST_KEY];
  // Only reachable on a route marked @Public() that asks for the caller by mistake.
  if (!identity) throw new UnauthorizedException(MISSING_TOKEN_MESSAGE);
  return identity;
});

export const MISSING_TOKEN_MESSAGE =
  'Missing bearer token: send Authorization: Bearer <token> from POST /api/auth/guest';
