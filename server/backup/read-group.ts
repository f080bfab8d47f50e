import { repliesOf, Store, StoreTransaction } from '../redis/store';
import { BackupRecord, RECORD_TYPES, RecordType } from './backup-format';

/** How a key of each type is read whole, queued in a transaction. */
const READERS: Record<RecordType, (tx: StoreTransaction, key: string) => void> = {
  string: (tx, key) => tx.get(key),
  hash: (tx, key) => tx.hgetall(key),
  list: (tx, key) => tx.lrange(key, 0, -1),
  zset: (tx, key) => tx.zrevrangebyscore(key, '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, -1),
};

function valueOf(type: RecordType, reply: unknown): BackupRecord['value'] {
  if (type !== 'zset') return reply as BackupRecord['value'];
  const flat = reply as string[];
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
  // Lowest score first, as ZADD would build it (the order is only for people reading the file).
  return pairs.reverse();
}

export interface GroupRead {
  records: BackupRecord[];
  /** Keys of a type a backup does not hold (type → count). */
  unsupported: Map<string, number>;
}

const ATTEMPTS = 5;

/**
 * The keys of one group (one hash tag, so one Cluster slot) read in one MULTI: each key's TYPE,
 * PTTL and whole value at the same instant. Types are learnt first; when one changed before the
 * MULTI ran (a key deleted or recreated meanwhile), the group is read again. `prefix` is removed
 * from the keys in the records.
 */
export async function readGroup(store: Store, prefix: string, keys: string[]): Promise<GroupRead> {
  for (let attempt = 1; ; attempt++) {
    const types = await Promise.all(keys.map((key) => store.type(key)));
    const tx = store.multi();
    keys.forEach((key, i) => {
      tx.type(key).pttl(key);
      if (isRecordType(types[i])) READERS[types[i] as RecordType](tx, key);
    });
    const replies = repliesOf(await tx.exec());
    const now = Date.now();
    const read = collect(keys, types, replies, prefix, now);
    if (read) return read;
    if (attempt === ATTEMPTS) throw new Error(`Keys of ${keys[0]}'s group kept changing type while being read; try again`);
  }
}

const isRecordType = (type: string): boolean => (RECORD_TYPES as readonly string[]).includes(type);

/** The records from a MULTI's replies, or null when a key's type changed since it was learnt. */
function collect(keys: string[], types: string[], replies: unknown[], prefix: string, now: number): GroupRead | null {
  const records: BackupRecord[] = [];
  const unsupported = new Map<string, number>();
  let at = 0;
  for (let i = 0; i < keys.length; i++) {
    const [type, pttl] = [replies[at++] as string, Number(replies[at++])];
    if (type !== types[i]) return null;
    if (type === 'none') continue;
    if (!isRecordType(type)) {
      unsupported.set(type, (unsupported.get(type) ?? 0) + 1);
      continue;
    }
    const value = valueOf(type as RecordType, replies[at++]);
    const expires_at = pttl >= 0 ? now + pttl : null;
    records.push({ key: keys[i].slice(prefix.length + 1), type, expires_at, value } as BackupRecord);
  }
  return { records, unsupported };
}
