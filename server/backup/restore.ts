import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { repliesOf, Store, StoreTransaction } from '../redis/store';
import { BackupFileError, BackupGroup, BackupHeader, BackupRecord, isEnd, parseGroup, parseHeader } from './backup-format';

export interface RestoreSummary {
  header: BackupHeader;
  groups: number;
  keys: number;
  /** Keys whose TTL ran out since the backup: not restored. */
  expired: number;
}

/** Numbered lines of a file, streamed. */
async function* linesOf(file: string): AsyncGenerator<[number, string]> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) yield [++n, line];
}

/**
 * Every line of the file, checked: the header first, then groups, then the end line with matching
 * counts. Throws naming the first bad line, so a truncated or damaged file restores nothing.
 */
async function* checkedGroups(file: string): AsyncGenerator<BackupHeader | BackupGroup> {
  let [groups, keys, ended] = [0, 0, false];
  const fail = (line: number, why: string): never => {
    throw new BackupFileError(`Line ${line} of ${file}: ${why}. Nothing was restored.`);
  };
  for await (const [n, text] of linesOf(file)) {
    if (ended) fail(n, 'there is more after the end line');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      fail(n, `not valid JSON (${(error as Error).message}); the file may be cut short or damaged`);
    }
    try {
      if (n === 1) yield parseHeader(value);
      else if (isEnd(value)) {
        if (value.groups !== groups || value.keys !== keys) fail(n, `the end line counts ${value.groups} groups and ${value.keys} keys, the file holds ${groups} and ${keys}`);
        ended = true;
      } else {
        const group = parseGroup(value);
        groups++;
        keys += group.keys.length;
        yield group;
      }
    } catch (error) {
      if (error instanceof BackupFileError && !error.message.startsWith('Line ')) fail(n, error.message);
      throw error;
    }
  }
  if (!ended) throw new BackupFileError(`${file} ends without its end line: it is cut short (an interrupted backup or copy). Nothing was restored.`);
}

/** Large lists go in parts of this many values (one RPUSH each, in the same MULTI). */
const PUSH_PART = 1000;

const WRITERS: { [T in BackupRecord['type']]: (tx: StoreTransaction, key: string, value: Extract<BackupRecord, { type: T }>['value']) => void } = {
  string: (tx, key, value) => tx.set(key, value),
  hash: (tx, key, value) => tx.hset(key, value),
  list: (tx, key, value) => {
    for (let i = 0; i < value.length; i += PUSH_PART) tx.rpush(key, ...value.slice(i, i + PUSH_PART));
  },
  zset: (tx, key, value) => {
    for (const [member, score] of value) tx.zadd(key, scoreOf(score), member);
  },
};

function scoreOf(text: string): number {
  const lower = text.toLowerCase();
  return lower === 'inf' || lower === '+inf' ? Infinity : lower === '-inf' ? -Infinity : Number(text);
}

/**
 * One group in one MULTI: its keys deleted and written again with their remaining TTL, so running
 * a restore twice gives the same data (never a history twice) and a Cluster gets one slot per
 * MULTI. Keys expired since the backup are skipped. Returns [keys written, keys expired].
 */
async function restoreGroup(store: Store, prefix: string, group: BackupGroup, now: number): Promise<[number, number]> {
  const live = group.keys.filter((r) => r.expires_at === null || r.expires_at > now);
  const written = live.filter((r) => !(r.type === 'hash' ? Object.keys(r.value).length === 0 : r.type !== 'string' && r.value.length === 0));
  if (written.length > 0) {
    const tx = store.multi().del(...written.map((r) => `${prefix}:${r.key}`));
    for (const record of written) {
      const key = `${prefix}:${record.key}`;
      (WRITERS[record.type] as (tx: StoreTransaction, key: string, value: unknown) => void)(tx, key, record.value);
      if (record.expires_at !== null) tx.pexpire(key, record.expires_at - now);
    }
    repliesOf(await tx.exec());
  }
  return [written.length, group.keys.length - live.length];
}

/**
 * Loads a backup file into `store` under `prefix`: the whole file is checked first (nothing is
 * written when any line is bad), then each group is written in its own MULTI.
 */
export async function restoreBackup(store: Store, prefix: string, file: string): Promise<RestoreSummary> {
  let header: BackupHeader | undefined;
  for await (const item of checkedGroups(file)) if (!header) header = item as BackupHeader;
  const summary: RestoreSummary = { header: header!, groups: 0, keys: 0, expired: 0 };
  let first = true;
  for await (const item of checkedGroups(file)) {
    if (first) {
      first = false;
      continue;
    }
    const [keys, expired] = await restoreGroup(store, prefix, item as BackupGroup, Date.now());
    summary.groups += keys > 0 ? 1 : 0;
    summary.keys += keys;
    summary.expired += expired;
  }
  return summary;
}
