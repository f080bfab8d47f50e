import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { authInterceptor } from '../core/auth.interceptor';
import { STORAGE_KEYS } from '../core/browser-storage';
import { IDENTITY_LOST_MESSAGE, IdentityStore } from '../core/identity-store';
import { aMessage, aSession } from '../testing/fixtures';
import { errorBody, nextRequest, settle } from '../testing/http';
import { PERSONAS } from '../testing/test-setup';
import { LiveEvents } from './live-events';
import { SESSION_GONE, SessionState } from './session-state';

const CATALOGUE = { personas: PERSONAS, default_persona: 'default' };
const GUEST_MODE = { mode: 'guest', registration: 'open', guests_allowed: true, oidc: false };

describe('SessionState', () => {
  let http: HttpTestingController;
  let state: SessionState;

  function boot(): void {
    TestBed.configureTestingModule({
      providers: [provideZonelessChangeDetection(), provideHttpClient(withInterceptors([authInterceptor])), provideHttpClientTesting()],
    });
    http = TestBed.inject(HttpTestingController);
    state = TestBed.inject(SessionState);
    // Start-up first asks how this server signs people in: the default, guest mode.
    void nextRequest(http, 'GET', '/api/auth/config').then((r) => r.flush(GUEST_MODE), () => undefined);
  }

  function remember(token: string, sessionId?: string): void {
    localStorage.setItem(STORAGE_KEYS.identity, JSON.stringify({ user_id: 'u_old', token }));
    if (sessionId) sessionStorage.setItem(STORAGE_KEYS.session, sessionId);
  }

  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
    history.replaceState(null, '', '/');
  });
  afterEach(() => http.verify());

  it('on a first visit gets a guest identity and creates a session with the default persona', async () => {
    boot();
    const started = state.start();
    (await nextRequest(http, 'POST', '/api/auth/guest')).flush({ user_id: 'u_new', token: 'tok-new' });
    const personas = await nextRequest(http, 'GET', '/api/personas');
    expect(personas.request.headers.get('Authorization')).toBe('Bearer tok-new');
    personas.flush(CATALOGUE);
    const create = await nextRequest(http, 'POST', '/api/sessions');
    expect(create.request.body).toEqual({ persona: 'default' });
    const session = aSession();
    create.flush(session);
    await started;

    expect(state.phase()).toBe('ready');
    expect(state.current()).toEqual(session);
    expect(state.currentPersona()?.name).toBe('Default Assistant');
    expect(JSON.parse(localStorage.getItem(STORAGE_KEYS.identity)!)).toEqual({ user_id: 'u_new', token: 'tok-new' });
    expect(sessionStorage.getItem(STORAGE_KEYS.session)).toBe(session.session_id);
  });

  it('after a refresh reopens the stored session with the stored identity', async () => {
    const session = aSession();
    remember('tok-old', session.session_id);
    boot();
    const started = state.start();
    const me = await nextRequest(http, 'GET', '/api/me');
    expect(me.request.headers.get('Authorization')).toBe('Bearer tok-old');
    me.flush({ user_id: 'u_old', created_at: new Date().toISOString() });
    (await nextRequest(http, 'GET', '/api/personas')).flush(CATALOGUE);
    (await nextRequest(http, 'GET', `/api/sessions/${session.session_id}`)).flush(session);
    const history = { messages: [aMessage()], next_cursor: null, total: 1 };
    (await nextRequest(http, 'GET', `/api/sessions/${session.session_id}/messages`)).flush(history);
    await started;

    expect(state.current()?.session_id).toBe(session.session_id);
    expect(TestBed.inject(IdentityStore).shortId()).toBe('u_old');
    // The newest history page came with the session, for the conversation to show at once.
    expect(state.takePrefetchedHistory(session.session_id)).toEqual(history);
    expect(state.takePrefetchedHistory(session.session_id)).toBeNull();
  });

  /** Starts with a stored token the server answers 401 to, on every request of the resume. */
  async function startRefused(): Promise<Promise<void>> {
    remember('tok-revoked', 's_gone');
    boot();
    const started = state.start();
    const { body, init } = errorBody(401, 'Invalid or expired token');
    (await nextRequest(http, 'GET', '/api/me')).flush(body, init);
    (await nextRequest(http, 'GET', '/api/personas')).flush(body, init);
    (await nextRequest(http, 'GET', '/api/sessions/s_gone')).flush(body, init);
    (await nextRequest(http, 'GET', '/api/sessions/s_gone/messages')).flush(body, init);
    return started;
  }

  it('says the server no longer knows the stored identity instead of silently starting over', async () => {
    await (await startRefused());
    await settle();
    http.expectNone((r) => r.url === '/api/auth/guest');

    expect(state.phase()).toBe('lost');
    expect(state.identityLost()).toBe(true);
    expect(IDENTITY_LOST_MESSAGE).toBe('This server no longer knows your identity — it may have been reset.');
    // Kept until the person chooses, in case the server's data comes back.
    expect(TestBed.inject(IdentityStore).token()).toBe('tok-revoked');
    expect(sessionStorage.getItem(STORAGE_KEYS.session)).toBe('s_gone');
  });

  it('starts fresh with a new guest identity and session when the person chooses to', async () => {
    await (await startRefused());
    const restarted = state.startOver();
    (await nextRequest(http, 'POST', '/api/auth/guest')).flush({ user_id: 'u_fresh', token: 'tok-fresh' });
    const personas = await nextRequest(http, 'GET', '/api/personas');
    expect(personas.request.headers.get('Authorization')).toBe('Bearer tok-fresh');
    personas.flush(CATALOGUE);
    const session = aSession();
    (await nextRequest(http, 'POST', '/api/sessions')).flush(session);
    await restarted;

    expect(state.phase()).toBe('ready');
    expect(state.identityLost()).toBe(false);
    expect(TestBed.inject(IdentityStore).token()).toBe('tok-fresh');
    expect(state.currentId()).toBe(session.session_id);
  });

  it('can try the same identity again, and reopens it when the server knows it again', async () => {
    await (await startRefused());
    const retried = state.retryIdentity();
    const me = await nextRequest(http, 'GET', '/api/me');
    expect(me.request.headers.get('Authorization')).toBe('Bearer tok-revoked');
    me.flush({ user_id: 'u_old', created_at: new Date().toISOString() });
    (await nextRequest(http, 'GET', '/api/personas')).flush(CATALOGUE);
    const session = aSession({ session_id: 's_gone' });
    (await nextRequest(http, 'GET', '/api/sessions/s_gone')).flush(session);
    (await nextRequest(http, 'GET', '/api/sessions/s_gone/messages')).flush({ messages: [], next_cursor: null, total: 0 });
    await retried;

    expect(state.phase()).toBe('ready');
    expect(state.identityLost()).toBe(false);
    expect(state.currentId()).toBe('s_gone');
  });

  it('notices a 401 while in use; a late 401 for a token already replaced does not count', async () => {
    remember('tok-old', 's_open');
    boot();
    const started = state.start();
    (await nextRequest(http, 'GET', '/api/me')).flush({ user_id: 'u_old', created_at: new Date().toISOString() });
    (await nextRequest(http, 'GET', '/api/personas')).flush(CATALOGUE);
    (await nextRequest(http, 'GET', '/api/sessions/s_open')).flush(aSession({ session_id: 's_open' }));
    (await nextRequest(http, 'GET', '/api/sessions/s_open/messages')).flush({ messages: [], next_cursor: null, total: 0 });
    await started;
    expect(state.identityLost()).toBe(false);

    const { body, init } = errorBody(401, 'Invalid or expired token');
    const identities = TestBed.inject(IdentityStore);
    identities.markLost('tok-older');
    expect(state.identityLost()).toBe(false);
    const refresh = state.refreshCurrent();
    (await nextRequest(http, 'GET', '/api/sessions/s_open')).flush(body, init);
    await refresh;
    expect(state.identityLost()).toBe(true);
    expect(state.phase()).toBe('ready');
  });

  it('creates a new session when the stored one is gone', async () => {
    remember('tok-old', 's_expired');
    boot();
    const started = state.start();
    (await nextRequest(http, 'GET', '/api/me')).flush({ user_id: 'u_old', created_at: new Date().toISOString() });
    (await nextRequest(http, 'GET', '/api/personas')).flush(CATALOGUE);
    const { body, init } = errorBody(404, 'Session not found');
    (await nextRequest(http, 'GET', '/api/sessions/s_expired')).flush(body, init);
    (await nextRequest(http, 'GET', '/api/sessions/s_expired/messages')).flush(body, init);
    const session = aSession();
    (await nextRequest(http, 'POST', '/api/sessions')).flush(session);
    await started;

    expect(state.currentId()).toBe(session.session_id);
    expect(sessionStorage.getItem(STORAGE_KEYS.session)).toBe(session.session_id);
  });

  it('reports a start-up failure in words and can try again', async () => {
    boot();
    const started = state.start();
    (await nextRequest(http, 'POST', '/api/auth/guest')).flush(null, { status: 0, statusText: 'Unknown Error' });
    await started;
    expect(state.phase()).toBe('failed');
    expect(state.problem()).toBeTruthy();
  });

  it('opens another session and keeps the header in step with renames', async () => {
    remember('tok');
    boot();
    const other = aSession({ display_name: 'Other' });
    const opening = state.openSession(other.session_id);
    (await nextRequest(http, 'GET', `/api/sessions/${other.session_id}`)).flush(other);
    expect(await opening).toBe(true);
    state.sessionUpdated({ ...other, display_name: 'Renamed' });
    expect(state.current()?.display_name).toBe('Renamed');
    state.sessionUpdated(aSession({ display_name: 'Not open' }));
    expect(state.current()?.display_name).toBe('Renamed');
  });

  it('reads the open session again each time its live events stream is (re)subscribed: a change made meanwhile was not announced', async () => {
    remember('tok');
    boot();
    const open = aSession({ display_name: 'Chat' });
    const opening = state.openSession(open.session_id);
    (await nextRequest(http, 'GET', `/api/sessions/${open.session_id}`)).flush(open);
    expect(await opening).toBe(true);
    const ready = (TestBed.inject(LiveEvents) as unknown as { readyListeners: Set<() => void> }).readyListeners;
    ready.forEach((listener) => listener());
    (await nextRequest(http, 'GET', `/api/sessions/${open.session_id}`)).flush({ ...open, display_name: 'A generated title' });
    await settle();
    expect(state.current()?.display_name).toBe('A generated title');
  });

  it('after the open session is deleted opens my newest other session', async () => {
    remember('tok');
    boot();
    const doomed = aSession();
    const opening = state.openSession(doomed.session_id);
    (await nextRequest(http, 'GET', `/api/sessions/${doomed.session_id}`)).flush(doomed);
    await opening;
    const next = aSession({ display_name: 'Next' });
    const moving = state.sessionDeleted(doomed.session_id);
    const list = await nextRequest(http, 'GET', '/api/sessions');
    expect(list.request.params.get('limit')).toBe('2');
    list.flush({ sessions: [next], count: 1, next_cursor: null });
    await moving;
    await settle();
    expect(state.currentId()).toBe(next.session_id);
  });

  it('gives the open session its URL and names the tab after it; a new one is a new history entry', async () => {
    const session = aSession({ display_name: 'Trip planning' });
    remember('tok-old', session.session_id);
    boot();
    const started = state.start();
    (await nextRequest(http, 'GET', '/api/me')).flush({ user_id: 'u_old', created_at: new Date().toISOString() });
    (await nextRequest(http, 'GET', '/api/personas')).flush(CATALOGUE);
    (await nextRequest(http, 'GET', `/api/sessions/${session.session_id}`)).flush(session);
    (await nextRequest(http, 'GET', `/api/sessions/${session.session_id}/messages`)).flush({ messages: [], next_cursor: null, total: 0 });
    await started;
    TestBed.tick();
    expect(location.pathname).toBe(`/s/${session.session_id}`);
    expect(document.title).toBe('Trip planning · nono-chat');
    const before = history.length;

    const creating = state.createSession({ persona: 'default' });
    const created = aSession({ session_id: 's_new', display_name: 'Fresh' });
    (await nextRequest(http, 'POST', '/api/sessions')).flush(created);
    await creating;
    TestBed.tick();
    expect(location.pathname).toBe('/s/s_new');
    expect(history.length).toBe(before + 1);
    expect(document.title).toBe('Fresh · nono-chat');
    expect(sessionStorage.getItem(STORAGE_KEYS.session)).toBe('s_new');
  });

  it('opens the session named in the address bar rather than the tab\'s last one, and asks for it beside the settings', async () => {
    remember('tok-old', 's_last');
    history.replaceState(null, '', '/s/s_linked');
    boot();
    const started = state.start();
    // The session and its history are asked for before the sign-in settings have answered.
    const linked = http.match((r) => r.url === '/api/sessions/s_linked');
    expect(linked).toHaveLength(1);
    (await nextRequest(http, 'GET', '/api/me')).flush({ user_id: 'u_old', created_at: new Date().toISOString() });
    (await nextRequest(http, 'GET', '/api/personas')).flush(CATALOGUE);
    linked[0].flush(aSession({ session_id: 's_linked' }));
    (await nextRequest(http, 'GET', '/api/sessions/s_linked/messages')).flush({ messages: [], next_cursor: null, total: 0 });
    await started;
    expect(state.currentId()).toBe('s_linked');
    http.expectNone((r) => r.url.includes('s_last'));
    expect(sessionStorage.getItem(STORAGE_KEYS.session)).toBe('s_linked');
  });

  it('a link to a session that is gone opens a new one and says why', async () => {
    remember('tok-old');
    history.replaceState(null, '', '/s/s_gone');
    boot();
    const started = state.start();
    (await nextRequest(http, 'GET', '/api/me')).flush({ user_id: 'u_old', created_at: new Date().toISOString() });
    (await nextRequest(http, 'GET', '/api/personas')).flush(CATALOGUE);
    const { body, init } = errorBody(404, 'Session not found');
    (await nextRequest(http, 'GET', '/api/sessions/s_gone')).flush(body, init);
    (await nextRequest(http, 'GET', '/api/sessions/s_gone/messages')).flush(body, init);
    const session = aSession();
    (await nextRequest(http, 'POST', '/api/sessions')).flush(session);
    await started;
    expect(state.currentId()).toBe(session.session_id);
    expect(location.pathname).toBe(`/s/${session.session_id}`);
    expect(state.takeNotice()).toBe(SESSION_GONE);
  });

  it('back and forward open the session of that entry', async () => {
    remember('tok');
    boot();
    const first = aSession({ session_id: 's_first' });
    const second = aSession({ session_id: 's_second' });
    // phase is 'ready' only after start(); open two sessions as a person would.
    (state as unknown as { phaseState: { set(v: string): void } }).phaseState.set('ready');
    let opening = state.openSession('s_first');
    (await nextRequest(http, 'GET', '/api/sessions/s_first')).flush(first);
    await opening;
    opening = state.openSession('s_second');
    (await nextRequest(http, 'GET', '/api/sessions/s_second')).flush(second);
    await opening;
    expect(location.pathname).toBe('/s/s_second');

    history.replaceState(null, '', '/s/s_first');
    window.dispatchEvent(new PopStateEvent('popstate'));
    (await nextRequest(http, 'GET', '/api/sessions/s_first')).flush(first);
    await settle();
    expect(state.currentId()).toBe('s_first');
    expect(location.pathname).toBe('/s/s_first');
  });
});
