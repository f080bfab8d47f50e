import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { json } from 'express';
import { errorBody } from './error-body';
import { requestIdOf } from './all-exceptions.filter';

/**
 * JSON body parsing whose failures answer in the API's error shape: 413 over the size limit,
 * 400 for malformed JSON (body-parser's own errors would otherwise render as HTML).
 */
export function jsonBodyParser(limitBytes: number): RequestHandler {
  const parse = json({ limit: limitBytes });
  return (req: Request, res: Response, next: NextFunction) => {
    parse(req, res, (err?: unknown) => {
      if (!err) return next();
      const e = err as { type?: string; status?: number; message?: string; body?: unknown };
      const request_id = requestIdOf(req);
      if (e.type === 'entity.too.large' || e.status === 413) {
        res.status(413).json(errorBody(413, `Request body is larger than the ${limitBytes}-byte limit.`, { request_id }));
      } else if (e.type === 'entity.parse.failed') {
        const notAnObject = jsonTypeOf(e.body);
        const message = notAnObject ? `Request body must be a JSON object, not ${notAnObject}` : `Request body is not valid JSON: ${e.message}`;
        res.status(400).json(errorBody(400, message, { request_id }));
      } else {
        const status = e.status && e.status >= 400 && e.status < 500 ? e.status : 400;
        res.status(status).json(errorBody(status, `Request body could not be read: ${e.message}`, { request_id }));
      }
    });
  };
}

/** For a body that is valid JSON but no object or array (which strict parsing refuses): what it is. */
function jsonTypeOf(body: unknown): string | null {
  if (typeof body !== 'string') return null;
  try {
    const value: unknown = JSON.parse(body);
    return value === null ? 'null' : typeof value;
  } catch {
    return null;
  }
}
