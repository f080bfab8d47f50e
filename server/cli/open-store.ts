import Redis from 'ioredis';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Env } from '../config/env';
import { dataDirHolder, DataDirInUseError } from '../redis/data-dir-lock';
import { readDataDir } from '../redis/embedded-load';
import { EmbeddedPersistence } from '../redis/embedded-persistence';
import { MemoryRedis } from '../redis/memory-redis';
import type { Store } from '../redis/store';

/** A failure the command explains to the operator (printed without a stack trace). */
export class CliError extends Error {}

export interface OpenedStore {
  store: Store;
  prefix: string;
  /** Where the data is, for messages (never with credentials). */
  description: string;
  /** What the operator should know about how it was read (e.g. a damaged file), for standard error. */
  notes: string[];
  close(): Promise<void>;
}

/** What a command does with the store: a backup only reads it, a restore writes it. */
export type StoreAccess = 'read' | 'write';

/**
 * The store the server is configured with, opened from outside the server, for admin commands.
 * The only place that picks a store for them: REDIS_URL → that Redis; neither → the embedded store's
 * DATA_DIR (see openDataDir).
 * (A Redis Cluster setting, when there is one, is opened here too; the commands need a Store whose
 * scan() covers every master node, as ioredis' Cluster.scan reaches one node only, and whose
 * MULTIs stay within one hash tag, which every backup group does.)
 */
export async function openConfiguredStore(env: Env, access: StoreAccess = 'read'): Promise<OpenedStore> {
  if (!env.redisUrl) return openDataDir(env, access);
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
    notes: [],
    close: async () => void (await client.quit().catch(() => client.disconnect())),
  };
}

/**
 * The embedded store's DATA_DIR. Reading (a backup) needs no lock and changes no file, so it works
 * while the server runs: the server writes what a reply acknowledges to the log before the reply
 * leaves (other records at the end of their event-loop turn), so a backup started after a reply
 * holds what it acknowledged; the files are read as they are at that moment. Writing (a restore) takes
 * the directory's lock like a server start, so it refuses while a server holds it: that server
 * would neither see the restored data nor keep it.
 */
async function openDataDir(env: Env, access: StoreAccess): Promise<OpenedStore> {
  if (!env.dataDir) {
    throw new CliError(
      'REDIS_URL is not set and DATA_DIR is empty, so the data is in the embedded store in memory only: it lives inside the ' +
        'running server process, which another process cannot reach, and is not kept on disk. Set DATA_DIR to the ' +
        "server's data directory (its default is ./data), or REDIS_URL to the Redis to back up or restore.",
    );
  }
  const dir = resolve(env.dataDir);
  const notes: string[] = [];
  const logger = { log: () => undefined, warn: (m: string) => notes.push(m), error: (m: string) => notes.push(m) };
  if (access === 'read') {
    if (!existsSync(dir)) throw new CliError(`DATA_DIR ${dir} does not exist: no embedded store has kept data there. Set DATA_DIR to the server's data directory.`);
    const holder = dataDirHolder(dir);
    let store: MemoryRedis;
    try {
      store = new MemoryRedis(readDataDir(dir, logger).db);
    } catch (error) {
      throw new CliError(`Cannot read the embedded store in ${dir} (DATA_DIR): ${(error as Error).message}`);
    }
    const running = holder === undefined ? '' : ` (read from its files while nono-chat, pid ${holder}, keeps running)`;
    return { store, prefix: env.redisKeyPrefix, description: `the embedded store in ${dir}${running}`, notes, close: async () => void (await store.quit()) };
  }
  let persistence: EmbeddedPersistence;
  try {
    persistence = EmbeddedPersistence.open(dir, { logger });
  } catch (error) {
    if (error instanceof DataDirInUseError) {
      throw new CliError(
        `DATA_DIR ${dir} is in use by the running nono-chat (pid ${error.holder}). Only the process holding it may write ` +
          'to the embedded store, and the running server would not see restored data: stop the server, run this command ' +
          'again, then start the server. (A backup works while it runs.)',
      );
    }
    throw new CliError(`Cannot open the embedded store in ${dir} (DATA_DIR): ${(error as Error).message}`);
  }
  return {
    store: persistence.store,
    prefix: env.redisKeyPrefix,
    description: `the embedded store in ${dir}`,
    notes,
    // Written and fsynced, and the lock released, before the command reports success.
    close: () => persistence.close(),
  };
}
