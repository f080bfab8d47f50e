import { Logger } from '@nestjs/common';
import Redis, { Cluster, ClusterNode, ClusterOptions, RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config/config';
import type { DuplicateOptions } from './store';
import { sendTransactionsWhenReady } from './ready-transactions';
import { defineStoreScripts } from './store-scripts';

const logger = new Logger('Redis');

/** Reconnect quickly at first, then every 2 s at most. */
const backoff = (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000);

/**
 * Settings that fail fast while Redis is away (a request gets 503 in about a second instead of
 * ioredis' default ~10 s of queued retries) and reconnect by themselves when it returns.
 */
const FAIL_FAST = {
  maxRetriesPerRequest: 1,
  connectTimeout: 1000,
  commandTimeout: 1500,
} satisfies RedisOptions;

/**
 * Commands issued in the same tick by concurrent requests go out in one write (MULTIs are sent
 * whole as before; only their relative order to plain commands of the same tick may change, and no
 * caller depends on it: dependent commands are always awaited first). The history page read is
 * sent on its own: its reply is large and the batch around it (a pipeline, a promise and a tick
 * per command) costs the client more than the write it would share.
 */
const AUTO_PIPELINING = { enableAutoPipelining: true, autoPipeliningIgnoredCommands: ['historyPage'] };

function watch<T extends Redis | Cluster>(client: T, what: string): T {
  defineStoreScripts(client);
  // A transaction on a connection that is not ready would be answered empty: refused instead (503).
  if (client instanceof Redis) sendTransactionsWhenReady(client);
  let lastLogged = 0;
  client.on('error', (error: Error) => {
    // One line per few seconds while Redis is down, not one per retry.
    if (Date.now() - lastLogged > 5000) {
      lastLogged = Date.now();
      logger.error(`${what} connection problem: ${error.message}`);
    }
  });
  client.on('ready', () => logger.log(`${what} connection ready`));
  return client;
}

export function createRedisClient(url: string): Redis {
  const client = new Redis(url, {
    ...FAIL_FAST,
    ...AUTO_PIPELINING,
    enableOfflineQueue: false,
    retryStrategy: backoff,
    lazyConnect: false,
  });
  return watch(client, 'Redis');
}

/** Credentials and TLS for cluster or sentinel-managed nodes (REDIS_USERNAME, REDIS_PASSWORD, REDIS_TLS). */
function nodeAuth(config: RedisConfig): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  return {
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(config.password !== undefined ? { password: config.password } : {}),
    ...(config.tls ? { tls: {} } : {}),
  };
}

/**
 * A Cluster whose duplicate() takes the same options as a single client's, so it is a Store: the
 * second connection (for subscribers) gets the same seeds and settings with the given overrides.
 */
export class StoreCluster extends Cluster {
  constructor(
    private readonly seeds: ClusterNode[],
    options: ClusterOptions,
  ) {
    super(seeds, options);
  }

  override duplicate(overrides?: DuplicateOptions | ClusterNode[], clusterOptions: ClusterOptions = {}): StoreCluster {
    const options: ClusterOptions = { ...this.options, ...clusterOptions };
    if (overrides && !Array.isArray(overrides)) {
      if (overrides.enableOfflineQueue !== undefined) options.enableOfflineQueue = overrides.enableOfflineQueue;
      if (overrides.maxRetriesPerRequest !== undefined) {
        options.redisOptions = { ...options.redisOptions, maxRetriesPerRequest: overrides.maxRetriesPerRequest };
      }
      if ('commandTimeout' in overrides) options.redisOptions = { ...options.redisOptions, commandTimeout: overrides.commandTimeout };
    }
    const seeds = Array.isArray(overrides) && overrides.length > 0 ? overrides : this.seeds;
    const copy = new StoreCluster(seeds, options);
    defineStoreScripts(copy);
    return copy;
  }
}

/**
 * A Redis Cluster client. Every transaction's keys share one hash tag (redis-keys.ts), so each
 * MULTI runs on one node; reads go to masters so a write is always seen by the next read. While a
 * master fails over, commands are retried briefly (6 tries, about half a second) and then fail as 503.
 */
export function createClusterClient(config: RedisConfig): StoreCluster {
  const cluster = new StoreCluster(config.clusterNodes ?? [], {
    ...AUTO_PIPELINING,
    enableOfflineQueue: false,
    scaleReads: 'master',
    clusterRetryStrategy: backoff,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    maxRedirections: 6,
    slotsRefreshTimeout: 1000,
    slotsRefreshInterval: 2000,
    redisOptions: { ...FAIL_FAST, ...nodeAuth(config) },
  });
  return watch(cluster, 'Redis Cluster');
}

/**
 * A client of the master the Sentinels name. After a failover it reconnects to the new master (the
 * failover detector hears the Sentinels' switch-master); a write answered READONLY (an old master
 * demoted to replica) drops the connection so the next attempt asks the Sentinels again.
 */
export function createSentinelClient(config: RedisConfig): Redis {
  const client = new Redis({
    ...FAIL_FAST,
    ...AUTO_PIPELINING,
    ...nodeAuth(config),
    sentinels: config.sentinels,
    name: config.sentinelName,
    role: 'master',
    enableOfflineQueue: false,
    retryStrategy: backoff,
    sentinelRetryStrategy: backoff,
    sentinelCommandTimeout: 1000,
    failoverDetector: true,
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
    ...(config.tls ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
  });
  return watch(client, 'Redis (Sentinel)');
}

/** Waits until the client is connected, or `ms` passed (it keeps trying in the background). */
export async function waitUntilReady(client: Redis | Cluster, ms: number): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    client.once('ready', done);
    function done() {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    }
  });
}
