import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { REDIS_CLIENT } from '../server/redis/redis.constants';
import { RedisKeys } from '../server/redis/redis-keys';
import type { Store } from '../server/redis/store';
import type { StoredMessage } from '../server/sessions/session.model';
import { decodePostings, encodeFixed } from '../server/search/search-segments';
import { SearchService } from '../server/search/search.service';
import { SessionsRepository } from '../server/sessions/sessions.repository';
import { ChatHarness, startChatHarness } from './support/fake-openai-harness';
import { startTestApp, TestApp } from './support/app';
import { Guest, newGuest } from './support/guest';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Result {
  session_id: string;
  title: string;
  message_id: string | null;
  snippet: string;
}

/** Helpers over one app: sessions with messages written through the sessions repository (as chat stores them). */
function helpers(app: () => TestApp) {
  let clock = 1_760_000_000_000;
  const api = () => request(app().url);
  return {
    async session(who: Guest, title: string, ...texts: string[]): Promise<{ id: string; messageIds: string[] }> {
      const id = (await api().post('/api/sessions').set(who.auth).send({ display_name: title }).expect(201)).body.session_id as string;
      const messages: StoredMessage[] = texts.map((content, i) => ({
        id: `m_${randomUUID()}`,
        role: i % 2 === 0 ? 'user' : 'assistant',
        content,
        created_at: ++clock,
      }));
      if (messages.length > 0) await app().app.get(SessionsRepository).appendMessages(who.user_id, id, messages);
      await sleep(2); // distinct last activity, so recency order is defined
      return { id, messageIds: messages.map((m) => m.id) };
    },
    async search(who: Guest, q: string, extra: Record<string, string | number> = {}): Promise<{ results: Result[]; next_cursor: string | null }> {
      return (await api().get('/api/search').query({ q, ...extra }).set(who.auth).expect(200)).body;
    },
    ids: (page: { results: Result[] }) => page.results.map((r) => r.session_id),
  };
}

