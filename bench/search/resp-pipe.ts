import { spawn } from 'node:child_process';
import type { StoreTransaction } from '../../server/redis/store';

type Value = string | number;

/**
 * Bulk writes for filling the benchmark's Redis fast: the few StoreTransaction commands the
 * repositories' encoders and index code queue (HSET, HDEL, RPUSH, ZADD, SET, DEL, APPEND, SETRANGE), written straight as
 * RESP into `redis-cli --pipe` (no client-side command objects: a million messages fill in minutes,
 * not in an hour). Replies are counted by redis-cli; close() fails on any error reply.
 */
export class RespPipe {
  private readonly child;
  private chunks: string[] = [];
  private size = 0;
  private readonly done: Promise<string>;

  constructor(port: number) {
    this.child = spawn('redis-cli', ['-p', String(port), '--pipe'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let output = '';
    this.child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    this.done = new Promise((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`redis-cli --pipe exited ${code}: ${output}`))));
    });
  }

  /** The same object seen as a transaction, for code that queues commands on one. */
  get tx(): StoreTransaction {
    return this as unknown as StoreTransaction;
  }

  private command(args: Value[]): this {
    let text = `*${args.length}\r\n`;
    for (const arg of args) {
      const s = String(arg);
      text += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
    }
    this.chunks.push(text);
    this.size += text.length;
    return this;
  }

  hset(key: string, fieldsOrField: Record<string, Value> | string, value?: Value): this {
    if (typeof fieldsOrField === 'string') return this.command(['HSET', key, fieldsOrField, value!]);
    return this.command(['HSET', key, ...Object.entries(fieldsOrField).flat()]);
  }

  rpush(key: string, ...values: Value[]): this {
    return this.command(['RPUSH', key, ...values]);
  }

  zadd(key: string, ...scoreMembers: Value[]): this {
    return this.command(['ZADD', key, ...scoreMembers]);
  }

  set(key: string, value: Value): this {
    return this.command(['SET', key, value]);
  }

  del(...keys: string[]): this {
    return this.command(['DEL', ...keys]);
  }

  hdel(key: string, ...fields: string[]): this {
    return this.command(['HDEL', key, ...fields]);
  }

  append(key: string, value: Value): this {
    return this.command(['APPEND', key, value]);
  }

  setrange(key: string, offset: number, value: Value): this {
    return this.command(['SETRANGE', key, offset, value]);
  }

  /** Sends what is queued once a megabyte or so is, waiting while redis-cli has not taken the last. */
  async flush(force = false): Promise<void> {
    if (this.size < 1 << 20 && !force) return;
    const text = this.chunks.join('');
    this.chunks = [];
    this.size = 0;
    if (!this.child.stdin.write(text)) await new Promise((resolve) => this.child.stdin.once('drain', resolve));
  }

  /** Sends the rest and waits for every reply; the count of replies. */
  async close(): Promise<number> {
    await this.flush(true);
    this.child.stdin.end();
    const output = await this.done;
    const match = /errors: (\d+), replies: (\d+)/.exec(output);
    if (!match || match[1] !== '0') throw new Error(`bulk write failed: ${output}`);
    return Number(match[2]);
  }
}
