import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Store } from '../redis/store';
import { BACKUP_FORMAT, BACKUP_VERSION, BackupEnd, BackupGroup, BackupHeader, globEscape, hashTag } from './backup-format';
import { KeyBuckets } from './key-buckets';
import { readGroup } from './read-group';

export interface BackupSummary {
  groups: number;
  keys: number;
  /** Keys left out because a backup holds no values of their type (type → count). */
  unsupported: Record<string, number>;
}

const SCAN_COUNT = 1000;

async function writeLine(out: Writable, value: BackupHeader | BackupGroup | BackupEnd): Promise<void> {
  if (!out.write(`${JSON.stringify(value)}\n`)) await once(out, 'drain');
}

/**
 * Writes every key under `prefix` to `out` as a backup file (backup-format.ts), from a store in
 * use: SCAN finds the keys; each identity's keys (one hash tag) are read together in one MULTI,
 * so a session's hash, its messages and its index entry agree. Keys created after SCAN passed
 * them are not in the backup; keys deleted meanwhile are left out.
 */
export async function writeBackup(store: Store, prefix: string, out: Writable, now = Date.now()): Promise<BackupSummary> {
  const summary: BackupSummary = { groups: 0, keys: 0, unsupported: {} };
  const emit = async (group: string | null, keys: string[]) => {
    const read = await readGroup(store, prefix, keys);
    for (const [type, n] of read.unsupported) summary.unsupported[type] = (summary.unsupported[type] ?? 0) + n;
    if (read.records.length === 0) return;
    await writeLine(out, { group, keys: read.records });
    summary.groups++;
    summary.keys += read.records.length;
  };
  await writeLine(out, { format: BACKUP_FORMAT, version: BACKUP_VERSION, created_at: now, prefix });
  const buckets = await KeyBuckets.create();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await store.scan(cursor, 'MATCH', `${globEscape(prefix)}:*`, 'COUNT', SCAN_COUNT);
      cursor = next;
      for (const key of keys) {
        const tag = hashTag(key.slice(prefix.length + 1));
        // A key outside any identity is a group of its own: written at once.
        if (tag === null) await emit(null, [key]);
        else await buckets.add(tag, key);
      }
    } while (cursor !== '0');
    for await (const groups of buckets.groups()) {
      for (const [tag, keys] of groups) await emit(tag, keys);
    }
  } finally {
    await buckets.remove();
  }
  await writeLine(out, { end: true, groups: summary.groups, keys: summary.keys });
  return summary;
}
