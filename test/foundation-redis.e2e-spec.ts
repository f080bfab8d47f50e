import { createServer } from 'node:net';
import { ChildProcess, spawn } from 'node:child_process';
import request from 'supertest';
import { startTestApp, TestApp } from './support/app';
import { eventually, ProbeModule } from './support/probe';
import { freePort } from './support/ports';


/** A private, throwaway redis-server the test may kill and restart. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  await eventually(
    () =>
      new Promise<boolean>((resolve) => {
        const probe = createServer();
        probe.once('error', () => resolve(true)); // port taken: redis listens
        probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)));
      }),
    3000,
    20,
  );
  return child;
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}


describe('foundation: Redis unreachable', () => {
  let t: TestApp;
  beforeAll(async () => {
    // A closed port: nothing listens there, so every connection attempt is refused.
    t = await startTestApp({ REDIS_URL: 'redis://127.0.0.1:1' }, [ProbeModule]);
  });
  afterAll(async () => {
    await t.close();
  });

  it('the app still starts; /health and /health/ready answer 503 quickly, /health/live 200', async () => {
    for (const path of ['/health', '/health/ready']) {
      const res = await request(t.url).get(path);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({
        status: 'error',
        error: { redis: { status: 'down', store: 'redis', message: expect.stringContaining('Redis is unreachable') } },
      });
    }
    const health = await request(t.url).get('/health');
    expect(health.body.details.model).toMatchObject({ status: 'up', configured: false });
    await request(t.url).get('/health/live').expect(200);
  });

  it('a request that needs the store fails fast with 503 in the error shape', async () => {
    const res = await request(t.url).get('/api/probe/store').set('X-Request-Id', 'down-1');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'The session store (Redis) is unavailable right now. Try again in a moment.',
      request_id: 'down-1',
    });
  });
});

describe('foundation: Redis goes away and comes back', () => {
  let port: number;
  let redis: ChildProcess;
  let t: TestApp;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    t = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${port}` }, [ProbeModule]);
  });
  afterAll(async () => {
    await t?.close();
    if (redis) await stopRedis(redis);
  });

  it('is ready, turns not ready when Redis dies, and ready again when it returns', async () => {
    await request(t.url).get('/health/ready').expect(200);
    await request(t.url).get('/api/probe/store').expect(200, { value: null });

    await stopRedis(redis);
    await eventually(async () => (await request(t.url).get('/health/ready')).status === 503, 2000);
    const res = await request(t.url).get('/api/probe/store');
    expect(res.status).toBe(503);

    redis = await startRedis(port);
    await eventually(async () => (await request(t.url).get('/health/ready')).status === 200, 5000);
    await request(t.url).get('/api/probe/store').expect(200, { value: null });
  });
});
