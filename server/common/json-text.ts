import type { Response } from 'express';

const COMMA = 0x2c;

/** `prefix` + the JSON values in `items`, comma-separated + `suffix`, as one buffer (one copy per item). */
export function joinJson(prefix: string, items: Buffer[], suffix: string): Buffer {
  let size = Buffer.byteLength(prefix) + Buffer.byteLength(suffix) + Math.max(0, items.length - 1);
  for (const item of items) size += item.length;
  const out = Buffer.allocUnsafe(size);
  let at = out.write(prefix, 0);
  items.forEach((item, i) => {
    if (i > 0) out[at++] = COMMA;
    at += item.copy(out, at);
  });
  out.write(suffix, at);
  return out;
}

/** Sends JSON that is already serialized (e.g. joined from stored JSON) as the 200 body. */
export function sendJsonText(res: Response, json: Buffer | string): void {
  const body = typeof json === 'string' ? Buffer.from(json) : json;
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
