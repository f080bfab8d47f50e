import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { IDENTITY_REQUEST_KEY, RequestWithIdentity } from '../identity/identity.types';
import { QUOTAS_KEY } from './limits.metadata';
import { QuotaName, QuotaService, TokenQuotaException } from './quota.service';

/**
 * Refuses a request that would pass one of the route's quotas, before the handler stores anything.
 * The counts are read together (one round trip's wait). Runs after the bearer guard: the caller is known.
 */
@Injectable()
export class QuotaGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly quotas: QuotaService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const names = this.reflector.get<QuotaName[] | undefined>(QUOTAS_KEY, context.getHandler()) ?? [];
    const http = context.switchToHttp();
    const req = http.getRequest<Request & RequestWithIdentity>();
    const identity = req[IDENTITY_REQUEST_KEY];
    if (!identity || names.length === 0) return true;
    const sessionId = typeof req.params?.id === 'string' ? req.params.id : undefined;
    try {
      await Promise.all(names.map((name) => this.quotas.check(name, identity.user_id, sessionId)));
    } catch (error) {
      if (error instanceof TokenQuotaException) http.getResponse<Response>().setHeader('Retry-After', error.retryAfterSeconds);
      throw error;
    }
    return true;
  }
}
