import { Database, SortedSet } from './memory-redis';
import { encodeRecord } from './embedded-records';

/** The first record of a snapshot: which log generation continues it. */
export const SNAPSHOT_HEADER = '#snapshot';

/** Values per RPUSH record, so a long history never makes one huge line or call. */
const LIST_CHUNK = 1000;

/**
 * The live data of `db` at `time` as records that rebuild it when replayed on that clock: one
 * write per value, then PEXPIRE for keys with a TTL (the same absolute expiry, since replay runs at
 * `time`). Expired keys are left out. A value of a type with no case here throws (the caller keeps
 * the log instead of writing an incomplete snapshot).
 */
export function snapshotRecords(db: Database, time: number, nextLog: number): string[] {
  const lines = [encodeRecord(time, SNAPSHOT_HEADER, [{ log: nextLog }])];
  for (const [key, { value, expiresAt }] of db.data) {
    if (expiresAt !== undefined && expiresAt <= time) continue;
    if (typeof value === 'string') lines.push(encodeRecord(time, 'set', [key, value]));
    else if (value instanceof Map) lines.push(encodeRecord(time, 'hset', [key, Object.fromEntries(value)]));
    else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i += LIST_CHUNK) lines.push(encodeRecord(time, 'rpush', [key, ...value.slice(i, i + LIST_CHUNK)]));
    } else if (value instanceof SortedSet) {
      for (const [member, score] of value.scores) lines.push(encodeRecord(time, 'zadd', [key, score, member]));
    } else throw new Error(`the snapshot cannot write key ${JSON.stringify(key)}: its type has no case in embedded-snapshot.ts`);
    if (expiresAt !== undefined) lines.push(encodeRecord(time, 'pexpire', [key, expiresAt - time]));
  }
  return lines;
}
