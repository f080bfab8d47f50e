import { NotFoundException } from '@nestjs/common';
import { sessionsSettings } from '../server/config/config';
import { IdentityRepository } from '../server/identity/identity.repository';
import { TokenRepository } from '../server/identity/token.repository';
import { MemoryRedis } from '../server/redis/memory-redis';
import { RedisKeys } from '../server/redis/redis-keys';
import { repliesOf, type Store } from '../server/redis/store';
import type { MessageDto } from '../server/sessions/dto/message.dto';
import type { StoredMessage } from '../server/sessions/session.model';
import { SessionsRepository } from '../server/sessions/sessions.repository';
import { deleteKeysWithPrefix, uniquePrefix } from './support/redis';
import { openTestRedis } from './support/store';

/**
 * The repository contract: the same tests against the embedded store and a real Redis, so the
 * app behaves the same whichever store it runs on.
 */
interface OpenStore {
  /** The app's Store, plus PTTL to see TTLs. */
  client: Store & { pttl(key: string): Promise<number> };
  close(): Promise<void>;
}

const stores: Array<[string, (prefix: string) => Promise<OpenStore>]> = [
  ['embedded store', async () => {
    const client = new MemoryRedis();
    return { client, close: async () => void (await client.quit()) };
  }],
  ['Redis', async (prefix) => {
    const client = await openTestRedis();
    return {
      client,
      close: async () => {
        await deleteKeysWithPrefix(prefix);
        await client.quit();
      },
    };
  }],
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function message(role: 'user' | 'assistant', content: string, i = 0): StoredMessage {
  return { id: `m_${role}_${content}_${i}`, role, content, created_at: 1_700_000_000_000 + i, status: role === 'assistant' ? 'complete' : undefined };
}

describe.each(stores)('sessions repository contract: %s', (_name, open) => {
  let store: OpenStore;
  let keys: RedisKeys;
  let prefix: string;
  const repo = (ttlSeconds = 3600, readRenewIntervalMs?: number) =>
    new SessionsRepository(store.client, keys, { ...sessionsSettings(ttlSeconds), ...(readRenewIntervalMs === undefined ? {} : { readRenewIntervalMs }) });
  /** The identity's index entries (id → score). */
  const indexOf = async (u: string) => {
    const flat = await store.client.zrevrangebyscore(keys.sessionIndex(u), '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, -1);
    return new Map(flat.flatMap((v, i) => (i % 2 === 0 ? [[v, Number(flat[i + 1])] as const] : [])));
  };
  let user = 0;
  const newUser = () => `u_contract${String(++user).padStart(12, '0')}xxxxxxxxxx`.slice(0, 24);
  const input = (name = 'chat') => ({ display_name: name, persona: 'default', metadata: { a: 1 } });

  beforeAll(async () => {
    prefix = uniquePrefix('contract');
    store = await open(prefix);
    keys = new RedisKeys({ keyPrefix: prefix, url: undefined });
  });
  afterAll(async () => {
    await store.close();
  });

  it('create + find round trip, with TTL on hash and list', async () => {
    const u = newUser();
    const created = await repo().create(u, input('first'));
    const found = await repo().find(u, created.id);
    expect(found).toMatchObject({ id: created.id, user_id: u, display_name: 'first', persona: 'default', metadata: { a: 1 }, message_count: 0, pinned: false });
    expect(found!.expires_at! - Date.now()).toBeGreaterThan(3590_000);
    expect(await store.client.pttl(keys.session(u, created.id))).toBeGreaterThan(3590_000);
    expect(await store.client.pttl(keys.messages(u, created.id))).toBeGreaterThan(3590_000);
    expect(await repo().find(u, 's_doesnotexist0000000000')).toBeNull();
  });

  it('TTL 0 never expires', async () => {
    const u = newUser();
    const s = await repo(0).create(u, input());
    expect(s.expires_at).toBeNull();
    expect(await store.client.pttl(keys.session(u, s.id))).toBe(-1);
    expect((await repo(0).find(u, s.id))!.expires_at).toBeNull();
  });

  it('sliding TTL: reads and writes renew hash and list', async () => {
    const u = newUser();
    const r = repo(60, 0);
    const s = await r.create(u, input());
    const shorten = () => Promise.all([store.client.pexpire(keys.session(u, s.id), 500), store.client.pexpire(keys.messages(u, s.id), 500)]);
    for (const touch of [() => r.find(u, s.id), () => r.recentMessages(u, s.id, 5), () => r.listMessages(u, s.id, 5), () => r.appendMessages(u, s.id, [message('user', 'x')])]) {
      await shorten();
      await touch();
      expect(await store.client.pttl(keys.session(u, s.id))).toBeGreaterThan(59_000);
      expect(await store.client.pttl(keys.messages(u, s.id))).toBeGreaterThan(59_000);
      // A list page shows the renewed expiry without asking Redis for each TTL.
      const [listed] = (await r.list(u, 1)).sessions;
      const actual = Date.now() + (await store.client.pttl(keys.session(u, s.id)));
      expect(Math.abs(listed.expires_at! - actual)).toBeLessThan(250);
    }
  });

  it('reads renew at most once per interval; writes always renew', async () => {
    const u = newUser();
    const r = repo(60, 60_000);
    const s = await r.create(u, input());
    const first = await r.find(u, s.id); // the first read renews
    const shorten = () => Promise.all([store.client.pexpire(keys.session(u, s.id), 5000), store.client.pexpire(keys.messages(u, s.id), 5000)]);
    await shorten();
    for (const read of [() => r.find(u, s.id), () => r.recentMessages(u, s.id, 5), () => r.listMessages(u, s.id, 5)]) {
      expect(await read()).not.toBeNull();
      expect(await store.client.pttl(keys.session(u, s.id))).toBeLessThanOrEqual(5000);
      expect(await store.client.pttl(keys.messages(u, s.id))).toBeLessThanOrEqual(5000);
    }
    // Skipped renewals wrote nothing: a read still reports the expiry the first read set.
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await r.find(u, s.id))!.expires_at).toBe(first!.expires_at);
    await r.appendMessages(u, s.id, [message('user', 'x')]);
    expect(await store.client.pttl(keys.session(u, s.id))).toBeGreaterThan(59_000);
    expect(await store.client.pttl(keys.messages(u, s.id))).toBeGreaterThan(59_000);
    // Another process (a fresh repository) has renewed nothing yet, so its first read renews.
    await shorten();
    await repo(60, 60_000).find(u, s.id);
    expect(await store.client.pttl(keys.session(u, s.id))).toBeGreaterThan(59_000);
  });

  it('expired sessions vanish and their index entries are pruned lazily by listing', async () => {
    const u = newUser();
    const r = repo(1);
    const kept = await repo(0).create(u, input('kept'));
    const gone = await r.create(u, input('gone'));
    expect((await indexOf(u)).size).toBe(2);
    await sleep(1200);
    expect(await r.find(u, gone.id)).toBeNull();
    const page = await r.list(u, 10);
    expect(page.sessions.map((s) => s.id)).toEqual([kept.id]);
    expect(page.next).toBeNull();
    expect((await indexOf(u)).size).toBe(1);
  });

  it('expired sessions never show in a filtered list; the filter sets it reads are purged', async () => {
    const u = newUser();
    const r = repo(1);
    const kept = await repo(0).create(u, input('kept'));
    const gone = await r.create(u, input('gone'));
    const goneArchived = await r.create(u, input('gone archived'));
    await repo(0).update(u, kept.id, { tags: ['t'] });
    await r.update(u, gone.id, { tags: ['t'] });
    await r.update(u, goneArchived.id, { tags: ['t'], archived: true });
    await sleep(1200);
    expect((await r.list(u, 10, undefined, { archived: false, tag: 't' })).sessions.map((s) => s.id)).toEqual([kept.id]);
    expect((await r.list(u, 10, undefined, { archived: true, tag: 't' })).sessions).toEqual([]);
    expect((await r.list(u, 10, undefined, { archived: false, persona: 'default' })).sessions.map((s) => s.id)).toEqual([kept.id]);
    expect(await store.client.zcard(keys.sessionTag(u, 't'))).toBe(1);
    expect(await store.client.zcard(keys.archivedSessionIndex(u))).toBe(0);
    expect(await store.client.zcard(keys.sessionIndex(u))).toBe(1);
  });

  it('pin PERSISTs hash and list; reads and appends keep it persisted; unpin restores the TTL', async () => {
    const u = newUser();
    const r = repo(60);
    const s = await r.create(u, input());
    const pinned = await r.update(u, s.id, { pinned: true });
    expect(pinned).toMatchObject({ pinned: true, expires_at: null });
    await r.find(u, s.id);
    await r.appendMessages(u, s.id, [message('user', 'hi')]);
    await r.listMessages(u, s.id, 10);
    await r.clearMessages(u, s.id);
    await r.update(u, s.id, { display_name: 'renamed' });
    expect(await store.client.pttl(keys.session(u, s.id))).toBe(-1);
    expect(await store.client.pttl(keys.messages(u, s.id))).toBe(-1);
    const unpinned = await r.update(u, s.id, { pinned: false });
    expect(unpinned!.pinned).toBe(false);
    expect(unpinned!.expires_at! - Date.now()).toBeGreaterThan(59_000);
    expect(await store.client.pttl(keys.messages(u, s.id))).toBeGreaterThan(59_000);
  });

  it('pagination: every session exactly once, newest first, also with equal scores', async () => {
    const u = newUser();
    const r = repo();
    const ids: string[] = [];
    // 40 sessions over 4 distinct timestamps: many ties in the index.
    for (let i = 0; i < 40; i++) ids.push((await r.create(u, input(`s${i}`), 1_700_000_000_000 + Math.floor(i / 10))).id);
    const expected = [...ids].sort((a, b) => Math.floor(ids.indexOf(b) / 10) - Math.floor(ids.indexOf(a) / 10) || (a < b ? 1 : -1));
    for (const size of [1, 3, 7, 40, 50]) {
      const seen: string[] = [];
      let after;
      for (let pages = 0; pages < 100; pages++) {
        const page = await r.list(u, size, after);
        seen.push(...page.sessions.map((s) => s.id));
        if (!page.next) break;
        after = page.next;
      }
      expect(seen).toEqual(expected);
    }
  });

  it('listing tops a page up past many expired entries, and prunes them', async () => {
    const u = newUser();
    const r = repo();
    const live: string[] = [];
    for (let i = 0; i < 30; i++) {
      const s = await r.create(u, input(`s${i}`), 1_700_000_000_000 + i);
      if (i % 3 === 0) live.push(s.id);
      else await store.client.del(keys.session(u, s.id), keys.messages(u, s.id)); // as if expired
    }
    const page = await r.list(u, 5);
    expect(page.sessions.map((s) => s.id)).toEqual([...live].reverse().slice(0, 5));
    const rest = await r.list(u, 50, page.next!);
    expect(rest.sessions.map((s) => s.id)).toEqual([...live].reverse().slice(5));
    expect((await indexOf(u)).size).toBe(live.length);
  });

  it('append: atomic counters under concurrency, history pages and cursors', async () => {
    const u = newUser();
    const r = repo();
    const s = await r.create(u, input());
    await Promise.all(Array.from({ length: 25 }, (_, i) => r.appendMessages(u, s.id, [message('user', `q${i}`, i)])));
    const after = await r.appendMessages(u, s.id, [message('user', 'last-q', 100), message('assistant', 'last-a', 101)]);
    expect(after.message_count).toBe(27);
    expect(after.last_activity).toBeGreaterThanOrEqual(s.last_activity);
    expect((await indexOf(u)).get(s.id)).toBe(after.last_activity);
    const first = await r.listMessages(u, s.id, 10);
    expect(first!.total).toBe(27);
    const all = first!.messages.map((json) => JSON.parse(json) as MessageDto);
    expect(all.map((m) => m.content).slice(-2)).toEqual(['last-q', 'last-a']);
    let before = first!.nextBefore;
    while (before !== null) {
      const page = await r.listMessages(u, s.id, 10, before);
      all.unshift(...page!.messages.map((json) => JSON.parse(json) as MessageDto));
      before = page!.nextBefore;
    }
    expect(all).toHaveLength(27);
    expect(new Set(all.map((m) => m.id)).size).toBe(27);
    expect((await r.recentMessages(u, s.id, 3)).map((m) => m.content)).toEqual([all[24].content, 'last-q', 'last-a']);
  });

  it('appendAndReadRecent stores and reads back the newest messages in one go', async () => {
    const u = newUser();
    const r = repo();
    const s = await r.create(u, input());
    await r.appendMessages(u, s.id, [message('user', 'q0'), message('assistant', 'a0', 1)]);
    const { session, recent } = await r.appendAndReadRecent(u, s.id, [message('user', 'q1', 2)], 2);
    expect(session.message_count).toBe(3);
    expect(recent.map((m) => m.content)).toEqual(['a0', 'q1']);
    await expect(r.appendAndReadRecent(u, 's_missingmissingmissing0', [message('user', 'x')], 2)).rejects.toBeInstanceOf(NotFoundException);
  });

  it('messages are stored as their API JSON with parent_id and their place among siblings', async () => {
    const u = newUser();
    const r = repo();
    const s = await r.create(u, input());
    await r.appendMessages(u, s.id, [message('user', 'q', 0), { ...message('assistant', 'new', 1), finish_reason: 'stop', usage: null }]);
    const stored = await store.client.lindex(keys.messages(u, s.id), -1);
    expect(JSON.parse(stored!)).toEqual({
      id: 'm_assistant_new_1',
      role: 'assistant',
      content: 'new',
      created_at: new Date(1_700_000_000_001).toISOString(),
      parent_id: 'm_user_q_0',
      status: 'complete',
      finish_reason: 'stop',
      usage: null,
      sibling_index: 0,
      sibling_count: 1,
    });
    const page = await r.listMessages(u, s.id, 10);
    expect(page!.messages[1]).toBe(stored);
    expect(JSON.parse(page!.messages[0])).toMatchObject({ id: 'm_user_q_0', parent_id: null, sibling_index: 0, sibling_count: 1 });
    expect((await r.find(u, s.id))!.active_leaf_id).toBe('m_assistant_new_1');
    expect(await store.client.pttl(keys.messageTree(u, s.id))).toBeGreaterThan(3590_000);
  });

  /** Writes a session the way it was stored before the tree: no leaf field, no tree hash, entries without parent_id. */
  async function oldFormatSession(r: SessionsRepository, u: string) {
    const s = await r.create(u, input('old'));
    await store.client.hdel(keys.session(u, s.id), 'leaf');
    await store.client.del(keys.messageTree(u, s.id));
    await store.client.rpush(
      keys.messages(u, s.id),
      JSON.stringify({ id: 'm_old1', role: 'user', content: 'from before', created_at: 1_700_000_000_000, persona: 'default' }),
      JSON.stringify({ id: 'm_old2', role: 'assistant', content: 'answer before', created_at: new Date(1_700_000_000_001).toISOString(), status: 'complete' }),
      JSON.stringify({ id: 'm_old3', role: 'user', content: 'again', created_at: new Date(1_700_000_000_002).toISOString() }),
    );
    await store.client.hset(keys.session(u, s.id), 'message_count', 3);
    return s;
  }

  it('sessions stored before the tree are migrated on first access: parents follow list order, TTL kept', async () => {
    const u = newUser();
    const r = repo();
    const s = await oldFormatSession(r, u);
    await store.client.pexpire(keys.messages(u, s.id), 1_000_000);
    const page = await r.listMessages(u, s.id, 10);
    expect(page!.total).toBe(3);
    expect(page!.messages.map((m) => JSON.parse(m))).toEqual([
      { id: 'm_old1', role: 'user', content: 'from before', created_at: new Date(1_700_000_000_000).toISOString(), parent_id: null, persona: 'default', sibling_index: 0, sibling_count: 1 },
      { id: 'm_old2', role: 'assistant', content: 'answer before', created_at: new Date(1_700_000_000_001).toISOString(), parent_id: 'm_old1', status: 'complete', sibling_index: 0, sibling_count: 1 },
      { id: 'm_old3', role: 'user', content: 'again', created_at: new Date(1_700_000_000_002).toISOString(), parent_id: 'm_old2', sibling_index: 0, sibling_count: 1 },
    ]);
    expect((await r.find(u, s.id))!.active_leaf_id).toBe('m_old3');
    const ttl = await store.client.pttl(keys.messageTree(u, s.id));
    expect(ttl).toBeGreaterThan(900_000); // the tree gets the list's TTL
    // Branch operations work on the migrated tree.
    const point = await r.branchAt(u, s.id, 'm_old1');
    expect(point).toEqual({ parent_id: 'm_old1', depth: 1, siblings: ['m_old2'] });
    await r.appendMessages(u, s.id, [{ ...message('assistant', 'v2', 5), parent_id: 'm_old1', depth: 2 }], point.siblings);
    expect((await r.recentMessages(u, s.id, 10)).map((m) => [m.id, m.sibling_index, m.sibling_count])).toEqual([
      ['m_old1', 0, 1],
      ['m_assistant_v2_5', 1, 2],
    ]);
    // The first access of any kind migrates too (here: find, before a send).
    const other = await oldFormatSession(r, u);
    expect((await r.find(u, other.id))!.active_leaf_id).toBe('m_old3');
    await r.appendMessages(u, other.id, [message('assistant', 'next', 9)]);
    expect((await r.recentMessages(u, other.id, 1))[0]).toMatchObject({ parent_id: 'm_old3' });
  });

  it('tree: versions beside a message, switching branches, the path to a message, every message, import', async () => {
    const u = newUser();
    const r = repo();
    const s = await r.create(u, input());
    const ids = (list: StoredMessage[]) => list.map((m) => `${m.content}:${m.sibling_index}/${m.sibling_count}`);
    await r.appendMessages(u, s.id, [message('user', 'q1'), message('assistant', 'a1', 1), message('user', 'q2', 2), message('assistant', 'a2', 3)]);
    // Edit q2: a new version beside it, below a1.
    const edit = await r.branchAt(u, s.id, 'm_assistant_a1_1');
    expect(edit).toEqual({ parent_id: 'm_assistant_a1_1', depth: 2, siblings: ['m_user_q2_2'] });
    await r.appendMessages(u, s.id, [{ ...message('user', 'q2b', 4), parent_id: 'm_assistant_a1_1', depth: 3 }, message('assistant', 'a2b', 5)], edit.siblings);
    expect(ids(await r.recentMessages(u, s.id, 10))).toEqual(['q1:0/1', 'a1:0/1', 'q2b:1/2', 'a2b:0/1']);
    expect((await r.find(u, s.id))!.message_count).toBe(4);
    // Back to the first version of q2: the path continues to its newest leaf.
    let session = await r.switchPath(u, s.id, 'm_user_q2_2');
    expect(session).toMatchObject({ message_count: 4, active_leaf_id: 'm_assistant_a2_3' });
    expect(ids(await r.recentMessages(u, s.id, 10))).toEqual(['q1:0/1', 'a1:0/1', 'q2:0/2', 'a2:0/1']);
    // A new first message, then switching to a deep message of the other top branch.
    const top = await r.branchAt(u, s.id, null);
    expect(top).toEqual({ parent_id: null, depth: 0, siblings: ['m_user_q1_0'] });
    await r.appendMessages(u, s.id, [{ ...message('user', 'other', 6), parent_id: null, depth: 1 }], top.siblings);
    expect(ids(await r.recentMessages(u, s.id, 10))).toEqual(['other:1/2']);
    session = await r.switchPath(u, s.id, 'm_assistant_a2b_5');
    expect(ids(await r.recentMessages(u, s.id, 10))).toEqual(['q1:0/2', 'a1:0/1', 'q2b:1/2', 'a2b:0/1']);
    expect(session!.active_leaf_id).toBe('m_assistant_a2b_5');
    expect(await r.activeLeafId(u, s.id)).toBe('m_assistant_a2b_5');
    // The path to a message off the active path.
    expect((await r.pathTo(u, s.id, 'm_user_q2_2'))!.map((m) => m.content)).toEqual(['q1', 'a1', 'q2']);
    expect((await r.pathTo(u, s.id, 'm_assistant_a1_1'))!.map((m) => m.content)).toEqual(['q1', 'a1']);
    await expect(r.switchPath(u, s.id, 'm_nothere')).rejects.toThrow(/No message m_nothere in this session/);
    // Every message, parents first.
    const all = (await r.allMessages(u, s.id))!;
    expect(all).toHaveLength(7);
    const position = new Map(all.map((m, i) => [m.id, i]));
    for (const m of all) if (m.parent_id) expect(position.get(m.parent_id)!).toBeLessThan(position.get(m.id)!);
    expect(all.find((m) => m.id === 'm_user_q2_2')).toMatchObject({ parent_id: 'm_assistant_a1_1', sibling_index: 0, sibling_count: 2 });
    // The whole tree into a new session, in one go; the active path as chosen.
    const copy = await r.importTree(u, { display_name: 'copy', persona: 'default', metadata: {} }, all, 'm_user_q2_2');
    expect(copy).toMatchObject({ message_count: 3, active_leaf_id: 'm_user_q2_2' });
    expect(ids(await r.recentMessages(u, copy.id, 10))).toEqual(['q1:0/2', 'a1:0/1', 'q2:0/2']);
    expect((await r.allMessages(u, copy.id))!.map((m) => m.id).sort()).toEqual(all.map((m) => m.id).sort());
    const newest = await r.importTree(u, { display_name: 'copy', persona: 'default', metadata: {} }, all, null);
    expect(ids(await r.recentMessages(u, newest.id, 10))).toEqual(['other:1/2']);
    expect(await store.client.pttl(keys.messageTree(u, copy.id))).toBeGreaterThan(3590_000);
  });

  it('tree: feedback on and off the path; deleting a message with its subtree moves the path up sensibly', async () => {
    const u = newUser();
    const r = repo();
    const s = await r.create(u, input());
    const path = async () => (await r.recentMessages(u, s.id, 20)).map((m) => `${m.content}:${m.sibling_index}/${m.sibling_count}`);
    await r.appendMessages(u, s.id, [message('user', 'q1'), message('assistant', 'a1', 1), message('user', 'q2', 2), message('assistant', 'a2', 3)]);
    const again = await r.branchAt(u, s.id, 'm_user_q2_2');
    await r.appendMessages(u, s.id, [{ ...message('assistant', 'a2b', 4), parent_id: 'm_user_q2_2', depth: 4 }], again.siblings);
    expect(await path()).toEqual(['q1:0/1', 'a1:0/1', 'q2:0/1', 'a2b:1/2']);
    // Feedback on the path shows in the history; off the path, in the record.
    const rated = await r.setFeedback(u, s.id, 'm_assistant_a2b_4', { rating: 'up', comment: 'good', updated_at: 1_700_000_000_100 });
    expect(rated).toMatchObject({ feedback: { rating: 'up', comment: 'good' }, sibling_index: 1, sibling_count: 2 });
    expect((await r.recentMessages(u, s.id, 1))[0].feedback).toMatchObject({ rating: 'up', comment: 'good' });
    expect(await r.setFeedback(u, s.id, 'm_assistant_a2_3', { rating: 'down', updated_at: 1_700_000_000_101 })).toMatchObject({ sibling_index: 0 });
    expect((await r.findMessage(u, s.id, 'm_assistant_a2_3'))!.feedback).toMatchObject({ rating: 'down' });
    expect(await path()).toEqual(['q1:0/1', 'a1:0/1', 'q2:0/1', 'a2b:1/2']);
    // Deleting the version not shown: the one shown loses a sibling.
    await r.deleteMessage(u, s.id, 'm_assistant_a2_3');
    expect(await path()).toEqual(['q1:0/1', 'a1:0/1', 'q2:0/1', 'a2b:0/1']);
    // Deleting a message on the path: back to its parent, then the newest remaining version below.
    await r.appendMessages(u, s.id, [message('user', 'q3', 5), message('assistant', 'a3', 6)]);
    const edit = await r.branchAt(u, s.id, 'm_assistant_a1_1');
    await r.appendMessages(u, s.id, [{ ...message('user', 'q2x', 7), parent_id: 'm_assistant_a1_1', depth: 3 }], edit.siblings);
    await r.switchPath(u, s.id, 'm_assistant_a3_6');
    expect(await path()).toEqual(['q1:0/1', 'a1:0/1', 'q2:0/2', 'a2b:0/1', 'q3:0/1', 'a3:0/1']);
    let session = await r.deleteMessage(u, s.id, 'm_user_q2_2');
    expect(await path()).toEqual(['q1:0/1', 'a1:0/1', 'q2x:0/1']);
    expect(session).toMatchObject({ message_count: 3, active_leaf_id: 'm_user_q2x_7' });
    expect((await r.allMessages(u, s.id))!.map((m) => m.content).sort()).toEqual(['a1', 'q1', 'q2x']);
    session = await r.deleteMessage(u, s.id, 'm_user_q1_0');
    expect(session).toMatchObject({ message_count: 0, active_leaf_id: null });
    expect(await path()).toEqual([]);
    expect(await r.allMessages(u, s.id)).toEqual([]);
    await expect(r.deleteMessage(u, s.id, 'm_user_q1_0')).rejects.toThrow(/No message m_user_q1_0/);
    // The session takes messages again from the top.
    await r.appendMessages(u, s.id, [message('user', 'fresh', 8)]);
    expect(await path()).toEqual(['fresh:0/1']);
  });

  it('LSET replaces an element by index (negative from the end); a missing key or index is an error', async () => {
    const key = `${prefix}:lset`;
    await store.client.rpush(key, 'a', 'b', 'c');
    expect(await store.client.lset(key, 1, 'B')).toBe('OK');
    expect(await store.client.lset(key, -1, 'C')).toBe('OK');
    expect(await store.client.lrange(key, 0, -1)).toEqual(['a', 'B', 'C']);
    await expect(store.client.lset(key, 3, 'x')).rejects.toThrow(/index out of range/);
    await expect(store.client.lset(`${prefix}:lset-none`, 0, 'x')).rejects.toThrow(/no such key/);
    const replies = await store.client.multi().lset(key, 0, 'A').lrange(key, 0, -1).exec();
    expect(replies![1][1]).toEqual(['A', 'B', 'C']);
  });

  it('historyPageBuffer reads LLEN, an LRANGE and an HMGET in one command, every bulk reply a Buffer', async () => {
    const list = `${prefix}:history-page`;
    const hash = `${prefix}:history-page-hash`;
    await store.client.rpush(list, '', '{"a":"é"}', 'b');
    await store.client.hset(hash, { created_at: '1', persona: 'default' });
    const [length, entries, fields] = await store.client.historyPageBuffer(list, hash, -2, -1, 'created_at', 'missing', 'persona');
    expect(length).toBe(3);
    expect(entries.every((b) => Buffer.isBuffer(b))).toBe(true);
    expect(entries.map((b) => b.toString('utf8'))).toEqual(['{"a":"é"}', 'b']);
    expect(fields.map((f) => f && f.toString())).toEqual(['1', null, 'default']);
    expect((await store.client.historyPageBuffer(list, hash, 0, 0, 'persona'))[1]).toEqual([Buffer.alloc(0)]);
    expect(await store.client.historyPageBuffer(`${list}-none`, `${hash}-none`, 0, -1, 'created_at')).toEqual([0, [], [null]]);
  });

  it('writes to and reads of a missing session change nothing', async () => {
    const u = newUser();
    const r = repo();
    const missing = 's_missingmissingmissing0';
    await expect(r.appendMessages(u, missing, [message('user', 'x')])).rejects.toBeInstanceOf(NotFoundException);
    expect(await r.clearMessages(u, missing)).toBeNull();
    expect(await r.update(u, missing, { display_name: 'x', pinned: true })).toBeNull();
    expect(await r.delete(u, missing)).toBe(false);
    expect(await r.switchPath(u, missing, 'm_x')).toBeNull();
    expect(await r.deleteMessage(u, missing, 'm_x')).toBeNull();
    expect(await r.allMessages(u, missing)).toBeNull();
    expect(await r.listMessages(u, missing, 10)).toBeNull();
    expect(await r.listMessages(u, missing, 10, 5)).toBeNull();
    expect(await store.client.exists(keys.session(u, missing), keys.messages(u, missing), keys.messageTree(u, missing), keys.sessionIndex(u), keys.sessionNames(u))).toBe(0);
  });

  it('a first read of a missing session\'s history (its renewal due) leaves no key behind', async () => {
    const u = newUser();
    const missing = 's_missingmissingmissing1';
    expect(await repo(60, 60_000).listMessages(u, missing, 10)).toBeNull();
    expect(await store.client.exists(keys.session(u, missing), keys.messages(u, missing), keys.messageTree(u, missing))).toBe(0);
  });

  it('delete removes hash, list and index entry in one go', async () => {
    const u = newUser();
    const r = repo();
    const s = await r.create(u, input());
    await r.appendMessages(u, s.id, [message('user', 'x')]);
    expect(await r.delete(u, s.id)).toBe(true);
    expect(await store.client.exists(keys.session(u, s.id), keys.messages(u, s.id), keys.messageTree(u, s.id))).toBe(0);
    expect((await indexOf(u)).has(s.id)).toBe(false);
  });

  it('clear empties the history and keeps the session', async () => {
    const u = newUser();
    const r = repo();
    const s = await r.create(u, input());
    await r.appendMessages(u, s.id, [message('user', 'x'), message('assistant', 'y')]);
    const cleared = await r.clearMessages(u, s.id);
    expect(cleared!.message_count).toBe(0);
    expect(await r.listMessages(u, s.id, 10)).toEqual({ messages: [], total: 0, nextBefore: null });
    await r.appendMessages(u, s.id, [message('user', 'again')]);
    expect((await r.find(u, s.id))!.message_count).toBe(1);
  });

  it('tags, archive and pin move a session between filters and buckets; delete leaves no filter entry', async () => {
    const r = repo();
    const u = newUser();
    const a = await r.create(u, input('a'), 1000);
    const b = await r.create(u, { ...input('b'), persona: 'other' }, 2000);
    const c = await r.create(u, input('c'), 3000);
    const ids = async (filter?: Parameters<SessionsRepository['list']>[3]) => (await r.list(u, 10, undefined, filter)).sessions.map((s) => s.id);
    await r.update(u, a.id, { tags: ['x', 'y'] });
    await r.update(u, b.id, { addTag: 'x' });
    expect(await ids({ archived: false, tag: 'x' })).toEqual([b.id, a.id]);
    expect(await ids({ archived: false, persona: 'other' })).toEqual([b.id]);
    await r.update(u, a.id, { pinned: true });
    expect(await ids()).toEqual([a.id, c.id, b.id]);
    await r.update(u, c.id, { archived: true });
    expect(await ids()).toEqual([a.id, b.id]);
    expect(await ids({ archived: true })).toEqual([c.id]);
    // Activity moves the score within the bucket the session is in, and keeps it there.
    await r.appendMessages(u, c.id, [message('user', 'hi')]);
    expect(await ids({ archived: true })).toEqual([c.id]);
    await r.appendMessages(u, b.id, [message('user', 'hi')]);
    expect(await ids()).toEqual([a.id, b.id]);
    await r.update(u, b.id, { removeTag: 'x', persona: 'default' });
    expect(await ids({ archived: false, tag: 'x' })).toEqual([a.id]);
    expect(await ids({ archived: false, persona: 'other' })).toEqual([]);
    expect(await r.delete(u, a.id)).toBe(true);
    expect(await store.client.zcard(keys.sessionTag(u, 'x'))).toBe(0);
    expect(await store.client.zcard(keys.sessionTag(u, 'y'))).toBe(0);
    expect(await store.client.zcard(keys.pinnedSessionIndex(u))).toBe(0);
    expect(await ids({ archived: false, tag: 'x' })).toEqual([]);
  });

  it('setAutoTitle names only a session still named by default', async () => {
    const r = repo();
    const u = newUser();
    const named = await r.create(u, input('mine'));
    const unnamed = await r.create(u, { ...input('Chat · 1 Jan 00:00'), title_source: 'default' });
    expect(await r.setAutoTitle(u, named.id, 'Model title')).toBeNull();
    expect((await r.setAutoTitle(u, unnamed.id, 'Model title'))?.display_name).toBe('Model title');
    expect(await r.setAutoTitle(u, unnamed.id, 'Second')).toBeNull();
    expect(await r.find(u, unnamed.id)).toMatchObject({ display_name: 'Model title', title_source: 'auto' });
    expect(await r.findIdByName(u, 'Model title')).toBe(unnamed.id);
    await r.update(u, unnamed.id, { display_name: 'Renamed' });
    expect(await r.find(u, unnamed.id)).toMatchObject({ display_name: 'Renamed', title_source: 'user' });
  });

  it('finds the newest session by display name, following renames and deletions', async () => {
    const u = newUser();
    const r = repo();
    const older = await r.create(u, input('John Doe'), 1_700_000_000_000);
    const newer = await r.create(u, input('John Doe'), 1_700_000_000_001);
    expect(await r.findIdByName(u, 'John Doe')).toBe(newer.id);
    await r.delete(u, newer.id);
    expect(await r.findIdByName(u, 'John Doe')).toBe(older.id);
    await r.update(u, older.id, { display_name: 'Jane' });
    expect(await r.findIdByName(u, 'Jane')).toBe(older.id);
    expect(await r.findIdByName(u, 'John Doe')).toBeNull();
    expect(await store.client.hget(keys.sessionNames(u), 'John Doe')).toBeNull();
  });

  it('identity repository: record, user names, guest inactivity expiry', async () => {
    const ids = new IdentityRepository(store.client, keys);
    const guest = 'u_contractguest000000000';
    await ids.create({ user_id: guest, created_at: 1234, kind: 'guest' }, {}, 60_000);
    expect(await ids.find(guest)).toEqual({ user_id: guest, created_at: 1234, kind: 'guest' });
    expect(await store.client.pttl(keys.identity(guest))).toBeGreaterThan(59_000);
    await store.client.zadd(keys.sessionIndex(guest), 1, 's_x');
    expect(await ids.renewGuest(guest, 120_000)).toBe(true);
    expect(await store.client.pttl(keys.sessionIndex(guest))).toBeGreaterThan(119_000);
    expect(await ids.claimUsername('alice.contract', guest)).toBe(true);
    expect(await ids.claimUsername('alice.contract', 'u_other')).toBe(false);
    expect(await ids.userIdByUsername('alice.contract')).toBe(guest);
    await ids.makeAccount(guest, 'alice.contract', 'hash');
    expect(await ids.find(guest)).toEqual({ user_id: guest, created_at: 1234, kind: 'account', username: 'alice.contract' });
    expect(await ids.passwordHash(guest)).toBe('hash');
    expect(await store.client.pttl(keys.identity(guest))).toBe(-1);
    expect(await store.client.pttl(keys.sessionIndex(guest))).toBe(-1);
    // An account is never given an inactivity expiry, and a gone identity reports so.
    expect(await ids.renewGuest(guest, 1000)).toBe(true);
    expect(await store.client.pttl(keys.identity(guest))).toBe(-1);
    expect(await ids.renewGuest('u_contractmissing0000000', 1000)).toBe(false);
    // Identities from before kinds existed read as guests.
    await store.client.hset(keys.identity('u_contractolder000000000'), { created_at: '5' });
    expect(await ids.find('u_contractolder000000000')).toEqual({ user_id: 'u_contractolder000000000', created_at: 5, kind: 'guest' });
  });

  it('token repository: owner lookup, sliding expiry, listing, revocation', async () => {
    const tokens = new TokenRepository(store.client, keys);
    const u = 'u_contracttokens00000000';
    const record = (id: string, kind: 'login' | 'api', hash: string, created_at = Date.now()) => ({ id, kind, hash, created_at, expires_at: null });
    await tokens.create(u, record('t_login000000000000', 'login', 'ab'.repeat(32)), 60_000);
    await tokens.create(u, { ...record('t_api00000000000000', 'api', 'cd'.repeat(32)), name: 'script' }, 0);
    expect(await tokens.findOwner('ab'.repeat(32))).toEqual({ user_id: u, token_id: 't_login000000000000', kind: 'login' });
    expect(await tokens.findOwner('ef'.repeat(32))).toBeNull();
    expect(await store.client.pttl(keys.token('ab'.repeat(32)))).toBeGreaterThan(59_000);
    expect(await store.client.pttl(keys.token('cd'.repeat(32)))).toBe(-1);
    await expect(tokens.create(u, record('t_other0000000000000', 'login', 'ab'.repeat(32)), 0)).rejects.toThrow(/collision/);

    await store.client.pexpire(keys.token('ab'.repeat(32)), 5000);
    expect(await tokens.touch('ab'.repeat(32), { user_id: u, token_id: 't_login000000000000', kind: 'login' }, 120_000, 42)).toBe(true);
    expect(await store.client.pttl(keys.token('ab'.repeat(32)))).toBeGreaterThan(119_000);
    const listed = await tokens.list(u);
    expect(listed.find((t) => t.id === 't_login000000000000')!.last_used_at).toBe(42);
    expect(listed.find((t) => t.id === 't_api00000000000000')).toMatchObject({ name: 'script', kind: 'api', last_used_at: null });

    await tokens.revoke(u, 'ab'.repeat(32), 't_login000000000000');
    expect(await tokens.findOwner('ab'.repeat(32))).toBeNull();
    expect(await tokens.touch('ab'.repeat(32), { user_id: u, token_id: 't_login000000000000', kind: 'login' }, 1000, 43)).toBe(false);
    expect((await tokens.list(u)).map((t) => t.id)).toEqual(['t_api00000000000000']);
    expect(await tokens.revokeAll(u)).toEqual(['cd'.repeat(32)]);
    expect(await tokens.findOwner('cd'.repeat(32))).toBeNull();
    expect(await store.client.exists(keys.tokens(u), keys.tokenUse(u))).toBe(0);
  });

  it('token repository: expired tokens are pruned from the list; tokens from before ids are adopted', async () => {
    const tokens = new TokenRepository(store.client, keys);
    const u = 'u_contractprune000000000';
    const old = Date.now() - 120_000;
    await tokens.create(u, { id: 't_gone000000000000', kind: 'login', hash: '01'.repeat(32), created_at: old, expires_at: null }, 60_000);
    await tokens.create(u, { id: 't_fresh00000000000', kind: 'login', hash: '02'.repeat(32), created_at: Date.now(), expires_at: null }, 60_000);
    await store.client.del(keys.token('01'.repeat(32)), keys.token('02'.repeat(32))); // as if expired
    await tokens.prune(u, Date.now());
    // The young entry stays: its token key might still be on its way.
    expect((await tokens.list(u)).map((t) => t.id)).toEqual(['t_fresh00000000000']);

    await store.client.set(keys.token('03'.repeat(32)), 'u_contractlegacy00000000', 'PX', 30_000);
    expect(await tokens.findOwner('03'.repeat(32))).toEqual({ user_id: 'u_contractlegacy00000000', kind: 'login' });
    const adopted = await tokens.adopt('03'.repeat(32), 'u_contractlegacy00000000', 7);
    expect(adopted).toEqual({ user_id: 'u_contractlegacy00000000', token_id: expect.stringMatching(/^t_/), kind: 'login' });
    expect(await tokens.findOwner('03'.repeat(32))).toEqual(adopted);
    expect(await store.client.pttl(keys.token('03'.repeat(32)))).toBeGreaterThan(29_000);
    expect((await tokens.list('u_contractlegacy00000000')).map((t) => t.id)).toEqual([adopted!.token_id]);
    expect(await tokens.adopt('04'.repeat(32), 'u_contractlegacy00000000', 7)).toBeNull();
  });
});

