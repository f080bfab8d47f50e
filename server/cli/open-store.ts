import Redis from 'ioredis';
import type { Env } from '../config/env';
import type { Store } from '../redis/store';

/** A failure the command explains to the operator (printed without a stack trace). */
export class CliError extends Error {}

export interface OpenedStore {
  store: Store;
  prefix: string;
  /** Where the data is, for messages (never with credentials). */
  description: string;
  close(): Promise<void>;
}

/**
 * The store the server is configured with, opened from outside the server, for admin commands.
 * The only place that picks a store for them: REDIS_URL → that Redis; neither → the embedded store.
 * (A Redis Cluster setting, when there is one, is opened here too; the commands need a Store whose
 * scan() covers every master node, as ioredis' Cluster.scan reaches one node only, and whose
 * MULTIs stay within one hash tag, which every backup group does.)
 */
export async function openConfiguredStore(env: Env): Promise<OpenedStore> {
  if (!env.redisUrl) return openEmbeddedStore();
  const client = new Redis(env.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000, retryStrategy: () => null });
  // The socket's error (e.g. ECONNREFUSED) says more than connect()'s "Connection is closed".
  let lastError: Error | undefined;
  client.on('error', (error: Error) => (lastError = error));
  const description = `Redis at ${new URL(env.redisUrl).host}`;
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new CliError(`Cannot reach ${description} (REDIS_URL): ${(lastError ?? (error as Error)).message}`);
  }
  return {
    store: client,
    prefix: env.redisKeyPrefix,
    description,
    close: async () => void (await client.quit().catch(() => client.disconnect())),
  };
}

/**
 * The embedded store lives inside the server's process and keeps nothing on disk, so another
 * process cannot read or fill it. (Once it keeps its data in a directory, open that directory here
 * when no server holds it, and refuse while one does.)
 */
function openEmbeddedStore(): never {
  throw new CliError(
    'REDIS_URL is not set, so the data is in the embedded store: it lives inside the running server process, ' +
      'which another process cannot reach, and is not kept on disk. Set REDIS_URL to the Redis to back up or restore.',
  );
}
