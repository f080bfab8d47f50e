import request from 'supertest';
import { sseRequest } from '../../bench/common/sse-client';
import { startTestApp, TestApp } from './app';
import { eventsOf, TEST_MODEL_ENV } from './fake-openai-harness';
import { FakeOpenAI, startFakeOpenAI } from './fake-openai';
import { Guest, newGuest } from './guest';
import { uniquePrefix } from './redis';

/** Streams three words, then stalls with the connection open: only the stop can end this answer. */
const SLOW = { text: 'one two three four five six seven eight nine ten eleven twelve', chunkDelayMs: 80, fault: 'stall', faultAfterChunks: 3 } as const;

/** Three app instances on one shared store (one key prefix), as behind a load balancer. */
export interface Instances {
  apps: TestApp[];
  fake: FakeOpenAI;
  prefix: string;
  close(): Promise<void>;
}

export async function startInstances(storeEnv: Record<string, string | undefined>): Promise<Instances> {
  const fake = await startFakeOpenAI();
  const prefix = uniquePrefix('scale');
  const env = { REDIS_URL: undefined, ...storeEnv, REDIS_KEY_PREFIX: prefix, OPENAI_BASE_URL: fake.url, ...TEST_MODEL_ENV };
  const apps: TestApp[] = [];
  try {
    for (let i = 0; i < 3; i++) apps.push(await startTestApp(env));
  } catch (error) {
    await Promise.all(apps.map((a) => a.close()));
    await fake.close();
    throw error;
  }
  return {
    apps,
    fake,
    prefix,
    async close() {
      await Promise.all(apps.map((a) => a.close()));
      await fake.close();
    },
  };
}

/** Create on the first instance, list on the second, send on the third, stop from the first. */
export async function spreadAcrossInstances(s: Instances): Promise<{ me: Guest; sessionId: string }> {
  const [a, b, c] = s.apps;
  const me = await newGuest(a.url);
  const created = await request(a.url).post('/api/sessions').set(me.auth).send({}).expect(201);
  const sessionId = created.body.session_id as string;
  const listed = await request(b.url).get('/api/sessions').set(me.auth).expect(200);
  expect(listed.body.sessions.map((x: { session_id: string }) => x.session_id)).toEqual([sessionId]);

  await stopAcross(s, me, sessionId, c, a);
  const history = (await request(b.url).get(`/api/sessions/${sessionId}/messages`).set(me.auth).expect(200)).body.messages;
  expect(history.map((m: { role: string; status?: string }) => [m.role, m.status])).toEqual([
    ['user', undefined],
    ['assistant', 'interrupted'],
  ]);
  return { me, sessionId };
}

/** A slow answer streams from `runOn`; a stop pressed on `stopFrom` ends it there. */
async function stopAcross(s: Instances, me: Guest, sessionId: string, runOn: TestApp, stopFrom: TestApp): Promise<void> {
  s.fake.script(SLOW);
  let stop: Promise<request.Response> | undefined;
  const res = await sseRequest({
    url: `${runOn.url}/api/sessions/${sessionId}/messages`,
    headers: me.auth,
    body: { content: 'count for me' },
    timeoutMs: 20_000,
    onEvent: (e) => {
      // then() sends it now (supertest sends lazily).
      if (e.event === 'delta' && !stop) stop = request(stopFrom.url).post(`/api/sessions/${sessionId}/stop`).set(me.auth).then((r) => r);
    },
  });
  expect((await stop!).body).toEqual({ stopped: true });
  const done = eventsOf(res).pop()!;
  expect(done).toMatchObject({ event: 'done', data: { status: 'interrupted' } });
  expect(done.data.content.length).toBeLessThan(SLOW.text.length);
}

/** Every instance reports the store up, with its topology. */
export async function expectHealthy(s: Instances, topology: 'cluster' | 'sentinel'): Promise<void> {
  for (const app of s.apps) {
    const res = await request(app.url).get('/health').expect(200);
    expect(res.body.details.redis).toMatchObject({ status: 'up', store: 'redis', topology });
  }
}

/**
 * Sends messages round-robin across the instances while `crash` takes the store's master down,
 * until the store answers again. Every answer is 2xx or 503; at least one 503 shows the failover
 * was hit; every acknowledged message is in the history afterwards, in order.
 */
export async function survivesFailover(
  s: Instances,
  me: Guest,
  sessionId: string,
  crash: () => Promise<void>,
): Promise<void> {
  const acknowledged: string[] = [];
  const send = async (i: number) => {
    const content = `message ${i}`;
    const res = await request(s.apps[i % 3].url).post(`/api/sessions/${sessionId}/messages`).set(me.auth).send({ content });
    if (res.status === 201) acknowledged.push(content);
    return res;
  };
  for (let i = 0; i < 3; i++) expect((await send(i)).status).toBe(201);

  await crash();
  const statuses: number[] = [];
  const unavailable: string[] = [];
  const unexpected: string[] = [];
  let streak = 0;
  // Gives up after many attempts rather than a time: each one takes at most a couple of seconds.
  for (let i = 3; streak < 3 && i < 200; i++) {
    const res = await send(i);
    statuses.push(res.status);
    if (res.status === 503) unavailable.push(res.body.message);
    if (res.status !== 201 && res.status !== 503) unexpected.push(`${res.status} ${JSON.stringify(res.body)}`);
    streak = res.status === 201 ? streak + 1 : 0;
    if (res.status !== 201) await new Promise((r) => setTimeout(r, 100));
  }
  // Each one with its body: the message and request id say which path answered it.
  expect(unexpected).toEqual([]);
  expect(statuses).toContain(503);
  expect(new Set(unavailable)).toEqual(new Set(['The session store (Redis) is unavailable right now. Try again in a moment.']));
  expect(streak).toBe(3);

  // Reads work on every instance after the failover, and nothing acknowledged was lost.
  for (const app of s.apps) {
    const res = await request(app.url).get(`/api/sessions/${sessionId}/messages?limit=200`).set(me.auth).expect(200);
    const users = res.body.messages.filter((m: { role: string }) => m.role === 'user').map((m: { content: string }) => m.content);
    expect(users.filter((c: string) => acknowledged.includes(c))).toEqual(acknowledged);
  }
  await request(s.apps[1].url).get('/api/sessions').set(me.auth).expect(200);
  // Stops still cross instances (the subscribers found the new master or another node).
  await stopAcross(s, me, sessionId, s.apps[0], s.apps[2]);
}
