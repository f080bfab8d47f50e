import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { errorBody, ErrorBody } from './error-body';

/**
 * Errors the Redis client raises while the store is unreachable, or while a Cluster or Sentinel
 * failover is under way (a master gone, its slots not yet served, a demoted master refusing writes,
 * a slot's new owner named by a MOVED or ASK redirection the client does not follow by itself — it
 * only follows them for single commands and for transactions, not for a pipeline of writes, whose
 * redirected commands were not applied).
 */
const STORE_UNAVAILABLE = new RegExp(
  [
    "MaxRetriesPerRequest|Stream isn't writeable|StoreNotReadyError|Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT",
    'Command timed out|ENOTFOUND|EHOSTUNREACH',
    'CLUSTERDOWN|TRYAGAIN|Too many Cluster redirections|Failed to refresh slots cache|None of startup nodes is available',
    "Cluster isn't ready|ClusterAllFailedError|All sentinels are unreachable|MASTERDOWN|READONLY|LOADING",
    '\\b(?:MOVED|ASK) \\d+ \\S+:\\d+',
  ].join('|'),
  'i',
);

export function isStoreUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // A failed MULTI (EXECABORT) carries the queued commands' errors; any of them may say why.
  const inner = (error as Error & { previousErrors?: unknown[] }).previousErrors ?? [];
  const text = [error, ...inner].map((e) => (e instanceof Error ? `${e.name} ${e.message}` : String(e))).join(' ');
  return STORE_UNAVAILABLE.test(text);
}

/** What a person is told when the store cannot be reached. */
export const STORE_UNAVAILABLE_MESSAGE = 'The session store (Redis) is unavailable right now. Try again in a moment.';

export function requestIdOf(req: Request): string | undefined {
  const id = (req as Request & { id?: unknown }).id;
  return id === undefined ? undefined : String(id);
}

/** Renders every error as `{statusCode, error, message}`; never leaks a stack trace. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    const body = this.toBody(exception, req);
    if (res.headersSent) {
      // A streamed response already started: the stream's own error event told the client.
      res.end();
      return;
    }
    res.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown, req: Request): ErrorBody {
    const request_id = requestIdOf(req);
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      let message = exception.message;
      let details: string[] | undefined;
      if (typeof response === 'object' && response !== null) {
        const m = (response as { message?: unknown }).message;
        if (Array.isArray(m)) {
          details = m.map(String);
          message = details.join('; ');
        } else if (typeof m === 'string') {
          message = m;
        }
        const d = (response as { details?: unknown }).details;
        if (Array.isArray(d)) details = d.map(String);
      } else if (typeof response === 'string') {
        message = response;
      }
      if (status === HttpStatus.NOT_FOUND && /^Cannot (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /.test(message)) {
        message = `No such endpoint: ${req.method} ${req.path}. The API reference is at /api/docs.`;
      }
      return errorBody(status, message, { ...(details ? { details } : {}), request_id });
    }
    if (isStoreUnavailable(exception)) {
      this.logger.warn(`request ${request_id}: store unavailable: ${(exception as Error).message}`);
      return errorBody(503, STORE_UNAVAILABLE_MESSAGE, {
        request_id,
      });
    }
    this.logger.error(
      `request ${request_id} ${req.method} ${req.originalUrl} failed: ${(exception as Error)?.stack ?? String(exception)}`,
    );
    return errorBody(500, `Something went wrong on our side. Quote request id ${request_id} when reporting it.`, {
      request_id,
    });
  }
}
