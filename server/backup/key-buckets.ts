import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** Buckets a backup spreads key names over: at most 1/BUCKETS of them is in memory at once. */
export const BUCKETS = 64;

/**
 * Key names grouped by hash tag without holding them all in memory: SCAN returns one identity's
 * keys scattered over the whole iteration, so names go to temporary files (one per bucket of tags)
 * and each bucket is read back whole and grouped. The files hold key names only, never values.
 */
export class KeyBuckets {
  private readonly files = new Map<number, WriteStream>();

  private constructor(private readonly dir: string) {}

  static async create(): Promise<KeyBuckets> {
    return new KeyBuckets(await mkdtemp(join(tmpdir(), 'nono-backup-')));
  }

  async add(tag: string, key: string): Promise<void> {
    const bucket = createHash('sha1').update(tag).digest().readUInt32BE(0) % BUCKETS;
    let file = this.files.get(bucket);
    if (!file) {
      file = createWriteStream(join(this.dir, String(bucket)));
      this.files.set(bucket, file);
    }
    if (!file.write(`${JSON.stringify([tag, key])}\n`)) await once(file, 'drain');
  }

  /** Each bucket's groups (tag → its keys, each once), one bucket at a time. */
  async *groups(): AsyncGenerator<Map<string, string[]>> {
    await Promise.all([...this.files.values()].map((file) => new Promise((resolve) => file.end(resolve))));
    for (const bucket of [...this.files.keys()].sort((a, b) => a - b)) {
      const groups = new Map<string, Set<string>>();
      const lines = createInterface({ input: createReadStream(join(this.dir, String(bucket))), crlfDelay: Infinity });
      for await (const line of lines) {
        const [tag, key] = JSON.parse(line) as [string, string];
        let keys = groups.get(tag);
        if (!keys) groups.set(tag, (keys = new Set()));
        keys.add(key);
      }
      yield new Map([...groups].map(([tag, keys]) => [tag, [...keys].sort()]));
    }
  }

  async remove(): Promise<void> {
    for (const file of this.files.values()) file.destroy();
    await rm(this.dir, { recursive: true, force: true });
  }
}
