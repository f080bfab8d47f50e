import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { AuthSettings } from '../core/api-types';
import { authInterceptor } from '../core/auth.interceptor';
import { STORAGE_KEYS } from '../core/browser-storage';
import { Api } from '../api/api';
import { listSessions } from '../api/fn/sessions/list-sessions';
import { login } from '../api/fn/auth/login';
import { errorBody, nextRequest } from '../testing/http';
import { AuthState, SESSION_ENDED } from './auth-state';
import { SessionState } from './session-state';

const ACCOUNTS: AuthSettings = { mode: 'accounts', registration: 'open', guests_allowed: false, oidc: true };

describe('AuthState', () => {
  let http: HttpTestingController;
  let auth: AuthState;
  let state: SessionState;

  function boot(): void {
    TestBed.configureTestingModule({
      providers: [provideZonelessChangeDetection(), provideHttpClient(withInterceptors([authInterceptor])), provideHttpClientTesting()],
    });
    http = TestBed.inject(HttpTestingController);
    auth = TestBed.inject(AuthState);
    state = TestBed.inject(SessionState);
  }

  async function answerSettings(settings: AuthSettings = ACCOUNTS): Promise<void> {
    (await nextRequest(http, 'GET', '/api/auth/config')).flush(settings);
  }

  beforeEach(() => {
    localStorage.clear();
    history.replaceState(null, '', '/');
  });
  afterEach(() => http.verify());

  it('takes the token from the URL fragment after single sign-on, stores it and clears the fragment', async () => {
    history.replaceState(null, '', '/?lang=en#token=tok-sso&user_id=u_sso&username=alice%40example.org&expires_at=');
    boot();
    const loaded = auth.load();
    await answerSettings();
    await loaded;

    expect(location.hash).toBe('');
    expect(location.pathname + location.search).toBe('/?lang=en');
    expect(JSON.parse(localStorage.getItem(STORAGE_KEYS.identity)!)).toEqual({ user_id: 'u_sso', token: 'tok-sso' });
    expect(auth.displayName()).toBe('alice@example.org');
    expect(auth.signIn()).toBeNull();
  });

  it('leaves an unrelated fragment alone and asks an accounts server\'s visitor to sign in', async () => {
    history.replaceState(null, '', '/#message-input');
    boot();
    const loaded = auth.load();
    await answerSettings();
    await loaded;

    expect(location.hash).toBe('#message-input');
    expect(localStorage.getItem(STORAGE_KEYS.identity)).toBeNull();
    expect(auth.signIn()).toEqual({ reason: null, register: false, cancellable: false });
  });

  it('on an accounts server, a rejected stored token leads to the sign-in screen saying the session ended', async () => {
    localStorage.setItem(STORAGE_KEYS.identity, JSON.stringify({ user_id: 'u_old', token: 'tok-revoked' }));
    boot();
    const started = state.start();
    await answerSettings();
    const { body, init } = errorBody(401, 'Invalid or expired token: sign in again with POST /api/auth/login');
    (await nextRequest(http, 'GET', '/api/me')).flush(body, init);
    (await nextRequest(http, 'GET', '/api/personas')).flush({ personas: [], default_persona: 'default' });
    await started;

    expect(state.phase()).toBe('signed-out');
    expect(auth.signIn()?.reason).toBe(SESSION_ENDED);
    expect(localStorage.getItem(STORAGE_KEYS.identity)).toBeNull();
    // No guest identity was made behind the sign-in screen.
    expect(http.match((r) => r.url === '/api/auth/guest')).toEqual([]);
  });

  it('a token revoked while the app is open (another device signed out everywhere) leads to the sign-in screen', async () => {
    localStorage.setItem(STORAGE_KEYS.identity, JSON.stringify({ user_id: 'u_alice', token: 'tok-alice' }));
    boot();
    const loaded = auth.load();
    await answerSettings();
    await loaded;
    const api = TestBed.inject(Api);

    // A wrong password on the sign-in form is not a dead token.
    const attempt = api.invoke(login, { body: { username: 'alice', password: 'nope' } }).catch(() => 'refused');
    const wrong = errorBody(401, 'Wrong username or password');
    (await nextRequest(http, 'POST', '/api/auth/login')).flush(wrong.body, wrong.init);
    expect(await attempt).toBe('refused');
    expect(auth.signIn()).toBeNull();

    const listing = api.invoke(listSessions, {}).catch(() => 'refused');
    const { body, init } = errorBody(401, 'Invalid or expired token: sign in again with POST /api/auth/login');
    (await nextRequest(http, 'GET', '/api/sessions')).flush(body, init);
    expect(await listing).toBe('refused');
    expect(auth.signIn()?.reason).toBe(SESSION_ENDED);
    expect(localStorage.getItem(STORAGE_KEYS.identity)).toBeNull();
  });

  it('signing out revokes the token on the server, forgets it and the open session, and asks to sign in', async () => {
    localStorage.setItem(STORAGE_KEYS.identity, JSON.stringify({ user_id: 'u_alice', token: 'tok-alice' }));
    sessionStorage.setItem(STORAGE_KEYS.session, 's_alice');
    boot();
    const loaded = auth.load();
    await answerSettings();
    await loaded;

    const signingOut = auth.signOut(true);
    const call = await nextRequest(http, 'POST', '/api/auth/logout-all');
    expect(call.request.headers.get('Authorization')).toBe('Bearer tok-alice');
    call.flush(null, { status: 204, statusText: 'No Content' });
    await signingOut;

    expect(localStorage.getItem(STORAGE_KEYS.identity)).toBeNull();
    expect(sessionStorage.getItem(STORAGE_KEYS.session)).toBeNull();
    expect(auth.signIn()).not.toBeNull();
  });

  it('keeps the token when the server cannot be reached to revoke it', async () => {
    localStorage.setItem(STORAGE_KEYS.identity, JSON.stringify({ user_id: 'u_alice', token: 'tok-alice' }));
    boot();
    const loaded = auth.load();
    await answerSettings();
    await loaded;

    const signingOut = auth.signOut(false);
    (await nextRequest(http, 'POST', '/api/auth/logout')).error(new ProgressEvent('error'), { status: 0 });
    await expect(signingOut).rejects.toBeTruthy();
    expect(JSON.parse(localStorage.getItem(STORAGE_KEYS.identity)!).token).toBe('tok-alice');
  });
});
