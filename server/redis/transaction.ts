import type { Socket } from 'node:net';
import Redis, { Command } from 'ioredis';
import { MemoryRedis } from './memory-redis';
import type { StoreClient } from './redis.constants';

/** A command and its arguments, e.g. ['lrange', key, 0, -1]. */
export type RawCommand = [name: string, ...args: Array<string | number>];

/**
 * MULTI … EXEC with the replies as Redis sends them: bulk strings as Buffers, HGETALL as a flat
 * field/value list, numbers as numbers. The first failed command's error is thrown.
 *
 * With ioredis the transaction is written as plain commands instead of through multi(), whose
 * Pipeline object per call was about a quarter of the CPU of a history read: the same bytes on the
 * wire, written in one synchronous call on a corked socket (one syscall), so nothing else this
 * process sends can land inside the transaction. The embedded store runs the same commands as one
 * of its (atomic) pipelines.
 */
export async function execRaw(client: StoreClient, commands: RawCommand[]): Promise<unknown[]> {
  const results = client instanceof MemoryRedis ? await client.execRaw(commands) : await sendTransaction(client, commands);
  for (const value of results) if (value instanceof Error) throw value;
  return results;
}

/**
 * While ioredis (re)connects it still writes the commands Redis accepts during LOADING (MULTI and
 * EXEC among them) and rejects the rest locally: sent as they were, the transaction reached Redis as
 * an empty MULTI/EXEC whose empty reply read as "no such session". Nothing is sent unless the
 * connection is ready, and a reply that does not cover every command is an error, never data.
 */
export class StoreNotReadyError extends Error {
  constructor(detail: string) {
    super(`Redis connection is not ready (${detail}); the command was not run`);
    this.name = 'StoreNotReadyError';
  }
}

async function sendTransaction(client: Redis, commands: RawCommand[]): Promise<unknown[]> {
  if (client.status !== 'ready') {
    // A client that queues offline commands (not the app's) waits for the connection instead.
    if (!client.options.enableOfflineQueue || client.status === 'end') throw new StoreNotReadyError(client.status);
    await new Promise<void>((resolve, reject) => {
      const ready = () => (client.off('end', ended), resolve());
      const ended = () => (client.off('ready', ready), reject(new StoreNotReadyError('end')));
      client.once('ready', ready);
      client.once('end', ended);
    });
  }
  const queued = [new Command('multi', []), ...commands.map(([name, ...args]) => new Command(name, args, { replyEncoding: null }))];
  const exec = new Command('exec', [], { replyEncoding: null });
  const stream = (client as unknown as { stream?: Socket }).stream;
  stream?.cork();
  try {
    // The QUEUED replies are not needed: a command that cannot be queued makes EXEC fail.
    for (const command of queued) {
      void client.sendCommand(command);
      command.promise.catch(() => undefined);
    }
    void client.sendCommand(exec);
  } finally {
    stream?.uncork();
  }
  const results = (await exec.promise) as unknown[] | null;
  if (!results) throw new Error('Redis transaction was aborted');
  if (results.length !== commands.length) throw new StoreNotReadyError(`${results.length} of ${commands.length} replies`);
  return results;
}

/** A flat HGETALL reply as an object. */
export function hashFromRaw(flat: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  if (!Array.isArray(flat)) return fields;
  for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = String(flat[i + 1]);
  return fields;
}

type Arg = string | number;

/**
 * A MULTI being built, sent with execRaw: the subset of ioredis' chainable commands that the
 * repositories use, with the same replies as ioredis' multi() gives (strings, numbers, HGETALL as
 * an object; the *Buffer variant as bytes), without a Pipeline object per transaction.
 */
export class Transaction {
  private readonly commands: RawCommand[] = [];
  /** Indexes of the commands whose bulk strings stay bytes. */
  private readonly asBytes = new Set<number>();

  constructor(private readonly client: StoreClient) {}

  /** Runs the transaction: every command's reply in order; the first failure is thrown. */
  async exec(): Promise<unknown[]> {
    const replies = await execRaw(this.client, this.commands);
    return replies.map((reply, i) => {
      if (this.commands[i][0] === 'hgetall') return hashFromRaw(reply);
      return this.asBytes.has(i) ? reply : asStrings(reply);
    });
  }

  del(key: string): this {
    return this.add('del', key);
  }
  expire(key: string, seconds: number, condition?: 'NX' | 'XX' | 'GT' | 'LT'): this {
    return condition ? this.add('expire', key, seconds, condition) : this.add('expire', key, seconds);
  }
  pexpire(key: string, ms: number): this {
    return this.add('pexpire', key, ms);
  }
  persist(key: string): this {
    return this.add('persist', key);
  }
  hset(key: string, fields: Record<string, Arg>): this;
  hset(key: string, field: string, value: Arg): this;
  hset(key: string, fields: Record<string, Arg> | string, value?: Arg): this {
    return typeof fields === 'string' ? this.add('hset', key, fields, value!) : this.add('hset', key, ...Object.entries(fields).flat());
  }
  hincrby(key: string, field: string, by: number): this {
    return this.add('hincrby', key, field, by);
  }
  hgetall(key: string): this {
    return this.add('hgetall', key);
  }
  rpush(key: string, ...values: string[]): this {
    return this.add('rpush', key, ...values);
  }
  rpushx(key: string, ...values: string[]): this {
    return this.add('rpushx', key, ...values);
  }
  rpop(key: string): this {
    return this.add('rpop', key);
  }
  llen(key: string): this {
    return this.add('llen', key);
  }
  lrange(key: string, start: number, stop: number): this {
    return this.add('lrange', key, start, stop);
  }
  lrangeBuffer(key: string, start: number, stop: number): this {
    this.asBytes.add(this.commands.length);
    return this.add('lrange', key, start, stop);
  }
  ltrim(key: string, start: number, stop: number): this {
    return this.add('ltrim', key, start, stop);
  }
  zadd(key: string, score: number, member: string): this {
    return this.add('zadd', key, score, member);
  }
  zrem(key: string, member: string): this {
    return this.add('zrem', key, member);
  }

  /** XADD key MAXLEN ~ maxLen id e event d data */
  xadd(key: string, maxLen: number, id: string, event: string, data: string): this {
    return this.add('xadd', key, 'MAXLEN', '~', maxLen, id, 'e', event, 'd', data);
  }
  publish(channel: string, message: string): this {
    return this.add('publish', channel, message);
  }

  private add(...command: RawCommand): this {
    this.commands.push(command);
    return this;
  }
}

function asStrings(reply: unknown): unknown {
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  return Array.isArray(reply) ? reply.map(asStrings) : reply;
}
