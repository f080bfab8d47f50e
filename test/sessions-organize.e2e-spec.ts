import request from 'supertest';
import { startTestApp, TestApp } from './support/app';
import { Guest, newGuest } from './support/guest';

/** Tags, archive, pinned-first listing with server-side filters, and bulk actions. */
describe('organizing sessions: tags, archive, filters, bulk (real Redis)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const api = () => request(t.url);
  const create = async (who: Guest, body: Record<string, unknown> = {}) =>
    (await api().post('/api/sessions').set(who.auth).send(body).expect(201)).body.session_id as string;
  const patch = (who: Guest, id: string, body: Record<string, unknown>) => api().patch(`/api/sessions/${id}`).set(who.auth).send(body);
  const bulk = (who: Guest, body: Record<string, unknown>) => api().post('/api/sessions/bulk').set(who.auth).send(body);

  /** Every session a filtered list returns, page by page; also the number of pages. */
  async function listAll(who: Guest, query: Record<string, string | number> = {}, limit = 2): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: request.Response = await api()
        .get('/api/sessions')
        .query({ ...query, limit, ...(cursor ? { cursor } : {}) })
        .set(who.auth)
        .expect(200);
      ids.push(...res.body.sessions.map((s: { session_id: string }) => s.session_id));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor && pages < 50);
    return { ids, pages };
  }

  it('new sessions have no tags and are not archived', async () => {
    const me = await newGuest(t.url);
    const id = await create(me);
    const session = (await api().get(`/api/sessions/${id}`).set(me.auth).expect(200)).body;
    expect(session).toMatchObject({ tags: [], archived: false, pinned: false, title_source: 'default' });
  });

  it('PATCH sets tags (trimmed, lower case, once each) and replaces them; [] removes them', async () => {
    const me = await newGuest(t.url);
    const id = await create(me);
    const tagged = (await patch(me, id, { tags: [' Work ', 'work', 'Trip ideas'] }).expect(200)).body;
    expect(tagged.tags).toEqual(['work', 'trip ideas']);
    expect((await patch(me, id, { tags: ['home'] }).expect(200)).body.tags).toEqual(['home']);
    expect((await listAll(me, { tag: 'work' })).ids).toEqual([]);
    expect((await listAll(me, { tag: 'HOME' })).ids).toEqual([id]);
    expect((await patch(me, id, { tags: [] }).expect(200)).body.tags).toEqual([]);
    expect((await listAll(me, { tag: 'home' })).ids).toEqual([]);
  });

  it.each([
    ['not an array', { tags: 'work' }, /tags must be an array/],
    ['too many', { tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }, /at most 10/],
    ['too long', { tags: ['x'.repeat(33)] }, /each of tags must be 1-32 characters/],
    ['empty', { tags: ['  '] }, /each of tags must be 1-32 characters/],
    ['not a string', { tags: [5] }, /each of tags must be/],
    ['control characters', { tags: ['a\nb'] }, /each of tags must be/],
    ['null', { tags: null }, /tags must be an array|each of tags must be/],
    ['archived not boolean', { archived: 'yes' }, /archived must be true or false/],
  ])('PATCH with bad tags/archived (%s) → 400 saying what to fix, nothing changed', async (_label, body, message) => {
    const me = await newGuest(t.url);
    const id = await create(me);
    await patch(me, id, { tags: ['keep'] }).expect(200);
    const res = await patch(me, id, body).expect(400);
    expect(JSON.stringify(res.body.message)).toMatch(message);
    expect((await api().get(`/api/sessions/${id}`).set(me.auth).expect(200)).body).toMatchObject({ tags: ['keep'], archived: false });
  });

  it('archived sessions leave the main list, keep their data, are listed with archived=true, and come back', async () => {
    const me = await newGuest(t.url);
    const [a, b, c] = [await create(me), await create(me), await create(me)];
    await patch(me, b, { tags: ['x'], metadata: { keep: true } }).expect(200);
    expect((await patch(me, b, { archived: true }).expect(200)).body).toMatchObject({ archived: true, tags: ['x'], metadata: { keep: true } });
    expect((await listAll(me)).ids).toEqual([c, a]);
    expect((await listAll(me, { archived: 'true' })).ids).toEqual([b]);
    expect((await listAll(me, { archived: 'false' })).ids).toEqual([c, a]);
    expect((await listAll(me, { tag: 'x' })).ids).toEqual([]);
    expect((await listAll(me, { tag: 'x', archived: 'true' })).ids).toEqual([b]);
    // Still readable and writable while archived; activity keeps it archived.
    await api().get(`/api/sessions/${b}/messages`).set(me.auth).expect(200);
    await api().delete(`/api/sessions/${b}/messages`).set(me.auth).expect(200);
    expect((await listAll(me, { archived: 'true' })).ids).toEqual([b]);
    await patch(me, b, { archived: false }).expect(200);
    expect((await listAll(me)).ids).toEqual([b, c, a]);
    expect((await listAll(me, { archived: 'true' })).ids).toEqual([]);
  });

  it('pinned sessions are listed first, across pages; pinned=true/false select them', async () => {
    const me = await newGuest(t.url);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await create(me));
    await patch(me, ids[1], { pinned: true }).expect(200);
    await patch(me, ids[3], { pinned: true }).expect(200);
    // Newest activity first within each group: the later a session was created, the newer.
    const all = await listAll(me, {}, 2);
    expect(all.ids).toEqual([ids[3], ids[1], ids[4], ids[2], ids[0]]);
    expect(all.pages).toBe(3);
    expect((await listAll(me, { pinned: 'true' })).ids).toEqual([ids[3], ids[1]]);
    expect((await listAll(me, { pinned: 'false' })).ids).toEqual([ids[4], ids[2], ids[0]]);
    await patch(me, ids[3], { pinned: false }).expect(200);
    expect((await listAll(me, {}, 10)).ids).toEqual([ids[1], ids[4], ids[3], ids[2], ids[0]]);
    // A pinned session that is archived is listed only with the archived ones (and keeps its pin).
    await patch(me, ids[1], { archived: true }).expect(200);
    expect((await listAll(me, { pinned: 'true' })).ids).toEqual([]);
    expect((await listAll(me, { archived: 'true', pinned: 'true' })).ids).toEqual([ids[1]]);
    expect((await listAll(me, { archived: 'true', pinned: 'false' })).ids).toEqual([]);
  });

  it('filters by tag and persona on the server, combined and paged, each session once', async () => {
    const me = await newGuest(t.url);
    const made: Array<{ id: string; persona: string; tags: string[] }> = [];
    for (let i = 0; i < 9; i++) {
      const persona = i % 3 === 0 ? 'technical_support' : 'default';
      const tags = [i % 2 === 0 ? 'even' : 'odd', ...(i < 4 ? ['early'] : [])];
      const id = await create(me, { persona });
      await patch(me, id, { tags }).expect(200);
      made.push({ id, persona, tags });
    }
    const newestFirst = [...made].reverse();
    const expectIds = (pick: (m: (typeof made)[number]) => boolean) => newestFirst.filter(pick).map((m) => m.id);
    // A PATCH is not activity: newest first is the reverse of creation.
    expect((await listAll(me, { tag: 'even' })).ids).toEqual(expectIds((m) => m.tags.includes('even')));
    expect((await listAll(me, { persona: 'technical_support' })).ids).toEqual(expectIds((m) => m.persona === 'technical_support'));
    expect((await listAll(me, { tag: 'even', persona: 'default' }, 1)).ids).toEqual(
      expectIds((m) => m.tags.includes('even') && m.persona === 'default'),
    );
    expect((await listAll(me, { tag: 'nothing' })).ids).toEqual([]);
    expect((await listAll(me, { persona: 'no_such_persona' })).ids).toEqual([]);
    // A persona change moves the session between persona filters.
    await patch(me, made[1].id, { persona: 'technical_support' }).expect(200);
    expect((await listAll(me, { persona: 'technical_support' }, 10)).ids).toContain(made[1].id);
    expect((await listAll(me, { persona: 'default' }, 10)).ids).not.toContain(made[1].id);
    // Pinned first within a filter as well.
    await patch(me, made[0].id, { pinned: true }).expect(200);
    expect((await listAll(me, { tag: 'even' }, 2)).ids[0]).toBe(made[0].id);
  });

  it('deleted sessions leave no filter entries behind', async () => {
    const me = await newGuest(t.url);
    const id = await create(me, { persona: 'technical_support' });
    await patch(me, id, { tags: ['gone'], pinned: true }).expect(200);
    const archived = await create(me);
    await patch(me, archived, { tags: ['gone'], archived: true }).expect(200);
    await api().delete(`/api/sessions/${id}`).set(me.auth).expect(204);
    await api().delete(`/api/sessions/${archived}`).set(me.auth).expect(204);
    expect((await listAll(me, { tag: 'gone' })).ids).toEqual([]);
    expect((await listAll(me, { tag: 'gone', archived: 'true' })).ids).toEqual([]);
    expect((await listAll(me, { persona: 'technical_support' })).ids).toEqual([]);
    expect((await listAll(me, { pinned: 'true' })).ids).toEqual([]);
  });

  it.each([
    ['archived not a boolean', { archived: 'yes' }, /archived must be true or false/],
    ['pinned not a boolean', { pinned: '1' }, /pinned must be true or false/],
    ['tag too long', { tag: 'x'.repeat(33) }, /tag must be 1-32 characters/],
    ['tag empty', { tag: ' ' }, /tag must be 1-32 characters/],
    ['unknown parameter', { color: 'red' }, /property color should not exist/],
  ])('list with a bad filter (%s) → 400', async (_label, query, message) => {
    const me = await newGuest(t.url);
    const res = await api().get('/api/sessions').query(query).set(me.auth).expect(400);
    expect(JSON.stringify(res.body.message)).toMatch(message);
  });

  it('a cursor of a pinned page continues into the others; a cursor of another list is refused or ends the list', async () => {
    const me = await newGuest(t.url);
    const plain = await create(me);
    const pinned = await create(me);
    await patch(me, pinned, { pinned: true }).expect(200);
    const first = (await api().get('/api/sessions').query({ limit: 1 }).set(me.auth).expect(200)).body;
    expect(first.sessions.map((s: { session_id: string }) => s.session_id)).toEqual([pinned]);
    const second = (await api().get('/api/sessions').query({ limit: 1, cursor: first.next_cursor }).set(me.auth).expect(200)).body;
    expect(second.sessions.map((s: { session_id: string }) => s.session_id)).toEqual([plain]);
    expect(second.next_cursor).toBeNull();
    // The pinned list's cursor in the archived list: nothing of the archived list is skipped or repeated.
    const other = (await api().get('/api/sessions').query({ archived: 'true', cursor: first.next_cursor }).set(me.auth).expect(200)).body;
    expect(other).toMatchObject({ sessions: [], next_cursor: null });
  });

  describe('bulk actions', () => {
    it('archive, unarchive, pin, unpin, tag, untag and delete many sessions, each reported', async () => {
      const me = await newGuest(t.url);
      const ids = [await create(me), await create(me), await create(me)];
      const ok = (list: string[]) => ({ results: list.map((session_id) => ({ session_id, status: 'ok' })) });
      expect((await bulk(me, { ids: ids.slice(0, 2), action: 'tag', tag: ' Work ' }).expect(200)).body).toEqual(ok(ids.slice(0, 2)));
      expect((await listAll(me, { tag: 'work' })).ids).toEqual([ids[1], ids[0]]);
      expect((await bulk(me, { ids, action: 'pin' }).expect(200)).body).toEqual(ok(ids));
      expect((await listAll(me, { pinned: 'true' }, 10)).ids).toHaveLength(3);
      await bulk(me, { ids: [ids[0]], action: 'untag', tag: 'work' }).expect(200);
      expect((await listAll(me, { tag: 'work' })).ids).toEqual([ids[1]]);
      await bulk(me, { ids, action: 'unpin' }).expect(200);
      await bulk(me, { ids: [ids[0], ids[2]], action: 'archive' }).expect(200);
      expect((await listAll(me)).ids).toEqual([ids[1]]);
      expect((await listAll(me, { archived: 'true' })).ids.sort()).toEqual([ids[0], ids[2]].sort());
      await bulk(me, { ids: [ids[0]], action: 'unarchive' }).expect(200);
      expect((await listAll(me)).ids.sort()).toEqual([ids[0], ids[1]].sort());
      expect((await bulk(me, { ids, action: 'delete' }).expect(200)).body).toEqual(ok(ids));
      expect((await listAll(me)).ids).toEqual([]);
      expect((await listAll(me, { archived: 'true' })).ids).toEqual([]);
      expect((await bulk(me, { ids, action: 'delete' }).expect(200)).body.results.map((r: { status: string }) => r.status)).toEqual([
        'not_found',
        'not_found',
        'not_found',
      ]);
    });

    it('ids of another identity are not_found and nothing of theirs changes', async () => {
      const me = await newGuest(t.url);
      const them = await newGuest(t.url);
      const mine = await create(me);
      const theirs = await create(them, { display_name: 'theirs' });
      await patch(them, theirs, { tags: ['private'] }).expect(200);
      const before = (await api().get(`/api/sessions/${theirs}`).set(them.auth).expect(200)).body;
      for (const action of ['archive', 'pin', 'tag', 'untag', 'delete', 'unpin', 'unarchive']) {
        const res = await bulk(me, { ids: [mine, theirs, 'not-an-id'], action, tag: 'private' }).expect(200);
        expect(res.body.results).toEqual([
          { session_id: mine, status: 'ok' },
          { session_id: theirs, status: 'not_found' },
          { session_id: 'not-an-id', status: 'not_found' },
        ]);
        if (action === 'delete') break;
      }
      const after = (await api().get(`/api/sessions/${theirs}`).set(them.auth).expect(200)).body;
      expect({ ...after, expires_at: null }).toEqual({ ...before, expires_at: null });
      expect((await listAll(them, { tag: 'private' })).ids).toEqual([theirs]);
      expect((await listAll(them)).ids).toEqual([theirs]);
      // Nothing of mine was made under their name either.
      expect((await listAll(me, { tag: 'private' })).ids).toEqual([]);
    });

    it('a tag beyond the tenth is refused per session (too_many_tags), the others are tagged', async () => {
      const me = await newGuest(t.url);
      const full = await create(me);
      const roomy = await create(me);
      await patch(me, full, { tags: Array.from({ length: 10 }, (_, i) => `t${i}`) }).expect(200);
      const res = await bulk(me, { ids: [full, roomy], action: 'tag', tag: 'extra' }).expect(200);
      expect(res.body.results).toEqual([
        { session_id: full, status: 'too_many_tags' },
        { session_id: roomy, status: 'ok' },
      ]);
      expect((await api().get(`/api/sessions/${full}`).set(me.auth).expect(200)).body.tags).toHaveLength(10);
      // Tagging again with a tag it already has is fine.
      expect((await bulk(me, { ids: [full], action: 'tag', tag: 't3' }).expect(200)).body.results[0].status).toBe('ok');
    });

    it.each([
      ['no ids', { ids: [], action: 'archive' }, /ids must hold 1-100 session ids/],
      ['too many ids', { ids: Array.from({ length: 101 }, (_, i) => `s_${i}`), action: 'archive' }, /at most 100 session ids/],
      ['ids not an array', { ids: 's_x', action: 'archive' }, /ids must be an array/],
      ['unknown action', { ids: ['s_x'], action: 'explode' }, /action must be one of archive, unarchive, delete, tag, untag, pin, unpin/],
      ['tag without a tag', { ids: ['s_x'], action: 'tag' }, /tag must be 1-32 characters/],
      ['tag too long', { ids: ['s_x'], action: 'untag', tag: 'x'.repeat(40) }, /tag must be 1-32 characters/],
      ['extra field', { ids: ['s_x'], action: 'pin', force: true }, /property force should not exist/],
    ])('bad bulk request (%s) → 400 saying what to fix', async (_label, body, message) => {
      const me = await newGuest(t.url);
      const id = await create(me);
      const res = await bulk(me, { ...body, ids: Array.isArray(body.ids) && body.ids.length === 1 ? [id] : body.ids }).expect(400);
      expect(JSON.stringify(res.body.message)).toMatch(message);
      expect((await api().get(`/api/sessions/${id}`).set(me.auth).expect(200)).body).toMatchObject({ archived: false, pinned: false, tags: [] });
    });
  });

  describe('GET /api/tags', () => {
    const tags = async (who: Guest) => (await api().get('/api/tags').set(who.auth).expect(200)).body.tags as Array<{ tag: string; count: number }>;

    it('counts my tags after tag, untag, bulk, archive and delete; most used first, then by name', async () => {
      const me = await newGuest(t.url);
      expect(await tags(me)).toEqual([]);
      const [a, b, c] = [await create(me), await create(me), await create(me)];
      await patch(me, a, { tags: ['Work', 'home'] }).expect(200);
      await patch(me, b, { tags: ['work'] }).expect(200);
      expect(await tags(me)).toEqual([
        { tag: 'work', count: 2 },
        { tag: 'home', count: 1 },
      ]);
      await bulk(me, { ids: [a, b, c], action: 'tag', tag: 'trip' }).expect(200);
      await bulk(me, { ids: [a, c], action: 'untag', tag: 'work' }).expect(200);
      expect(await tags(me)).toEqual([
        { tag: 'trip', count: 3 },
        { tag: 'home', count: 1 },
        { tag: 'work', count: 1 },
      ]);
      // Archived sessions still count; replacing the tags moves the counts.
      await patch(me, b, { archived: true }).expect(200);
      await patch(me, a, { tags: ['trip'] }).expect(200);
      expect(await tags(me)).toEqual([
        { tag: 'trip', count: 3 },
        { tag: 'work', count: 1 },
      ]);
      await api().delete(`/api/sessions/${b}`).set(me.auth).expect(204);
      expect(await tags(me)).toEqual([{ tag: 'trip', count: 2 }]);
      await bulk(me, { ids: [a, c], action: 'delete' }).expect(200);
      expect(await tags(me)).toEqual([]);
      // A tag given again after it went away is listed again.
      await patch(me, await create(me), { tags: ['work'] }).expect(200);
      expect(await tags(me)).toEqual([{ tag: 'work', count: 1 }]);
    });

    it('another identity sees none of my tags, and its own only', async () => {
      const me = await newGuest(t.url);
      const them = await newGuest(t.url);
      await patch(me, await create(me), { tags: ['secret'] }).expect(200);
      expect(await tags(them)).toEqual([]);
      await patch(them, await create(them), { tags: ['theirs'] }).expect(200);
      expect(await tags(them)).toEqual([{ tag: 'theirs', count: 1 }]);
      expect(await tags(me)).toEqual([{ tag: 'secret', count: 1 }]);
      await api().get('/api/tags').expect(401);
    });
  });

  it('another identity\'s token gets 404 when tagging or archiving, and changes nothing', async () => {
    const me = await newGuest(t.url);
    const them = await newGuest(t.url);
    const id = await create(me);
    for (const body of [{ tags: ['x'] }, { archived: true }, { pinned: true }, { display_name: 'x' }]) {
      await patch(them, id, body).expect(404);
    }
    expect((await api().get(`/api/sessions/${id}`).set(me.auth).expect(200)).body).toMatchObject({ tags: [], archived: false, pinned: false, title_source: 'default' });
    expect((await listAll(them, { tag: 'x' })).ids).toEqual([]);
    expect((await listAll(them, { archived: 'true' })).ids).toEqual([]);
  });
});