describe.each([
  ['Redis', {}],
  ['embedded store', { REDIS_URL: undefined }],
])('search (%s)', (_store, env: Record<string, string | undefined>) => {
  let h: ChatHarness;
  let me: Guest;
  let other: Guest;
  const x = helpers(() => h.t);
  beforeAll(async () => {
    h = await startChatHarness(env);
    me = h.me;
    other = await newGuest(h.t.url);
  });
  afterAll(async () => h.close());

  it('ranks sessions by words matched, then recency; snippets mark matches and escape the rest', async () => {
    const both = await x.session(me, 'Trip planning', 'Where is a good rivercafé?', 'Try the café <b>Lumière</b> near Paris & the Seine.');
    const older = await x.session(me, 'Breakfast', 'café au lait, please');
    const newer = await x.session(me, 'Coffee', 'Another café story');
    await x.session(me, 'Unrelated', 'nothing to see');
    const page = await x.search(me, 'paris cafe ');
    expect(x.ids(page)).toEqual([both.id, newer.id, older.id]);
    expect(page.results[0]).toEqual({
      session_id: both.id,
      title: 'Trip planning',
      message_id: both.messageIds[1],
      snippet: 'Try the <mark>café</mark> &lt;b&gt;Lumière&lt;/b&gt; near <mark>Paris</mark> &amp; the Seine.',
    });
    expect(page.results[2]).toMatchObject({ message_id: older.messageIds[0], snippet: '<mark>café</mark> au lait, please' });
    expect(page.next_cursor).toBeNull();
  });

  it('finds words in any language, case and accents ignored; titles too', async () => {
    const de = await x.session(me, 'Deutsch', 'Die Straße führt über die Brücke.');
    const fr = await x.session(me, 'Français', "L'élève a mangé une crème brûlée.");
    const ja = await x.session(me, '日本語', '東京の天気は晴れです。');
    const title = await x.session(me, 'Über Kaffeehäuser');
    expect(x.ids(await x.search(me, 'STRASSE brucke '))).toEqual([de.id]);
    expect(x.ids(await x.search(me, 'creme brulee eleve '))).toEqual([fr.id]);
    expect(x.ids(await x.search(me, 'Crème'))).toEqual([fr.id]);
    const tokyo = await x.search(me, '天気');
    expect(tokyo.results).toEqual([expect.objectContaining({ session_id: ja.id, snippet: '東京の<mark>天気</mark>は晴れです。' })]);
    const found = await x.search(me, 'kaffeehauser');
    expect(found.results).toEqual([{ session_id: title.id, title: 'Über Kaffeehäuser', message_id: null, snippet: 'Über <mark>Kaffeehäuser</mark>' }]);
    expect(x.ids(await x.search(me, 'uber ')).sort()).toEqual([de.id, title.id].sort());
  });

  it('matches the last word as a prefix while typing, whole words before it', async () => {
    const pot = await x.session(me, 'Kitchen', 'The teapot whistles');
    const cup = await x.session(me, 'Kitchen 2', 'A teacup of zanzibar spice');
    expect(x.ids(await x.search(me, 'tea')).sort()).toEqual([pot.id, cup.id].sort());
    expect(x.ids(await x.search(me, 'teap'))).toEqual([pot.id]);
    expect(x.ids(await x.search(me, 'tea '))).toEqual([]);
    expect(x.ids(await x.search(me, 'zanzibar tea'))).toEqual([cup.id, pot.id]);
    expect((await x.search(me, 'zanz')).results[0].snippet).toBe('A teacup of <mark>zanzibar</mark> spice');
  });

  it('points at a matching message however far back in a long session', async () => {
    const texts = ['The axolotl regrows its legs', ...Array.from({ length: 259 }, (_v, i) => `filler line ${i}`)];
    const long = await x.session(me, 'Long talk', ...texts);
    const page = await x.search(me, 'axolotl');
    expect(page.results).toEqual([
      { session_id: long.id, title: 'Long talk', message_id: long.messageIds[0], snippet: 'The <mark>axolotl</mark> regrows its legs' },
    ]);
  });

  it('pages with next_cursor, each session once', async () => {
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await x.session(me, `Page ${i}`, `quokka number ${i}`)).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { results: Result[]; next_cursor: string | null } = await x.search(me, 'quokka', { limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.results.length).toBeLessThanOrEqual(2);
      seen.push(...x.ids(page));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...made].reverse());
  });

  it('never shows another identity\'s sessions, whatever it searches', async () => {
    const secret = await x.session(me, 'Secret plans', 'The xylophone code is 8812');
    expect(x.ids(await x.search(me, 'xylophone'))).toEqual([secret.id]);
    expect((await x.search(other, 'xylophone')).results).toEqual([]);
    expect((await x.search(other, 'x')).results).toEqual([]);
    expect((await x.search(other, secret.id)).results).toEqual([]);
    expect((await x.search(other, '8812')).results).toEqual([]);
    // A cursor made from my results gives nothing of mine to someone else.
    await x.session(me, 'Secret 2', 'xylophone again');
    const mine = await x.search(me, 'xylophone', { limit: 1 });
    expect(mine.next_cursor).not.toBeNull();
    expect((await x.search(other, 'xylophone', { cursor: mine.next_cursor! })).results).toEqual([]);
  });

  it('forgets a deleted session, a cleared history and a renamed title (no ghost results)', async () => {
    const gone = await x.session(me, 'Wombat diary', 'A wombat and a narwhal');
    const cleared = await x.session(me, 'Narwhal notes', 'The narwhal tusk is a tooth');
    const renamed = await x.session(me, 'Platypus facts', 'eggs');
    await h.api().delete(`/api/sessions/${gone.id}`).set(me.auth).expect(204);
    await h.api().delete(`/api/sessions/${cleared.id}/messages`).set(me.auth).expect(200);
    await h.api().patch(`/api/sessions/${renamed.id}`).set(me.auth).send({ display_name: 'Echidna facts' }).expect(200);
    expect((await x.search(me, 'wombat')).results).toEqual([]);
    expect((await x.search(me, 'tusk')).results).toEqual([]);
    expect((await x.search(me, 'narwhal')).results).toEqual([
      { session_id: cleared.id, title: 'Narwhal notes', message_id: null, snippet: '<mark>Narwhal</mark> notes' },
    ]);
    expect((await x.search(me, 'platypus')).results).toEqual([]);
    expect(x.ids(await x.search(me, 'echidna'))).toEqual([renamed.id]);
    expect(x.ids(await x.search(me, 'eggs'))).toEqual([renamed.id]);
  });

  it('keeps a word of the old title its messages use too, after a rename and after more messages', async () => {
    const talk = await x.session(me, 'Ocelot habits', 'The ocelot hunts at night');
    expect(x.ids(await x.search(me, 'ocelot'))).toEqual([talk.id]);
    await h.api().patch(`/api/sessions/${talk.id}`).set(me.auth).send({ display_name: 'Night cats' }).expect(200);
    expect((await x.search(me, 'ocelot')).results).toEqual([
      { session_id: talk.id, title: 'Night cats', message_id: talk.messageIds[0], snippet: 'The <mark>ocelot</mark> hunts at night' },
    ]);
    expect((await x.search(me, 'habits')).results).toEqual([]);
    // Words the session holds already, and a new one, in a later batch.
    const more = await h.t.app.get(SessionsRepository).appendMessages(me.user_id, talk.id, [
      { id: `m_${randomUUID()}`, role: 'user', content: 'Does the ocelot swim? Margay too?', created_at: Date.now() },
    ]);
    expect(more.message_count).toBe(2);
    const page = await x.search(me, 'ocelot margay ');
    expect(page.results).toEqual([expect.objectContaining({ session_id: talk.id, snippet: 'Does the <mark>ocelot</mark> swim? <mark>Margay</mark> too?' })]);
    await h.api().delete(`/api/sessions/${talk.id}`).set(me.auth).expect(204);
    expect((await x.search(me, 'ocelot')).results).toEqual([]);
    expect((await x.search(me, 'margay')).results).toEqual([]);
  });

  it('upgrades an index written by the earlier layout: its keys go, its sessions are indexed again and found', async () => {
    const store = h.t.app.get<Store>(REDIS_CLIENT);
    const user = await newGuest(h.t.url);
    const talk = await x.session(user, 'Lynx notes', 'The lynx has tufted ears', 'Lynx eat hares');
    // What the earlier layout left: a ZSET per term (one of them stale), its vocabulary ZSET, per-session keys, and nothing pending.
    const prefix = `${h.t.prefix}:{u:${user.user_id}}:search`;
    const own = `${prefix}:s:${talk.id}`;
    await store.del(`${prefix}:pending`);
    await store.zadd(`${prefix}:terms`, 0, 'lynx', 0, 'tufted', 0, 'wombat');
    for (const term of ['lynx', 'tufted', 'wombat']) await store.zadd(`${prefix}:t:${term}`, 1e14 + 1, talk.id);
    await store.zadd(`${prefix}:sessions`, Date.now(), talk.id);
    await store.rpush(`${own}:w`, 'lynx', 'tufted', 'wombat', 'lynx');
    await store.set(`${own}:last`, talk.messageIds[1]);
    await store.set(`${own}:title`, 'lynx notes');
    expect(x.ids(await x.search(user, 'tufted'))).toEqual([talk.id]);
    expect(x.ids(await x.search(user, 'hares notes'))).toEqual([talk.id]);
    expect((await x.search(user, 'wombat')).results).toEqual([]);
    expect(await store.exists(`${prefix}:terms`, `${prefix}:t:lynx`, `${prefix}:t:wombat`, `${own}:w`, `${own}:last`, `${own}:title`)).toBe(0);
    await h.api().delete(`/api/sessions/${talk.id}`).set(user.auth).expect(204);
    for (const q of ['tufted', 'hares', 'lynx']) expect((await x.search(user, q)).results).toEqual([]);
  });

  it('merges a level\'s segments into one of the next level, dropping gone sessions\' postings', async () => {
    const store = h.t.app.get<Store>(REDIS_CLIENT);
    const repo = h.t.app.get(SessionsRepository);
    const search = h.t.app.get(SearchService);
    const user = await newGuest(h.t.url);
    const kept = await x.session(user, 'Kept', 'walrus one');
    const gone = await x.session(user, 'Gone', 'walrus two');
    const prefix = `${h.t.prefix}:{u:${user.user_id}}:search`;
    const append = (id: string, content: string) => repo.appendMessages(user.user_id, id, [{ id: `m_${randomUUID()}`, role: 'user', content, created_at: Date.now() }]);
    // Each catch-up takes the new message in as a segment of its own: 1 + 70 + 70 segments of level 0.
    await search.catchUp(user.user_id);
    for (let i = 0; i < 70; i++) {
      await append(i % 2 === 0 ? kept.id : gone.id, `walrus ${i}`);
      await search.catchUp(user.user_id);
    }
    await h.api().delete(`/api/sessions/${gone.id}`).set(user.auth).expect(204);
    for (let i = 0; i < 70; i++) {
      await append(kept.id, `walrus again ${i}`);
      await search.catchUp(user.user_id);
    }
    await search.settled(); // merges run in the background
    // 141 = 2 × 64 + 8 + 5: two of level 2, one of level 1, five of level 0.
    const levels = Object.values(await store.hgetall(`${prefix}:segments`)).map((meta) => Number(meta.split(' ')[0]));
    expect(levels.sort()).toEqual([0, 0, 0, 0, 0, 1, 2, 2]);
    expect(await store.zcard(`${prefix}:retired`)).toBe(8 * 17 + 8 * 2);
    const found = await x.search(user, 'walrus');
    expect(x.ids(found)).toEqual([kept.id]);
    expect(found.results[0].snippet).toBe('<mark>walrus</mark> again 69');
    // The level-2 segment merged after the delete holds no posting of the gone session.
    const keptNumber = Number((await store.get(`${prefix}:s:${kept.id}:state`))!.split(' ')[0]);
    const newest = Math.max(...Object.entries(await store.hgetall(`${prefix}:segments`)).filter(([, meta]) => meta.startsWith('2 ')).map(([id]) => Number(id)));
    const line = (await store.get(`${prefix}:g:${newest}`))!.split('\n').find((l) => l.startsWith('walrus\t'))!;
    const postings = new Map<number, number>();
    decodePostings(line, postings, new Set(), line.indexOf('\t') + 1);
    expect([...postings.keys()]).toEqual([keptNumber]);
  });

  it('finds a message stored in the same millisecond as the one before it (a session\'s change stamp holds its message count)', async () => {
    const store = h.t.app.get<Store>(REDIS_CLIENT);
    const keys = h.t.app.get(RedisKeys);
    const user = await newGuest(h.t.url);
    const talk = await x.session(user, 'Same time', 'the first okapi');
    expect(x.ids(await x.search(user, 'okapi'))).toEqual([talk.id]);
    const before = (await store.hget(keys.session(user.user_id, talk.id), 'last_activity'))!;
    await h.t.app.get(SessionsRepository).appendMessages(user.user_id, talk.id, [{ id: `m_${randomUUID()}`, role: 'assistant', content: 'a second quokka', created_at: Date.now() }]);
    // As if stored in the same millisecond: activity time and list score as they were.
    await store.hset(keys.session(user.user_id, talk.id), 'last_activity', before);
    await store.zadd(keys.sessionIndex(user.user_id), 'XX', Number(before), talk.id);
    expect(x.ids(await x.search(user, 'quokka'))).toEqual([talk.id]);
  });

  it('indexes messages stored by a chat turn (the question and the answer)', async () => {
    const id = await h.newSession();
    h.fake.script({ text: 'Marmalade is made from oranges.' });
    await h.sendSse(id, 'How is marmalade made?');
    const history = await h.history(id);
    const page = await x.search(me, 'oranges marmalade ');
    expect(page.results).toEqual([
      { session_id: id, title: expect.any(String), message_id: history[1].id, snippet: '<mark>Marmalade</mark> is made from <mark>oranges</mark>.' },
    ]);
  });

  it('refuses a bad query with a 400 saying what to fix', async () => {
    const bad = async (query: Record<string, string>, message: RegExp) => {
      const res = await h.api().get('/api/search').query(query).set(me.auth).expect(400);
      expect(JSON.stringify(res.body.message)).toMatch(message);
    };
    await bad({}, /q must not be empty/);
    await bad({ q: '   ' }, /q must not be empty/);
    await bad({ q: 'a'.repeat(201) }, /q must be at most 200 characters/);
    await bad({ q: '?!…' }, /q has no words to search for/);
    await bad({ q: 'tea', limit: '0' }, /limit must be a whole number between 1 and 50/);
    await bad({ q: 'tea', limit: '51' }, /limit must be a whole number between 1 and 50/);
    await bad({ q: 'tea', cursor: 'nope!' }, /Invalid cursor/);
    await h.api().get('/api/search').query({ q: 'tea' }).expect(401);
  });
});

