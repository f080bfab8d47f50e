import { ChildProcess, spawn } from 'node:child_process';
import Redis from 'ioredis';
import { freePort } from '../../test/support/ports';
export { freePort };

/** A throwaway redis-server for the benchmark: no persistence, killed when the run ends. */
export interface BenchRedis {
  url: string;
  client: Redis;
  /** The redis-server process (for its CPU time). */
  pid: number;
  stop(): Promise<void>;
}


const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startRedis(): Promise<BenchRedis> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  running.add(child);
  const url = `redis://127.0.0.1:${port}`;
  // ioredis retries until the server listens (well under a second); an error listener keeps the
  // first refused connections quiet.
  const client = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
  client.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server on port ${port} did not start`)), 10_000);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return {
    url,
    client,
    pid: child.pid!,
    async stop() {
      client.disconnect();
      child.kill('SIGTERM');
      running.delete(child);
    },
  };
}
