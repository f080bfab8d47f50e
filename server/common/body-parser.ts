import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { json } from 'express';
import { errorBody } from './error-body';
import { requestIdOf } from './all-exceptions.filter';
import { jsonNestedDeeperThan, prototypeKeyPath } from './json-guards';

/** Deepest nesting of objects/arrays a body may have: the API's bodies need 3 levels at most. */
export const MAX_BODY_DEPTH = 32;

/** A refusal raised while checking the raw body; body-parser hands it on with this status. */
class BodyRefused extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Refuses, before parsing, text in another charset than UTF-8 (RFC 8259 requires UTF-8 between
 * systems, and the depth scan reads UTF-8 bytes) and text nested deeper than MAX_BODY_DEPTH.
 */
function checkRawBody(_req: Request, _res: Response, body: Buffer, encoding: string): void {
  if (encoding.toLowerCase() !== 'utf-8') {
    throw new BodyRefused(415, 'charset.unsupported', `Request body must be JSON in UTF-8, not ${encoding}: send "Content-Type: application/json".`);
  }
  if (jsonNestedDeeperThan(body, MAX_BODY_DEPTH)) {
    throw new BodyRefused(400, 'entity.too.deep', `Request body is nested deeper than ${MAX_BODY_DEPTH} levels of objects and arrays.`);
  }
}

/**
 * JSON body parsing whose failures answer in the API's error shape: 413 over the size limit,
 * 400 for malformed, too deeply nested JSON or a prototype key (`__proto__`, `constructor`,
 * `prototype`) anywhere in it (body-parser's own errors would otherwise render as HTML).
 */
export function jsonBodyParser(limitBytes: number): RequestHandler {
  const parse = json({ limit: limitBytes, verify: checkRawBody });
  return (req: Request, res: Response, next: NextFunction) => {
    parse(req, res, (err?: unknown) => {
      const request_id = requestIdOf(req);
      if (!err) {
        const key = prototypeKeyPath(req.body);
        if (!key) return next();
        // Worded as validation words any other unknown property.
        const message = `property ${key} should not exist`;
        res.status(400).json(errorBody(400, message, { details: [message], request_id }));
        return;
      }
      const e = err as { type?: string; status?: number; message?: string; body?: unknown };
      if (e.type === 'entity.too.large' || e.status === 413) {
        res.status(413).json(errorBody(413, `Request body is larger than the ${limitBytes}-byte limit.`, { request_id }));
      } else if (e.type === 'entity.parse.failed') {
        const notAnObject = jsonTypeOf(e.body);
        const message = notAnObject ? `Request body must be a JSON object, not ${notAnObject}` : `Request body is not valid JSON: ${e.message}`;
        res.status(400).json(errorBody(400, message, { request_id }));
      } else if (err instanceof BodyRefused) {
        res.status(err.status).json(errorBody(err.status, err.message, { request_id }));
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
