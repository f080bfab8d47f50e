import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/**
 * `scheme://host` the request was addressed to (behind TRUST_PROXY, as the proxy reports it), so
 * a share link points where its owner reached the server.
 */
export const RequestOrigin = createParamDecorator((_data: unknown, ctx: ExecutionContext): string => {
  const req = ctx.switchToHttp().getRequest<Request>();
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
});