describe.each(stores)('store commands for counters and sorted sets: %s', (_name, open) => {
  let store: OpenStore;
  let prefix: string;
  beforeEach(async () => {
    prefix = uniquePrefix();
    store = await open(prefix);
  });
  afterEach(async () => store.close());

  it('INCR/INCRBY count from zero and keep the TTL; PEXPIRE NX sets a TTL only once', async () => {
    const key = `${prefix}:counter`;
    expect(await store.client.incr(key)).toBe(1);
    expect(await store.client.pttl(key)).toBe(-1);
    expect(await store.client.pexpire(key, 60_000, 'NX')).toBe(1);
    expect(await store.client.pexpire(key, 5_000_000, 'NX')).toBe(0);
    expect(await store.client.incrby(key, 41)).toBe(42);
    const ttl = await store.client.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await store.client.pttl(`${prefix}:missing`)).toBe(-2);
  });

  it('ZCARD and ZRANGE read members lowest score first', async () => {
    const key = `${prefix}:z`;
    await store.client.zadd(key, 3, 'c');
    await store.client.zadd(key, 1, 'a');
    await store.client.zadd(key, 2, 'b');
    expect(await store.client.zcard(key)).toBe(3);
    expect(await store.client.zrange(key, 0, 1)).toEqual(['a', 'b']);
    expect(await store.client.zrange(key, 0, -1)).toEqual(['a', 'b', 'c']);
    expect(await store.client.zcard(`${prefix}:none`)).toBe(0);
  });

  it('ZMSCORE gives each member\'s score, null for a missing member or key', async () => {
    const key = `${prefix}:{t}:zms`;
    await store.client.zadd(key, 1.5, 'a', 100000000000000, 'b');
    expect(await store.client.zmscore(key, 'b', 'x', 'a')).toEqual(['100000000000000', null, '1.5']);
    expect(await store.client.zmscore(`${prefix}:{t}:zms-none`, 'a')).toEqual([null]);
    const replies = await store.client.multi().zmscore(key, 'a').exec();
    expect(replies).toEqual([[null, ['1.5']]]);
  });

  it('indexTerms adds the session to each term\'s set with its group\'s score; terms new to the session to its list, new ones to the vocabulary', async () => {
    const k = (name: string) => `${prefix}:{t}:${name}`;
    const args = [k('vocab'), k('words'), k('sessions'), k('title1'), k('term:'), 's1', 5] as const;
    expect(await store.client.indexTerms(...args, 100, 2, 'tea', 'cup', 200, 1, 'pot')).toBe(3);
    expect(await store.client.zrevrangebyscore(k('term:tea'), '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, 10)).toEqual(['s1', '100']);
    expect(await store.client.zrevrangebyscore(k('term:pot'), '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, 10)).toEqual(['s1', '200']);
    expect(await store.client.zrangebylex(k('vocab'), '-', '+', 'LIMIT', 0, 10)).toEqual(['cup', 'pot', 'tea']);
    expect(await store.client.lrange(k('words'), 0, -1)).toEqual(['tea', 'cup', 'pot']);
    expect(await store.client.zmscore(k('sessions'), 's1')).toEqual(['5']);
    // Terms the session holds already: a new score, nothing pushed; a new one is pushed (and its vocabulary entry kept as it was).
    await store.client.zadd(k('vocab'), 0, 'jam');
    expect(await store.client.indexTerms(...args, 300, 3, 'tea', 'pot', 'jam')).toBe(1);
    expect(await store.client.zrevrangebyscore(k('term:tea'), '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, 10)).toEqual(['s1', '300']);
    expect(await store.client.lrange(k('words'), 0, -1)).toEqual(['tea', 'cup', 'pot', 'jam']);
    expect(await store.client.zrangebylex(k('vocab'), '-', '+', 'LIMIT', 0, 10)).toEqual(['cup', 'jam', 'pot', 'tea']);
    // A term the session held by its title alone goes on its list when a message uses it.
    await store.client.set(k('title2'), 'oolong tea');
    await store.client.zadd(k('term:oolong'), 50, 's2');
    const replies = await store.client.multi().indexTerms(k('vocab'), k('words2'), k('sessions'), k('title2'), k('term:'), 's2', 6, 400, 2, 'oolong', 'tea').exec();
    expect(replies).toEqual([[null, 2]]);
    expect(await store.client.lrange(k('words2'), 0, -1)).toEqual(['oolong', 'tea']);
    expect(await store.client.zrevrangebyscore(k('term:tea'), '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, 10)).toEqual(['s2', '400', 's1', '300']);
    expect(await store.client.zmscore(k('term:oolong'), 's2')).toEqual(['400']);
    expect(await store.client.indexTerms(k('vocab'), k('words'), k('sessions'), k('title3'), k('term:'), 's3', 7)).toBe(0);
    expect(await store.client.zcard(k('sessions'))).toBe(3);
  });

  it('APPEND, GETRANGE, STRLEN and SETRANGE count bytes; SETRANGE pads with zero bytes', async () => {
    const k = (name: string) => `${prefix}:{t}:${name}`;
    expect(await store.client.append(k('s'), 'café')).toBe(5);
    expect(await store.client.append(k('s'), '東京')).toBe(11);
    expect(await store.client.strlen(k('s'))).toBe(11);
    expect(await store.client.getrange(k('s'), 5, -1)).toBe('東京');
    expect(await store.client.getrange(k('s'), 0, 2)).toBe('caf');
    expect(await store.client.getrange(k('s'), 11, -1)).toBe('');
    expect(await store.client.getrange(k('missing'), 0, -1)).toBe('');
    expect(await store.client.strlen(k('missing'))).toBe(0);
    expect(await store.client.setrange(k('r'), 5, 'AB')).toBe(7);
    expect(await store.client.setrange(k('r'), 0, 'xyz')).toBe(7);
    expect(await store.client.getrange(k('r'), 0, 2)).toBe('xyz');
    expect(await store.client.getrange(k('r'), 5, 6)).toBe('AB');
    expect(await store.client.get(k('r'))).toBe('xyz\0\0AB');
    expect(await store.client.setrange(k('r'), 6, 'CD')).toBe(8);
    expect(await store.client.get(k('r'))).toBe('xyz\0\0ACD');
  });

  it('ZADD XX moves the score of a member already there, never adds one or creates the key', async () => {
    const key = `${prefix}:{t}:zxx`;
    await store.client.zadd(key, 1, 'a');
    expect(await store.client.zadd(key, 'XX', 5, 'a')).toBe(0);
    expect(await store.client.zadd(key, 'XX', 7, 'b')).toBe(0);
    expect(await store.client.zrevrangebyscore(key, '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, 10)).toEqual(['a', '5']);
    expect(await store.client.zadd(`${prefix}:{t}:zxx-none`, 'XX', 1, 'a')).toBe(0);
    expect(await store.client.exists(`${prefix}:{t}:zxx-none`)).toBe(0);
    // Inside a transaction too.
    const replies = await store.client.multi().zadd(key, 'XX', 9, 'a').zadd(key, 'XX', 9, 'c').exec();
    expect(replies).toEqual([[null, 0], [null, 0]]);
    expect(await store.client.zrange(key, 0, -1)).toEqual(['a']);
  });

  it('ZINTER … AGGREGATE MAX WITHSCORES: members in every set with their highest score, lowest first', async () => {
    const [activity, tag, persona] = ['activity', 'tag', 'persona'].map((name) => `${prefix}:{t}:${name}`);
    for (const [member, score] of [['a', 30], ['b', 10], ['c', 20], ['d', 40]] as const) await store.client.zadd(activity, score, member);
    for (const member of ['a', 'b', 'c', 'x']) await store.client.zadd(tag, 0, member);
    for (const member of ['a', 'c', 'd']) await store.client.zadd(persona, 0, member);
    expect(await store.client.zinter(2, activity, tag, 'AGGREGATE', 'MAX', 'WITHSCORES')).toEqual(['b', '10', 'c', '20', 'a', '30']);
    expect(await store.client.zinter(3, activity, tag, persona, 'AGGREGATE', 'MAX', 'WITHSCORES')).toEqual(['c', '20', 'a', '30']);
    expect(await store.client.zinter(2, activity, `${prefix}:{t}:missing`, 'AGGREGATE', 'MAX', 'WITHSCORES')).toEqual([]);
    // Equal scores: members in lexical order.
    await store.client.zadd(activity, 20, 'b');
    expect(await store.client.zinter(2, activity, tag, 'AGGREGATE', 'MAX', 'WITHSCORES')).toEqual(['b', '20', 'c', '20', 'a', '30']);
  });

  it('hsetIfField sets fields only on an existing hash whose guard field holds the expected value', async () => {
    const key = `${prefix}:{t}:h`;
    await store.client.hset(key, { title_source: 'default', display_name: 'Chat' });
    expect(await store.client.hsetIfField(key, 'title_source', 'user', 'display_name', 'No')).toBe(0);
    expect(await store.client.hsetIfField(key, 'title_source', 'default', 'display_name', 'Title', 'title_source', 'auto')).toBe(1);
    expect(await store.client.hgetall(key)).toEqual({ title_source: 'auto', display_name: 'Title' });
    expect(await store.client.hsetIfField(key, 'title_source', 'default', 'display_name', 'Again')).toBe(0);
    expect(await store.client.hsetIfField(`${prefix}:{t}:gone`, 'title_source', 'default', 'display_name', 'x')).toBe(0);
    expect(await store.client.exists(`${prefix}:{t}:gone`)).toBe(0);
    const [[, queued]] = (await store.client.multi().hsetIfField(key, 'title_source', 'auto', 'display_name', 'Queued').exec())!;
    expect(queued).toBe(1);
    expect(await store.client.hget(key, 'display_name')).toBe('Queued');
  });

  it('ZADD takes several members; ZRANGEBYLEX reads a prefix range in byte order with a limit', async () => {
    const key = `${prefix}:{u:lex}:words`;
    const words = ['tea', 'teapot', 'team', 'tee', 'te', 'café', 'cafe', '東京', 'zebra', 'teañ'];
    expect(await store.client.zadd(key, ...words.flatMap((w) => [0, w]))).toBe(words.length);
    expect(await store.client.zadd(key, 0, 'tea', 0, 'new')).toBe(1);
    expect(await store.client.zrangebylex(key, '[tea', '[tea\u{10ffff}', 'LIMIT', 0, 10)).toEqual(['tea', 'team', 'teapot', 'teañ']);
    expect(await store.client.zrangebylex(key, '(tea', '[tea\u{10ffff}', 'LIMIT', 0, 2)).toEqual(['team', 'teapot']);
    expect(await store.client.zrangebylex(key, '[東', '[東\u{10ffff}', 'LIMIT', 0, 10)).toEqual(['東京']);
    expect(await store.client.zrangebylex(key, '-', '+', 'LIMIT', 1, 3)).toEqual(['café', 'new', 'te']);
    expect(await store.client.zrangebylex(`${prefix}:{u:lex}:none`, '-', '+', 'LIMIT', 0, 3)).toEqual([]);
  });

  it('ZUNIONSTORE and ZINTERSTORE combine sets with WEIGHTS and AGGREGATE; an empty result leaves no key', async () => {
    const [a, b, c, out] = ['a', 'b', 'c', 'out'].map((k) => `${prefix}:{u:comb}:${k}`);
    await store.client.zadd(a, 1, 'x', 2, 'y', 3, 'z');
    await store.client.zadd(b, 10, 'y', 20, 'z', 30, 'w');
    await store.client.zadd(c, 5, 'q');
    const all = async () => store.client.zrevrangebyscore(out, '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, -1);
    expect(await store.client.zunionstore(out, 2, a, b)).toBe(4);
    expect(await all()).toEqual(['w', '30', 'z', '23', 'y', '12', 'x', '1']);
    expect(await store.client.zunionstore(out, 2, a, b, 'AGGREGATE', 'MAX')).toBe(4);
    expect(await all()).toEqual(['w', '30', 'z', '20', 'y', '10', 'x', '1']);
    expect(await store.client.zinterstore(out, 2, a, b, 'WEIGHTS', '100', '1')).toBe(2);
    expect(await all()).toEqual(['z', '320', 'y', '210']);
    expect(await store.client.zinterstore(out, 2, a, b, 'AGGREGATE', 'MIN')).toBe(2);
    expect(await all()).toEqual(['z', '3', 'y', '2']);
    expect(await store.client.zinterstore(out, 3, a, b, `${prefix}:{u:comb}:missing`)).toBe(0);
    expect(await store.client.exists(out)).toBe(0);
    expect(await store.client.zinterstore(out, 2, a, c)).toBe(0);
    expect(await store.client.exists(out)).toBe(0);
  });
});

describe.each(stores)('store commands for admin iteration: %s', (_name, open) => {
  let store: OpenStore;
  let prefix: string;
  beforeEach(async () => {
    prefix = uniquePrefix();
    store = await open(prefix);
  });
  afterEach(async () => store.close());

  /** Every key SCAN returns for `pattern`, each once, sorted. */
  async function scanAll(pattern: string, count: number): Promise<string[]> {
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await store.client.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      keys.forEach((k) => seen.add(k));
      cursor = next;
    } while (cursor !== '0');
    return [...seen].sort();
  }

  it('SCAN MATCH returns every matching key across steps, none of another prefix; keys never present are not made up', async () => {
    const keys = Array.from({ length: 25 }, (_, i) => `${prefix}:{u:${i % 5}}:k${i}`);
    for (const key of keys) await store.client.set(key, 'v');
    await store.client.set(`${prefix}x:other`, 'v');
    await store.client.set(`${prefix}:gone`, 'v', 'PX', 1, 'NX');
    await sleep(5);
    expect(await scanAll(`${prefix}:*`, 7)).toEqual([...keys].sort());
    expect(await scanAll(`${prefix}:{u:3}:*`, 100)).toEqual(keys.filter((k) => k.includes('{u:3}')).sort());
    expect(await scanAll(`${prefix}:{u:[12]}:k?`, 100)).toEqual([1, 6, 2, 7].map((i) => `${prefix}:{u:${i % 5}}:k${i}`).sort());
  });

  it('SCAN still returns keys that stayed while others are added and removed between steps', async () => {
    const stay = Array.from({ length: 30 }, (_, i) => `${prefix}:stay${String(i).padStart(2, '0')}`);
    for (const key of stay) await store.client.set(key, 'v');
    const seen = new Set<string>();
    let cursor = '0';
    let step = 0;
    do {
      const [next, keys] = await store.client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5);
      keys.forEach((k) => seen.add(k));
      await store.client.del(`${prefix}:new${step - 1}`);
      await store.client.set(`${prefix}:new${step++}`, 'v');
      cursor = next;
    } while (cursor !== '0');
    expect(stay.filter((k) => !seen.has(k))).toEqual([]);
  });

  it('TYPE names each kind of value; plain SET replaces a value and its TTL', async () => {
    await store.client.set(`${prefix}:s`, 'a', 'PX', 60_000, 'NX');
    await store.client.hset(`${prefix}:h`, 'f', 'v');
    await store.client.rpush(`${prefix}:l`, 'v');
    await store.client.zadd(`${prefix}:z`, 1, 'm');
    const types = await Promise.all(['s', 'h', 'l', 'z', 'none'].map((k) => store.client.type(`${prefix}:${k}`)));
    expect(types).toEqual(['string', 'hash', 'list', 'zset', 'none']);
    expect(await store.client.set(`${prefix}:s`, 'b')).toBe('OK');
    expect(await store.client.get(`${prefix}:s`)).toBe('b');
    expect(await store.client.pttl(`${prefix}:s`)).toBe(-1);
    const [[, type], [, value]] = (await store.client.multi().type(`${prefix}:h`).set(`${prefix}:h`, 'x').exec())!;
    expect([type, value]).toEqual(['hash', 'OK']);
    expect(await store.client.type(`${prefix}:h`)).toBe('string');
  });
});

describe.each(stores)('store commands for streams, lock renewal and subscriptions: %s', (_name, open) => {
  let store: OpenStore;
  let prefix: string;
  beforeEach(async () => {
    prefix = uniquePrefix();
    store = await open(prefix);
  });
  afterEach(async () => store.close());

  it('XADD with chosen ids keeps order, refuses an id not above the last, trims to MAXLEN; XRANGE/XREVRANGE read it', async () => {
    const key = `${prefix}:events`;
    expect(await store.client.xadd(key, 'MAXLEN', '~', 1000, '5-0', 'e', 'a', 'd', '1')).toBe('5-0');
    expect(await store.client.xadd(key, 'MAXLEN', '~', 1000, '5-1', 'e', 'b', 'd', '2')).toBe('5-1');
    expect(await store.client.xadd(key, 'MAXLEN', '~', 1000, '7-0', 'e', 'c', 'd', '3')).toBe('7-0');
    await expect(store.client.xadd(key, 'MAXLEN', '~', 1000, '5-1', 'e', 'x', 'd', '0')).rejects.toThrow(/equal or smaller/);
    expect(await store.client.type(key)).toBe('stream');
    expect(await store.client.xrange(key, '-', '+', 'COUNT', 10)).toEqual([
      ['5-0', ['e', 'a', 'd', '1']],
      ['5-1', ['e', 'b', 'd', '2']],
      ['7-0', ['e', 'c', 'd', '3']],
    ]);
    expect((await store.client.xrange(key, '(5-0', '+', 'COUNT', 1)).map(([id]) => id)).toEqual(['5-1']);
    expect((await store.client.xrange(key, '(5-1', '+', 'COUNT', 10)).map(([id]) => id)).toEqual(['7-0']);
    expect((await store.client.xrevrange(key, '+', '-', 'COUNT', 1)).map(([id]) => id)).toEqual(['7-0']);
    expect(await store.client.xrange(`${prefix}:none`, '-', '+', 'COUNT', 10)).toEqual([]);
    // Queued in a transaction too; "~" trims whole nodes on Redis, so only an upper bound is certain.
    const tx = store.client.multi().del(key);
    for (let i = 1; i <= 300; i++) tx.xadd(key, 'MAXLEN', '~', 100, `9-${i}`, 'e', 'n', 'd', String(i));
    const replies = (await tx.exec())!;
    expect(replies.every(([error]) => error === null)).toBe(true);
    const kept = await store.client.xrange(key, '-', '+', 'COUNT', 1000);
    expect(kept.length).toBeGreaterThanOrEqual(100);
    expect(kept.length).toBeLessThan(300);
    expect(kept[kept.length - 1][0]).toBe('9-300');
  });

  it('renewLock extends its own lock (1), takes a gone one again (2), leaves another token’s alone (0)', async () => {
    const lock = `${prefix}:lock`;
    expect(await store.client.renewLock(lock, 'mine', 60_000)).toBe(2);
    expect(await store.client.get(lock)).toBe('mine');
    expect(await store.client.pttl(lock)).toBeGreaterThan(0);
    expect(await store.client.renewLock(lock, 'mine', 90_000)).toBe(1);
    expect(await store.client.pttl(lock)).toBeGreaterThan(60_000);
    expect(await store.client.renewLock(lock, 'theirs', 60_000)).toBe(0);
    expect(await store.client.get(lock)).toBe('mine');
  });

  it('a duplicate connection hears a channel while subscribed, and not after UNSUBSCRIBE', async () => {
    const subscriber = store.client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    const heard: string[] = [];
    subscriber.on('message', (_channel, message) => heard.push(message));
    try {
      await subscriber.subscribe(`${prefix}:ch`);
      await store.client.publish(`${prefix}:ch`, 'one');
      for (let i = 0; i < 50 && heard.length < 1; i++) await sleep(10);
      await subscriber.unsubscribe(`${prefix}:ch`);
      await store.client.publish(`${prefix}:ch`, 'two');
      await store.client.publish(`${prefix}:ch2`, 'three');
      await sleep(50);
      expect(heard).toEqual(['one']);
    } finally {
      await subscriber.quit();
    }
  });

  it('a PUBLISH queued in a MULTI is heard after EXEC, with the commands before it already run', async () => {
    const subscriber = store.client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    const key = `${prefix}:published-after`;
    const heard: Array<string | null> = [];
    subscriber.on('message', (_channel, message) => heard.push(message));
    try {
      await subscriber.subscribe(`${prefix}:ch`);
      const replies = repliesOf(await store.client.multi().set(key, 'written').publish(`${prefix}:ch`, 'announced').exec());
      expect(replies).toEqual(['OK', 1]);
      for (let i = 0; i < 50 && heard.length < 1; i++) await sleep(10);
      expect(heard).toEqual(['announced']);
      expect(await store.client.get(key)).toBe('written');
    } finally {
      await subscriber.quit();
    }
  });
});
