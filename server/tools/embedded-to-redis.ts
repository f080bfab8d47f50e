/**
 * Copies the embedded store's data (DATA_DIR) into Redis (REDIS_URL), keys, values and TTLs as
 * they are, for moving a deployment to Redis. Run it with nono-chat stopped (it takes DATA_DIR's
 * lock, so it refuses while the app runs):
 *
 *   DATA_DIR=./data REDIS_URL=redis://127.0.0.1:6379 node dist/server/tools/embedded-to-redis.js
 *
 * Each key is replaced whole in Redis (DEL, then its value and TTL, in one MULTI), so running it
 * again after an interruption is safe. DATA_DIR is left as it was.
 */
import Redis from 'ioredis';
import { EmbeddedPersistence } from '../redis/embedded-persistence';
import { captureData } from '../redis/embedded-snapshot';

const LIST_CHUNK = 1000;

async function copy(dataDir: string, redisUrl: string): Promise<string> {
  const persistence = EmbeddedPersistence.open(dataDir, { logger: { log: () => undefined, warn: console.warn, error: console.error } });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const copies = captureData(persistence.store.db, Date.now());
    for (const entry of copies) {
      const tx = redis.multi().del(entry.key);
      if (entry.kind === 'string') tx.set(entry.key, entry.value);
      else if (entry.kind === 'hash') tx.hset(entry.key, Object.fromEntries(entry.value));
      else if (entry.kind === 'list') {
        for (let i = 0; i < entry.value.length; i += LIST_CHUNK) tx.rpush(entry.key, ...entry.value.slice(i, i + LIST_CHUNK));
      } else for (const [member, score] of entry.value) tx.zadd(entry.key, score, member);
      if (entry.expiresAt !== undefined) tx.pexpireat(entry.key, entry.expiresAt);
      const replies = await tx.exec();
      const failed = replies?.find(([error]) => error);
      if (failed) throw new Error(`Redis refused key ${entry.key}: ${failed[0]!.message}`);
    }
    return `Copied ${copies.length} keys from ${persistence.dir} to ${redisUrl.replace(/\/\/[^/@]*@/, '//***@')}.`;
  } finally {
    redis.disconnect();
    await persistence.close();
  }
}

const [dataDir, redisUrl] = [process.env.DATA_DIR || './data', process.env.REDIS_URL];
if (!redisUrl) {
  process.stderr.write('Set REDIS_URL to the Redis to copy into (and DATA_DIR if it is not ./data).\n');
  process.exit(1);
}
copy(dataDir, redisUrl).then(
  (summary) => process.stdout.write(`${summary}\n`),
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  },
);
