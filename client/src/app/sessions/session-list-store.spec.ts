import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { LiveEvent, LiveEventListener, LiveEvents } from '../state/live-events';
import { SessionState } from '../state/session-state';
import { aSession } from '../testing/fixtures';
import { nextRequest, settle } from '../testing/http';
import { NO_FILTER, SessionListStore, matchesFilter } from './session-list-store';

describe('matchesFilter', () => {
  it('keeps archived sessions out of the main list and applies tag and persona', () => {
    const session = aSession({ tags: ['work'], persona: 'default' });
    expect(matchesFilter(session, NO_FILTER)).toBe(true);
    expect(matchesFilter({ ...session, archived: true }, NO_FILTER)).toBe(false);
    expect(matchesFilter({ ...session, archived: true }, { ...NO_FILTER, archived: true })).toBe(true);
    expect(matchesFilter(session, { ...NO_FILTER, tag: 'work', persona: 'default' })).toBe(true);
    expect(matchesFilter(session, { ...NO_FILTER, tag: 'home' })).toBe(false);
    expect(matchesFilter(session, { ...NO_FILTER, persona: 'technical_support' })).toBe(false);
  });
});

describe('SessionListStore', () => {
  let http: HttpTestingController;
  let store: SessionListStore;
  let emit: LiveEventListener;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        provideZonelessChangeDetection(),
        provideHttpClient(),
        provideHttpClientTesting(),
        SessionListStore,
        { provide: SessionState, useValue: { currentId: () => null, sessionUpdated: vi.fn(), sessionDeleted: vi.fn() } },
        { provide: LiveEvents, useValue: { on: (listener: LiveEventListener) => ((emit = listener), () => undefined), onReady: () => () => undefined } },
      ],
    });
    http = TestBed.inject(HttpTestingController);
    store = TestBed.inject(SessionListStore);
  });

  afterEach(() => http.verify());

  const updated = (session: ReturnType<typeof aSession>): LiveEvent => ({ type: 'session.updated', session_id: session.session_id, session });

  it('drops a session archived elsewhere from the main list and takes it back when unarchived', async () => {
    const kept = aSession({ display_name: 'Kept', last_activity: '2026-11-20T00:00:00.000Z' });
    const moved = aSession({ display_name: 'Moved', last_activity: '2026-11-10T00:00:00.000Z' });
    void store.loadMore();
    (await nextRequest(http, 'GET', '/api/sessions')).flush({ sessions: [kept, moved], count: 2, next_cursor: null });
    await settle();
    emit(updated({ ...moved, archived: true }));
    expect(store.items().map((s) => s.display_name)).toEqual(['Kept']);
    emit(updated({ ...moved, archived: false }));
    expect(store.items().map((s) => s.display_name)).toEqual(['Kept', 'Moved']);
    // A new message elsewhere moves it up; pinning puts it first.
    emit(updated({ ...moved, last_activity: '2026-11-29T00:00:00.000Z' }));
    expect(store.items().map((s) => s.display_name)).toEqual(['Moved', 'Kept']);
    emit(updated({ ...kept, pinned: true }));
    expect(store.items().map((s) => s.display_name)).toEqual(['Kept', 'Moved']);
  });

  it('puts a session made elsewhere in its place: pinned first, then newest activity; one below the loaded rows waits for its page', async () => {
    const pinned = aSession({ display_name: 'Pinned', pinned: true, last_activity: '2026-11-01T00:00:00.000Z' });
    const recent = aSession({ display_name: 'Recent', last_activity: '2026-11-20T00:00:00.000Z' });
    const older = aSession({ display_name: 'Older', last_activity: '2026-11-10T00:00:00.000Z' });
    void store.loadMore();
    (await nextRequest(http, 'GET', '/api/sessions')).flush({ sessions: [pinned, recent, older], count: 3, next_cursor: 'more' });
    await settle();
    const created = (session: ReturnType<typeof aSession>): LiveEvent => ({ type: 'session.created', session_id: session.session_id, session });
    emit(created(aSession({ display_name: 'New', last_activity: '2026-11-29T00:00:00.000Z' })));
    emit(created(aSession({ display_name: 'Imported', last_activity: '2026-11-15T00:00:00.000Z' })));
    emit(created(aSession({ display_name: 'Ancient', last_activity: '2020-01-01T00:00:00.000Z' })));
    expect(store.items().map((s) => s.display_name)).toEqual(['Pinned', 'New', 'Recent', 'Imported', 'Older']);
  });

  it('drops a page asked for under a filter that has since changed', async () => {
    void store.loadMore();
    const stale = await nextRequest(http, 'GET', '/api/sessions');
    void store.setFilter({ tag: ' Work ' });
    const fresh = http.match((r) => r.url === '/api/sessions' && r.params.get('tag') === 'work');
    expect(fresh).toHaveLength(1);
    stale.flush({ sessions: [aSession({ display_name: 'Untagged' })], count: 1, next_cursor: null });
    fresh[0].flush({ sessions: [aSession({ display_name: 'Tagged', tags: ['work'] })], count: 1, next_cursor: null });
    await settle();
    expect(store.items().map((s) => s.display_name)).toEqual(['Tagged']);
    expect(store.tagOptions()).toEqual([{ tag: 'work', count: null }]);
  });

  it('offers all my tags with their counts from the server, then tags seen only on loaded sessions', async () => {
    void store.loadMore();
    (await nextRequest(http, 'GET', '/api/sessions')).flush({ sessions: [aSession({ tags: ['zebra', 'work'] })], count: 1, next_cursor: null });
    await settle();
    expect(store.tagOptions()).toEqual([
      { tag: 'work', count: null },
      { tag: 'zebra', count: null },
    ]);
    // One request while one is in flight.
    void store.loadTags();
    void store.loadTags();
    (await nextRequest(http, 'GET', '/api/tags')).flush({ tags: [{ tag: 'trip', count: 7 }, { tag: 'work', count: 2 }] });
    await settle();
    expect(store.tagOptions()).toEqual([
      { tag: 'trip', count: 7 },
      { tag: 'work', count: 2 },
      { tag: 'zebra', count: null },
    ]);
    // A failed refresh keeps what was known.
    void store.loadTags();
    (await nextRequest(http, 'GET', '/api/tags')).flush(null, { status: 503, statusText: 'Service Unavailable' });
    await settle();
    expect(store.tagOptions().map((t) => t.tag)).toEqual(['trip', 'work', 'zebra']);
  });
});