describe.each([
  ['Redis', {}],
  ['embedded store', { REDIS_URL: undefined }],
])('search after expiry (%s, SESSION_TTL_SECONDS=1)', (store, env: Record<string, string | undefined>) => {
  let t: TestApp;
  let me: Guest;
  const x = helpers(() => t);
  beforeAll(async () => {
    t = await startTestApp({ SESSION_TTL_SECONDS: '1', ...env });
    me = await newGuest(t.url);
  });
  afterAll(async () => t.close());

  it('an expired session is never found, and its index entries are purged', async () => {
    const lapsed = await x.session(me, 'Capybara', 'capybara meadow');
    const pinned = await x.session(me, 'Capybara pinned', 'capybara river');
    await request(t.url).patch(`/api/sessions/${pinned.id}`).set(me.auth).send({ pinned: true }).expect(200);
    expect(x.ids(await x.search(me, 'capybara')).sort()).toEqual([lapsed.id, pinned.id].sort());
    const state = await t.app.get<Store>(REDIS_CLIENT).get(`${t.prefix}:{u:${me.user_id}}:search:s:${lapsed.id}:state`);
    const lapsedNumber = encodeFixed(Number(state!.split(' ')[0]), 4);
    await sleep(2200);
    expect(x.ids(await x.search(me, 'capybara'))).toEqual([pinned.id]);
    expect((await x.search(me, 'meadow')).results).toEqual([]);
    const redis = t.app.get<Store>(REDIS_CLIENT);
    const prefix = `${t.prefix}:{u:${me.user_id}}:search`;
    const own = `${prefix}:s:${lapsed.id}`;
    expect(await redis.exists(`${own}:state`, `${own}:ids`)).toBe(0);
    expect(Object.values(await redis.hgetall(`${prefix}:ords`))).toEqual([pinned.id]);
    expect(await redis.zrange(`${prefix}:sessions`, 0, -1)).toEqual([pinned.id]);
    // The lapsed session's number, recorded as gone (twice when the sweep and a search both found it gone).
    expect(new Set((await redis.get(`${prefix}:dead`))!.match(/.{4}/g))).toEqual(new Set([lapsedNumber]));
    void store;
  });
});
