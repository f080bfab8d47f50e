import { randomBytes } from 'node:crypto';

/**
 * Random ids from a pool of CSPRNG bytes: one `randomBytes` call serves many ids, which matters
 * on the streaming path (two message ids and a lock token per answer).
 */
const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

export function randomId(bytes: number): string {
  if (offset + bytes > pool.length) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + bytes);
  offset += bytes;
  return id;
}

/** `m_` + 12 random bytes, base64url: unique within any history, safe in URLs and logs. */
export function newMessageId(): string {
  return `m_${randomId(12)}`;
}
