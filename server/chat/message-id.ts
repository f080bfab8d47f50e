import { randomBytes } from 'node:crypto';

/** `m_` + 12 random bytes, base64url: unique within any history, safe in URLs and logs. */
export function newMessageId(): string {
  return `m_${randomBytes(12).toString('base64url')}`;
}
