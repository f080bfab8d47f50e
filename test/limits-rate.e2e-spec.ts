import { Controller, HttpCode, Module, Post } from '@nestjs/common';
import request from 'supertest';
import { setTimeout as sleep } from 'node:timers/promises';
import { Public } from '../server/identity/public.decorator';
import { RateLimit } from '../server/limits/limits.decorators';
import { startTestApp, TestApp } from './support/app';
import { ChatHarness, startChatHarness } from './support/fake-openai-harness';
import { newGuest } from './support/guest';
import { uniquePrefix } from './support/redis';

/** Sign-up and sign-in routes as an account module declares them: public, with the `login` limit. */
@Public()
@Controller('api/probe-auth')
class ProbeAuthController {
  @Post('register')
  @HttpCode(201)
  @RateLimit('login')
  register(): { ok: true } {
    return { ok: true };
  }

  @Post('login')
  @HttpCode(200)
  @RateLimit('login')
  login(): { ok: true } {
    return { ok: true };
  }
}

@Module({ controllers: [ProbeAuthController] })
class ProbeAuthModule {}

const guest = (t: TestApp, headers: Record<string, string> = {}) => request(t.url).post('/api/auth/guest').set(headers);

/** The 429 a client sees: the one error shape, the limit in words, when to retry, and the headers. */
function expectTooMany(res: request.Response, what: RegExp, limit: number): number {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(what), request_id: expect.any(String) });
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(res.body.message).toContain(`Try again in ${retryAfter} s.`);
  expect(res.headers['ratelimit-limit']).toBe(String(limit));
  expect(res.headers['ratelimit-remaining']).toBe('0');
  expect(Number(res.headers['ratelimit-reset'])).toBe(retryAfter);
  return retryAfter;
}

