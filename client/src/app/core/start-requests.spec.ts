import { HttpClient, HttpErrorResponse, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom } from 'rxjs';
import { Api } from '../api/api';
import { getAuthSettings } from '../api/fn/auth/get-auth-settings';
import { getCurrentIdentity } from '../api/fn/identity/get-current-identity';
import { listPersonas } from '../api/fn/personas/list-personas';
import { getSession } from '../api/fn/sessions/get-session';
import { listSessionMessages } from '../api/fn/sessions/list-session-messages';
import { STORAGE_KEYS } from './browser-storage';
import { sentAheadInterceptor } from './sent-ahead.interceptor';
import { forgetSentAhead, MESSAGE_PAGE_SIZE, sendStartupRequests, startupRequestUrls } from './start-requests';

describe('start-up requests sent ahead', () => {
  let http: HttpTestingController;
  let fetchCalls: { url: string; authorization: string | null }[];
  const realFetch = globalThis.fetch;

  function answerFetch(answer: (url: string) => Response | Promise<Response>): void {
    fetchCalls = [];
    globalThis.fetch = ((url: string, init?: RequestInit) => {
      const headers = (init?.headers ?? {}) as Record<string, string>;
      fetchCalls.push({ url, authorization: headers['Authorization'] ?? null });
      return Promise.resolve().then(() => answer(url));
    }) as typeof fetch;
  }

  const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
    history.replaceState(null, '', '/');
    forgetSentAhead();
    TestBed.configureTestingModule({
      providers: [provideZonelessChangeDetection(), provideHttpClient(withInterceptors([sentAheadInterceptor])), provideHttpClientTesting()],
    });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => {
    globalThis.fetch = realFetch;
    forgetSentAhead();
    http.verify();
  });

  it('asks for exactly what start-up asks for through the generated client', async () => {
    const api = TestBed.inject(Api);
    void api.invoke(getAuthSettings).catch(() => undefined);
    void api.invoke(getCurrentIdentity).catch(() => undefined);
    void api.invoke(listPersonas).catch(() => undefined);
    void api.invoke(getSession, { id: 's_abc-1' }).catch(() => undefined);
    void api.invoke(listSessionMessages, { id: 's_abc-1', limit: MESSAGE_PAGE_SIZE }).catch(() => undefined);
    await Promise.resolve();
    const asked = http.match(() => true).map((request) => request.request.urlWithParams);
    expect(asked).toEqual(startupRequestUrls('token', 's_abc-1'));
  });

  it('sends only the sign-in settings without a stored token, and nothing on a share page', () => {
    answerFetch(() => json({}));
    sendStartupRequests();
    expect(fetchCalls.map((c) => new URL(c.url).pathname)).toEqual(['/api/auth/config']);
    history.replaceState(null, '', '/shared/abc');
    answerFetch(() => json({}));
    sendStartupRequests();
    expect(fetchCalls).toEqual([]);
  });

  it('answers the app from the request sent ahead, once, with the session named in the address', async () => {
    localStorage.setItem(STORAGE_KEYS.identity, JSON.stringify({ user_id: 'u_1', token: 'tok' }));
    history.replaceState(null, '', '/s/s_here');
    answerFetch((url) => json({ url: new URL(url).pathname }));
    sendStartupRequests();
    expect(fetchCalls.map((c) => c.authorization)).toEqual(Array(5).fill('Bearer tok'));
    const client = TestBed.inject(HttpClient);
    const headers = { Authorization: 'Bearer tok' };
    expect(await firstValueFrom(client.get('/api/sessions/s_here', { headers }))).toEqual({ url: '/api/sessions/s_here' });
    // Taken once: the same request again goes to the server.
    const again = firstValueFrom(client.get('/api/sessions/s_here', { headers }));
    http.expectOne('/api/sessions/s_here').flush({ fresh: true });
    expect(await again).toEqual({ fresh: true });
  });

  it('keeps the status of a refusal, and leaves other tokens and failed requests to the server', async () => {
    localStorage.setItem(STORAGE_KEYS.identity, JSON.stringify({ user_id: 'u_1', token: 'tok' }));
    sessionStorage.setItem(STORAGE_KEYS.session, 's_tab');
    answerFetch((url) => {
      if (url.endsWith('/api/me')) return json({ statusCode: 401, message: 'Unknown token' }, 401);
      if (url.endsWith('/api/personas')) return Promise.reject(new TypeError('Failed to fetch'));
      return json({ ok: true });
    });
    sendStartupRequests();
    const client = TestBed.inject(HttpClient);
    const refused = await firstValueFrom(client.get('/api/me', { headers: { Authorization: 'Bearer tok' } })).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(HttpErrorResponse);
    expect((refused as HttpErrorResponse).status).toBe(401);

    const failed = firstValueFrom(client.get('/api/personas', { headers: { Authorization: 'Bearer tok' } }));
    await new Promise((resolve) => setTimeout(resolve, 0));
    http.expectOne('/api/personas').flush({ personas: [] });
    expect(await failed).toEqual({ personas: [] });

    const otherToken = firstValueFrom(client.get('/api/sessions/s_tab', { headers: { Authorization: 'Bearer other' } }));
    http.expectOne('/api/sessions/s_tab').flush({ other: true });
    expect(await otherToken).toEqual({ other: true });
  });
});
