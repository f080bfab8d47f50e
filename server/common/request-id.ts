import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const ACCEPTED = /^[A-Za-z0-9._:-]{1,100}$/;

type WithId = IncomingMessage & { id?: unknown };

/**
 * The request's id: the caller's X-Request-Id when it is sane, else a new UUID. Assigned once and
 * echoed in the X-Request-Id response header; the request logger and the error filter read the
 * same value, so a reported id finds every log line of that request.
 */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const withId = req as WithId;
  if (typeof withId.id === 'string') return withId.id;
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && ACCEPTED.test(incoming) ? incoming : randomUUID();
  withId.id = id;
  if (!res.headersSent) res.setHeader('X-Request-Id', id);
  return id;
}
