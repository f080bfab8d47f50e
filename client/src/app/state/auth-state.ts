import { Injectable, computed, inject, signal } from '@angular/core';
import { Api } from '../api/api';
import { ApiConfiguration } from '../api/api-configuration';
import { getAuthSettings } from '../api/fn/auth/get-auth-settings';
import { login } from '../api/fn/auth/login';
import { logout } from '../api/fn/auth/logout';
import { logoutAll } from '../api/fn/auth/logout-all';
import { register } from '../api/fn/auth/register';
import { startOidcLogin } from '../api/fn/auth/start-oidc-login';
import { statusOf } from '../core/api-error';
import { AuthSettings, IdentityKind, Me, SignedIn } from '../core/api-types';
import { STORAGE_KEYS, tabStorage } from '../core/browser-storage';
import { IdentityStore } from '../core/identity-store';

/** Who I am, as the header shows it. */
export interface Who {
  user_id: string;
  kind: IdentityKind;
  username: string | null;
}

/** Why the sign-in screen is up, and how it opens. */
export interface SignInRequest {
  /** Shown above the form, e.g. after the server stopped accepting the stored token. */
  reason: string | null;
  /** Open on "Create account" (a guest keeping their sessions). */
  register: boolean;
  /** A guest who opened it from the app may go back to it. */
  cancellable: boolean;
}

export interface Credentials {
  username: string;
  password: string;
}

export const SESSION_ENDED = 'Your session has ended; sign in again.';

/**
 * How this server signs people in, who I am, and the one place the stored token is set, dropped
 * or given up (sign-in, sign-out, a 401 on the stored token).
 */
@Injectable({ providedIn: 'root' })
export class AuthState {
  private readonly api = inject(Api);
  private readonly identity = inject(IdentityStore);
  private readonly rootUrl = inject(ApiConfiguration).rootUrl;

  private readonly settingsState = signal<AuthSettings | null>(null);
  private readonly whoState = signal<Who | null>(null);
  private readonly signInState = signal<SignInRequest | null>(null);

  readonly settings = this.settingsState.asReadonly();
  readonly who = this.whoState.asReadonly();
  /** Non-null while the sign-in screen should show instead of the app. */
  readonly signIn = this.signInState.asReadonly();
  readonly displayName = computed(() => this.whoState()?.username ?? 'Guest');
  /** Until /api/me answers, an identity without a name is taken for a guest. */
  readonly isGuest = computed(() => (this.whoState()?.kind ?? 'guest') === 'guest');
  readonly registrationOpen = computed(() => this.settingsState()?.mode === 'accounts' && this.settingsState()?.registration === 'open');
  /** A guest here can turn into an account and keep their sessions. */
  readonly guestCanRegister = computed(() => this.registrationOpen() && this.settingsState()?.guests_allowed === true);
  /** Behind a sign-in proxy without a token of mine, the proxy decides; there is nothing to sign out of here. */
  readonly canSignOut = computed(() => this.settingsState()?.mode !== 'proxy' || this.identity.token() !== null);
  /** Where the browser goes for OpenID Connect sign-in (a full page navigation, not an API call). */
  readonly oidcLoginUrl = this.rootUrl + startOidcLogin.PATH;

  /**
   * Picks up a token handed over in the URL fragment (OpenID Connect callback), then reads the
   * server's sign-in settings; in accounts mode without a token, asks for sign-in.
   */
  async load(): Promise<void> {
    this.takeTokenFromUrl();
    const settings = await this.api.invoke(getAuthSettings);
    this.settingsState.set(settings);
    if (settings.mode === 'accounts' && !this.identity.token()) this.askSignIn({ reason: null });
  }

  /** Whether start-up should go straight to the server with what the browser has (token or proxy sign-in). */
  hasCredentials(): boolean {
    return this.identity.token() !== null || this.settingsState()?.mode === 'proxy';
  }

  /** /api/me answered: remember who I am. */
  identified(me: Me): void {
    this.whoState.set({ user_id: me.user_id, kind: me.kind, username: me.username });
  }

  /** The server no longer accepts the stored token. */
  tokenRejected(): void {
    this.forget();
    if (this.settingsState()?.mode === 'accounts') this.askSignIn({ reason: SESSION_ENDED });
  }

  /**
   * A call made with `token` answered 401. On an accounts server that ends the session, unless the
   * token has changed since, or it was a sign-in attempt (there 401 means a wrong password).
   */
  rejectedWhileOpen(token: string, url: string): void {
    if (this.settingsState()?.mode !== 'accounts' || this.identity.token() !== token || url.endsWith(login.PATH)) return;
    this.tokenRejected();
  }

  async signInWith(credentials: Credentials, mode: 'login' | 'register'): Promise<void> {
    const signedIn = await this.api.invoke(mode === 'login' ? login : register, { body: credentials });
    this.signedIn(signedIn, 'account');
  }

  /** A guest of an accounts server stays one for this visit. */
  continueAsGuest(): void {
    this.signInState.set(null);
  }

  /** A guest asks to create an account (keeping their sessions: register sends the guest token). */
  startRegistration(): void {
    this.askSignIn({ reason: null, register: true, cancellable: true });
  }

  cancelSignIn(): void {
    if (this.signInState()?.cancellable) this.signInState.set(null);
  }

  /** Revokes this token (or every token of mine) on the server, then forgets it here. */
  async signOut(everywhere: boolean): Promise<void> {
    try {
      await this.api.invoke(everywhere ? logoutAll : logout);
    } catch (error) {
      // Already unknown to the server: signed out all the same.
      if (statusOf(error) !== 401) throw error;
    }
    this.forget();
    tabStorage.set(STORAGE_KEYS.session, null);
    if (this.settingsState()?.mode === 'accounts') this.askSignIn({ reason: null });
  }

  private signedIn(signedIn: SignedIn, kind: IdentityKind): void {
    // Another person's last session is not mine to reopen.
    if (this.identity.identity()?.user_id !== signedIn.user_id) tabStorage.set(STORAGE_KEYS.session, null);
    this.identity.set({ user_id: signedIn.user_id, token: signedIn.token });
    this.whoState.set({ user_id: signedIn.user_id, kind, username: signedIn.username || null });
    this.signInState.set(null);
  }

  private forget(): void {
    this.identity.set(null);
    this.whoState.set(null);
  }

  private askSignIn(request: Partial<SignInRequest>): void {
    this.signInState.set({ reason: null, register: false, cancellable: false, ...request });
  }

  /** The OpenID Connect callback lands on `/#token=…&user_id=…&username=…`: keep the token, clear the fragment. */
  private takeTokenFromUrl(): void {
    const location = globalThis.location;
    if (!location?.hash) return;
    const params = new URLSearchParams(location.hash.slice(1));
    const token = params.get('token');
    const userId = params.get('user_id');
    if (!token || !userId) return;
    this.signedIn({ token, user_id: userId, username: params.get('username') ?? '', expires_at: params.get('expires_at') || null }, 'oidc');
    // The token must not stay in the address bar, the history or a bookmark.
    globalThis.history.replaceState(globalThis.history.state, '', location.pathname + location.search);
  }
}
