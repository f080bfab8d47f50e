import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { HarnessLoader } from '@angular/cdk/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { provideZonelessChangeDetection } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MatButtonHarness } from '@angular/material/button/testing';
import { MatInputHarness } from '@angular/material/input/testing';
import { AuthSettings } from '../core/api-types';
import { authInterceptor } from '../core/auth.interceptor';
import { STORAGE_KEYS } from '../core/browser-storage';
import { AuthState, SESSION_ENDED } from '../state/auth-state';
import { errorBody, nextRequest, settle } from '../testing/http';
import { SignIn } from './sign-in';

const ACCOUNTS: AuthSettings = { mode: 'accounts', registration: 'open', guests_allowed: false, oidc: false };

describe('SignIn', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<SignIn>;
  let loader: HarnessLoader;
  let auth: AuthState;
  let done: number;

  async function render(settings: Partial<AuthSettings> = {}): Promise<void> {
    TestBed.configureTestingModule({
      providers: [provideZonelessChangeDetection(), provideHttpClient(withInterceptors([authInterceptor])), provideHttpClientTesting()],
    });
    http = TestBed.inject(HttpTestingController);
    auth = TestBed.inject(AuthState);
    const loaded = auth.load();
    (await nextRequest(http, 'GET', '/api/auth/config')).flush({ ...ACCOUNTS, ...settings });
    await loaded;
    fixture = TestBed.createComponent(SignIn);
    done = 0;
    fixture.componentInstance.done.subscribe(() => done++);
    loader = TestbedHarnessEnvironment.loader(fixture);
    await fixture.whenStable();
  }

  async function fill(username: string, password: string): Promise<void> {
    await (await loader.getHarness(MatInputHarness.with({ selector: '[formControlName=username]' }))).setValue(username);
    await (await loader.getHarness(MatInputHarness.with({ selector: '[formControlName=password]' }))).setValue(password);
  }

  async function submit(label: string): Promise<void> {
    await (await loader.getHarness(MatButtonHarness.with({ text: label, selector: '[type=submit]' }))).click();
  }

  function alerts(): string[] {
    return Array.from((fixture.nativeElement as HTMLElement).querySelectorAll('[role=alert]')).map((el) => el.textContent!.trim());
  }

  async function buttonLabels(): Promise<string[]> {
    return Promise.all((await loader.getAllHarnesses(MatButtonHarness)).map((b) => b.getText()));
  }

  beforeEach(() => localStorage.clear());
  afterEach(() => http.verify());

  it('signs in, stores the token and reports done', async () => {
    await render();
    await fill('alice', 'correct horse');
    await submit('Sign in');
    const call = await nextRequest(http, 'POST', '/api/auth/login');
    expect(call.request.body).toEqual({ username: 'alice', password: 'correct horse' });
    call.flush({ token: 'tok-alice', user_id: 'u_alice', username: 'alice', expires_at: null });
    await settle();

    expect(done).toBe(1);
    expect(JSON.parse(localStorage.getItem(STORAGE_KEYS.identity)!)).toEqual({ user_id: 'u_alice', token: 'tok-alice' });
    expect(auth.displayName()).toBe('alice');
    expect(auth.signIn()).toBeNull();
  });

  it('shows a wrong password under the form and clears it once the form is edited', async () => {
    await render();
    await fill('alice', 'wrong password');
    await submit('Sign in');
    const { body, init } = errorBody(401, 'Wrong username or password');
    (await nextRequest(http, 'POST', '/api/auth/login')).flush(body, init);
    await settle();
    await fixture.whenStable();

    expect(alerts()).toEqual(['Wrong username or password']);
    expect(done).toBe(0);
    await (await loader.getHarness(MatInputHarness.with({ selector: '[formControlName=password]' }))).setValue('another try');
    await fixture.whenStable();
    expect(alerts()).toEqual([]);
  });

  it('registers through the "Create account" switch and puts the server\'s field messages under their fields', async () => {
    await render();
    await (await loader.getHarness(MatButtonHarness.with({ text: 'Create account', selector: '[type=button]' }))).click();
    await fill('Al', 'short');
    await submit('Create account');
    const bad = {
      body: { statusCode: 400, error: 'Bad Request', message: 'x', details: ['username must be 3-32 characters long', 'password must be at least 8 characters long'] },
      init: { status: 400, statusText: 'Bad Request' },
    };
    (await nextRequest(http, 'POST', '/api/auth/register')).flush(bad.body, bad.init);
    await settle();
    await fixture.whenStable();
    const fieldProblems = Array.from((fixture.nativeElement as HTMLElement).querySelectorAll('mat-form-field + .field-problem')).map((el) => [
      el.previousElementSibling!.querySelector('input')!.getAttribute('formControlName'),
      el.textContent!.trim(),
    ]);
    expect(fieldProblems).toEqual([
      ['username', 'username must be 3-32 characters long'],
      ['password', 'password must be at least 8 characters long'],
    ]);

    await fill('alice', 'correct horse');
    await submit('Create account');
    const { body, init } = errorBody(409, 'The username "alice" is taken');
    (await nextRequest(http, 'POST', '/api/auth/register')).flush(body, init);
    await settle();
    await fixture.whenStable();
    expect(alerts()).toEqual(['The username "alice" is taken']);
    expect((fixture.nativeElement as HTMLElement).querySelector('#username-problem')?.textContent).toContain('taken');
  });

  it('offers "Continue as guest" only when the server allows guests, and no "Create account" when registration is closed', async () => {
    await render({ registration: 'closed' });
    expect(await buttonLabels()).toEqual(['Sign in']);
    TestBed.resetTestingModule();

    await render({ guests_allowed: true, oidc: true });
    expect(await buttonLabels()).toEqual(['Sign in', 'Create account', 'Sign in with single sign-on', 'Continue as guest']);
    const sso = (fixture.nativeElement as HTMLElement).querySelector('a[href]');
    expect(sso?.getAttribute('href')).toBe('/api/auth/oidc/login');
    await (await loader.getHarness(MatButtonHarness.with({ text: 'Continue as guest' }))).click();
    expect(auth.signIn()).toBeNull();
    expect(done).toBe(1);
  });

  it('says why when the server stopped accepting the stored token', async () => {
    await render();
    auth.tokenRejected();
    await fixture.whenStable();
    expect((fixture.nativeElement as HTMLElement).querySelector('.reason')?.textContent?.trim()).toBe(SESSION_ENDED);
  });
});
