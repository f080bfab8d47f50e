/**
 * The bare baseline for bench/history: express + ioredis, one LRANGE, the stored JSON strings joined
 * into the response without parsing. No auth, no validation, no logging, no ETag: the floor to compare with.
 */
import express from 'express';
import Redis from 'ioredis';

const redis = new Redis(process.env.REDIS_URL!);
const key = process.env.HISTORY_KEY!;
const app = express();
app.disable('x-powered-by');
app.disable('etag'); // express hashes every body for an ETag by default; nono-chat's history sends none
app.get('/history', async (_req, res) => {
  const raw = await redis.lrange(key, -200, -1);
  res.type('application/json').send(`{"messages":[${raw.filter((r) => r !== '').join(',')}]}`);
});
const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`BASELINE_URL=http://127.0.0.1:${port}\n`);
});
// An orderly exit on SIGTERM, so that a CPU profile (BENCH_PROFILE) gets written.
process.once('SIGTERM', () => process.exit(0));