describe('rate limits', () => {
  describe('guest sign-up, per client address', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ RATE_LIMIT_GUEST_PER_MINUTE: '2' });
    });
    afterAll(() => t.close());

    it('answers 429 past the limit, with RateLimit headers on every answer', async () => {
      const first = await guest(t).expect(201);
      expect(first.headers['ratelimit-limit']).toBe('2');
      expect(first.headers['ratelimit-remaining']).toBe('1');
      expect(Number(first.headers['ratelimit-reset'])).toBeGreaterThan(0);
      expect(first.headers['ratelimit-reset'] <= '60').toBe(true);
      await guest(t).expect(201);
      const retryAfter = expectTooMany(await guest(t), /^Too many guest identities from this address: 2 per minute\. Try again in \d+ s\.$/, 2);
      expect(retryAfter).toBeLessThanOrEqual(60);
    });

    it('ignores X-Forwarded-For when TRUST_PROXY is not set: another claimed address is still limited', async () => {
      await guest(t, { 'X-Forwarded-For': '203.0.113.7' }).expect(429);
    });

    it('leaves routes without a limit alone', async () => {
      const res = await request(t.url).get('/api/personas').expect(401);
      expect(res.headers['ratelimit-limit']).toBeUndefined();
    });
  });

  it('the `login` limit counts register and sign-in attempts together, per address', async () => {
    const t = await startTestApp({ RATE_LIMIT_LOGIN_PER_MINUTE: '2' }, [ProbeAuthModule]);
    try {
      await request(t.url).post('/api/probe-auth/register').expect(201);
      await request(t.url).post('/api/probe-auth/login').expect(200);
      expectTooMany(
        await request(t.url).post('/api/probe-auth/login'),
        /^Too many sign-in attempts from this address: 2 per minute\. Try again in \d+ s\.$/,
        2,
      );
      expectTooMany(await request(t.url).post('/api/probe-auth/register'), /^Too many sign-in attempts/, 2);
    } finally {
      await t.close();
    }
  });

  it('counts each forwarded client on its own behind a trusted proxy (TRUST_PROXY)', async () => {
    const t = await startTestApp({ RATE_LIMIT_GUEST_PER_MINUTE: '1', TRUST_PROXY: 'loopback' });
    try {
      await guest(t, { 'X-Forwarded-For': '203.0.113.7' }).expect(201);
      await guest(t, { 'X-Forwarded-For': '203.0.113.7' }).expect(429);
      await guest(t, { 'X-Forwarded-For': '203.0.113.8' }).expect(201);
    } finally {
      await t.close();
    }
  });

  it('lets requests through again once the window has passed', async () => {
    // A window long enough that a slow machine still sends the second request inside it.
    const t = await startTestApp({ RATE_LIMIT_GUEST_PER_MINUTE: '1', RATE_LIMIT_WINDOW_SECONDS: '3' });
    try {
      await guest(t).expect(201);
      const res = await guest(t);
      expectTooMany(res, /^Too many guest identities from this address: 1 per 3 seconds\. Try again in [1-3] s\.$/, 1);
      await sleep(Number(res.headers['retry-after']) * 1000 + 100);
      const again = await guest(t).expect(201);
      expect(again.headers['ratelimit-remaining']).toBe('0');
    } finally {
      await t.close();
    }
  });

  it('is shared by all instances on one Redis', async () => {
    const prefix = uniquePrefix('limits');
    const env = { RATE_LIMIT_GUEST_PER_MINUTE: '2', REDIS_KEY_PREFIX: prefix };
    const a = await startTestApp(env);
    const b = await startTestApp(env);
    try {
      await guest(a).expect(201);
      await guest(b).expect(201);
      expectTooMany(await guest(a), /^Too many guest identities/, 2);
      expectTooMany(await guest(b), /^Too many guest identities/, 2);
    } finally {
      await b.close();
      await a.close();
    }
  });

  it('works on the embedded store (no REDIS_URL)', async () => {
    const t = await startTestApp({ REDIS_URL: undefined, RATE_LIMIT_GUEST_PER_MINUTE: '1' });
    try {
      await guest(t).expect(201);
      expectTooMany(await guest(t), /^Too many guest identities/, 1);
    } finally {
      await t.close();
    }
  });

  it('0 turns a limit off', async () => {
    const t = await startTestApp({ RATE_LIMIT_GUEST_PER_MINUTE: '0' });
    try {
      for (let i = 0; i < 5; i++) {
        const res = await guest(t).expect(201);
        expect(res.headers['ratelimit-limit']).toBeUndefined();
      }
    } finally {
      await t.close();
    }
  });

  describe('per identity: sessions and messages', () => {
    let h: ChatHarness;
    beforeAll(async () => {
      h = await startChatHarness({ RATE_LIMIT_SESSIONS_PER_MINUTE: '2', RATE_LIMIT_MESSAGES_PER_MINUTE: '2' });
    });
    afterAll(() => h.close());

    it('counts POST /api/sessions and the v0 create together, per identity', async () => {
      await request(h.t.url).post('/api/sessions').set(h.me.auth).send({}).expect(201);
      await request(h.t.url).post('/api/session/create').set(h.me.auth).send({ user_id: 'Ann', persona: 'default' }).expect(201);
      expectTooMany(
        await request(h.t.url).post('/api/sessions').set(h.me.auth).send({}),
        /^Too many new sessions: 2 per minute\. Try again in \d+ s\.$/,
        2,
      );
      expectTooMany(await request(h.t.url).post('/api/session/create').set(h.me.auth).send({ user_id: 'Bob', persona: 'default' }), /^Too many new sessions/, 2);
      const list = await request(h.t.url).get('/api/sessions').set(h.me.auth).expect(200);
      expect(list.body.count).toBe(2);
      // Another identity from the same address has its own count.
      const other = await newGuest(h.t.url);
      await request(h.t.url).post('/api/sessions').set(other.auth).send({}).expect(201);
    });

    it('counts sending and regenerating together, and stores nothing for a refused message', async () => {
      const other = await newGuest(h.t.url);
      const id = await h.newSession(undefined, other);
      const send = (content: string) => request(h.t.url).post(`/api/sessions/${id}/messages`).set(other.auth).send({ content });
      await send('one').expect(201);
      await request(h.t.url).post(`/api/sessions/${id}/regenerate`).set(other.auth).expect(201);
      expectTooMany(await send('two'), /^Too many messages: 2 per minute\. Try again in \d+ s\.$/, 2);
      expectTooMany(await request(h.t.url).post(`/api/sessions/${id}/regenerate`).set(other.auth), /^Too many messages/, 2);
      expect((await h.history(id, other)).map((m) => m.role)).toEqual(['user', 'assistant']);
      expect(h.fake.chatRequests).toHaveLength(2);
    });
  });
});
