import { Database, SortedSet, StreamLog } from './memory-data';
import { RecordWriter } from './embedded-records';

/** The first record of a snapshot: which log generation continues it. */
export const SNAPSHOT_HEADER = '#snapshot';

/** Values per RPUSH (fields per HSET) record, so a long history never makes one huge record or call. */
const CHUNK_VALUES = 1000;

/** Bytes per chunk handed to the writer (requests are served between chunks). */
const CHUNK_BYTES = 1 << 20;

/** One key's value, copied; a sorted set as its member → score map. */
type Copy =
  | { key: string; expiresAt?: number; kind: 'string'; value: string }
  | { key: string; expiresAt?: number; kind: 'hash'; value: Map<string, string> }
  | { key: string; expiresAt?: number; kind: 'list'; value: string[] }
  | { key: string; expiresAt?: number; kind: 'zset'; value: Map<string, number> };

/**
 * The live data of `db` at `time`, copied shallowly (containers copied, strings shared) so it can be
 * written out while the store goes on changing. Cheap: no encoding happens here. A value of a type
 * with no case here throws (the caller keeps the log instead of writing an incomplete snapshot).
 */
export function captureData(db: Database, time: number): Copy[] {
  const copies: Copy[] = [];
  for (const [key, { value, expiresAt }] of db.data) {
    if (expiresAt !== undefined && expiresAt <= time) continue;
    if (typeof value === 'string') copies.push({ key, expiresAt, kind: 'string', value });
    else if (value instanceof Map) copies.push({ key, expiresAt, kind: 'hash', value: new Map(value) });
    else if (Array.isArray(value)) copies.push({ key, expiresAt, kind: 'list', value: value.slice() });
    else if (value instanceof SortedSet) copies.push({ key, expiresAt, kind: 'zset', value: new Map(value.scores) });
    // A generation's event log lives a minute past its answer, which is stored in the history:
    // not worth carrying across a compaction.
    else if (value instanceof StreamLog) continue;
    else throw new Error(`the snapshot cannot write key ${JSON.stringify(key)}: its type has no case in embedded-snapshot.ts`);
  }
  return copies;
}

/**
 * The snapshot file (embedded-records.ts format), in chunks of about a megabyte encoded one at a
 * time: records that rebuild the captured data when replayed on `time`'s clock, one write per
 * value, then PEXPIRE for keys with a TTL (the same absolute expiry, since replay runs at `time`).
 */
export function* snapshotChunks(copies: Copy[], time: number, nextLog: number): Generator<Buffer> {
  const out = new RecordWriter(CHUNK_BYTES + (CHUNK_BYTES >> 2));
  out.magic();
  out.record(time, SNAPSHOT_HEADER, [{ log: nextLog }]);
  for (const { key, expiresAt, kind, value } of copies) {
    if (kind === 'string') out.record(time, 'set', [key, value]);
    else if (kind === 'hash') {
      for (const fields of mapChunks(value as Map<string, string>)) {
        out.record(time, 'hset', [key, fields]);
        if (out.size >= CHUNK_BYTES) yield out.take();
      }
    } else if (kind === 'list') {
      const list = value as string[];
      for (let i = 0; i < list.length; i += CHUNK_VALUES) {
        out.record(time, 'rpush', [key, ...list.slice(i, i + CHUNK_VALUES)]);
        if (out.size >= CHUNK_BYTES) yield out.take();
      }
    } else for (const [member, score] of value as Map<string, number>) out.record(time, 'zadd', [key, score, member]);
    if (expiresAt !== undefined) out.record(time, 'pexpire', [key, expiresAt - time]);
    if (out.size >= CHUNK_BYTES) yield out.take();
  }
  yield out.take();
}

/** A hash's fields, CHUNK_VALUES at a time (the whole Map when it is small). */
function* mapChunks(hash: Map<string, string>): Generator<Map<string, string>> {
  if (hash.size <= CHUNK_VALUES) {
    yield hash;
    return;
  }
  let chunk = new Map<string, string>();
  for (const [field, value] of hash) {
    chunk.set(field, value);
    if (chunk.size === CHUNK_VALUES) {
      yield chunk;
      chunk = new Map();
    }
  }
  if (chunk.size > 0) yield chunk;
}