describe.each([
  ['Redis', {}],
  ['embedded store', { REDIS_URL: undefined }],
])('tag counts after expiry (%s, SESSION_TTL_SECONDS=1)', (_store, env: Record<string, string | undefined>) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ SESSION_TTL_SECONDS: '1', ...env });
  });
  afterAll(() => t.close());

  it('an expired session no longer counts; a pinned one does', async () => {
    const me = await newGuest(t.url);
    const make = async (body: Record<string, unknown>) => {
      const id = (await request(t.url).post('/api/sessions').set(me.auth).send({}).expect(201)).body.session_id as string;
      await request(t.url).patch(`/api/sessions/${id}`).set(me.auth).send(body).expect(200);
      return id;
    };
    await make({ tags: ['lapsed', 'shared'] });
    const kept = await make({ tags: ['shared'], pinned: true });
    const tags = async () => (await request(t.url).get('/api/tags').set(me.auth).expect(200)).body.tags;
    expect(await tags()).toEqual([
      { tag: 'shared', count: 2 },
      { tag: 'lapsed', count: 1 },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 2200));
    expect(await tags()).toEqual([{ tag: 'shared', count: 1 }]);
    const listed = await request(t.url).get('/api/sessions').query({ tag: 'shared' }).set(me.auth).expect(200);
    expect(listed.body.sessions.map((s: { session_id: string }) => s.session_id)).toEqual([kept]);
  });
});
