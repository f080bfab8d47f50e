import request from 'supertest';
import { LimitsRepository } from '../server/limits/limits.repository';
import { utcDay } from '../server/limits/quota.service';
import { startTestApp } from './support/app';
import { ChatHarness, startChatHarness } from './support/fake-openai-harness';
import { newGuest } from './support/guest';

describe('quotas', () => {
  it('MAX_SESSIONS_PER_IDENTITY: 403 naming the setting on both create calls, until a session is deleted', async () => {
    const t = await startTestApp({ MAX_SESSIONS_PER_IDENTITY: '2' });
    try {
      const me = await newGuest(t.url);
      const create = () => request(t.url).post('/api/sessions').set(me.auth).send({});
      const first = (await create().expect(201)).body.session_id as string;
      await request(t.url).post('/api/session/create').set(me.auth).send({ user_id: 'Ann', persona: 'default' }).expect(201);
      const refused = await create().expect(403);
      expect(refused.body).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        message:
          'Session limit reached: you have 2 sessions and one identity may keep 2 (MAX_SESSIONS_PER_IDENTITY). ' +
          'Delete sessions you no longer need, then create a new one.',
        request_id: expect.any(String),
      });
      await request(t.url).post('/api/session/create').set(me.auth).send({ user_id: 'Bob', persona: 'default' }).expect(403);
      expect((await request(t.url).get('/api/sessions').set(me.auth).expect(200)).body.count).toBe(2);

      const other = await newGuest(t.url);
      await request(t.url).post('/api/sessions').set(other.auth).send({}).expect(201);
      await request(t.url).delete(`/api/sessions/${first}`).set(me.auth).expect(204);
      await create().expect(201);
    } finally {
      await t.close();
    }
  });

  it('MAX_SESSIONS_PER_IDENTITY does not count sessions that have expired', async () => {
    const t = await startTestApp({ MAX_SESSIONS_PER_IDENTITY: '1', SESSION_TTL_SECONDS: '1' });
    try {
      const me = await newGuest(t.url);
      await request(t.url).post('/api/sessions').set(me.auth).send({}).expect(201);
      await request(t.url).post('/api/sessions').set(me.auth).send({}).expect(403);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await request(t.url).post('/api/sessions').set(me.auth).send({}).expect(201);
    } finally {
      await t.close();
    }
  });

  describe('with a model', () => {
    let h: ChatHarness;
    beforeAll(async () => {
      h = await startChatHarness({ MAX_MESSAGES_PER_SESSION: '4' });
    });
    afterAll(() => h.close());
    beforeEach(() => h.fake.reset());

    it('MAX_MESSAGES_PER_SESSION: 403 naming the setting before the message is stored; regenerate still works', async () => {
      const me = await newGuest(h.t.url);
      const id = await h.newSession(undefined, me);
      const send = (content: string) => request(h.t.url).post(`/api/sessions/${id}/messages`).set(me.auth).send({ content });
      await send('one').expect(201);
      await send('two').expect(201);
      const before = await h.history(id, me);
      const refused = await send('three').expect(403);
      expect(refused.body.message).toBe(
        'Message limit reached: this session holds 4 messages and may hold 4 (MAX_MESSAGES_PER_SESSION); ' +
          "a message and its answer would not fit. Start a new session or clear this one's history.",
      );
      const streamed = await h.sendSse(id, 'three', { who: me });
      expect(streamed.status).toBe(403);
      expect(await h.history(id, me)).toEqual(before);
      expect(h.fake.chatRequests).toHaveLength(2);

      await request(h.t.url).post(`/api/sessions/${id}/regenerate`).set(me.auth).expect(201);
      expect((await h.history(id, me)).length).toBe(4);
      await request(h.t.url).delete(`/api/sessions/${id}/messages`).set(me.auth).expect(200);
      await send('after clearing').expect(201);
    });

    it('a session of someone else still answers 404, not a quota error', async () => {
      const owner = await newGuest(h.t.url);
      const id = await h.newSession(undefined, owner);
      const stranger = await newGuest(h.t.url);
      await request(h.t.url).post(`/api/sessions/${id}/messages`).set(stranger.auth).send({ content: 'hi' }).expect(404);
    });
  });

  it('DAILY_TOKEN_QUOTA: counts the usage the model reports, then 429 with Retry-After until midnight UTC', async () => {
    const h = await startChatHarness({ DAILY_TOKEN_QUOTA: '400' });
    try {
      const id = await h.newSession();
      const repository = h.t.app.get(LimitsRepository);
      const send = (content: string) => request(h.t.url).post(`/api/sessions/${id}/messages`).set(h.me.auth).send({ content });
      let reported = 0;
      for (let turn = 0; reported < 400; turn++) {
        const reply = await send(`Question number ${turn} about something long enough to cost a few tokens`).expect(201);
        const usage = reply.body.assistant_message.usage;
        reported += usage.prompt_tokens + usage.completion_tokens;
        expect(await repository.tokensUsed(h.me.user_id, utcDay(Date.now()))).toBe(reported);
        expect(turn).toBeLessThan(50);
      }
      const before = await h.history(id);
      const refused = await send('one more');
      expect(refused.status).toBe(429);
      expect(refused.body.message).toMatch(
        new RegExp(
          `^Daily model token quota used up: ${reported} of 400 tokens today \\(DAILY_TOKEN_QUOTA\\)\\. ` +
            'It resets at 00:00 UTC: try again in .+\\.$',
        ),
      );
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(86_400);
      await request(h.t.url).post(`/api/sessions/${id}/regenerate`).set(h.me.auth).expect(429);
      expect(await h.history(id)).toEqual(before);

      // Another identity has its own count.
      const other = await newGuest(h.t.url);
      const theirs = await h.newSession(undefined, other);
      await request(h.t.url).post(`/api/sessions/${theirs}/messages`).set(other.auth).send({ content: 'hi' }).expect(201);
    } finally {
      await h.close();
    }
  });
});
