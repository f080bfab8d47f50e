import { Injectable, computed, signal } from '@angular/core';
import { Identity } from './api-types';
import { browserStorage, STORAGE_KEYS, storedIdentity } from './browser-storage';

/** Shown when the server refuses the identity this browser had (e.g. its data was reset). */
export const IDENTITY_LOST_MESSAGE = 'This server no longer knows your identity — it may have been reset.';

/** The guest identity kept in the browser; the auth interceptor reads the token from here. */
@Injectable({ providedIn: 'root' })
export class IdentityStore {
  private readonly identityState = signal<Identity | null>(storedIdentity());
  private readonly lostState = signal(false);

  readonly identity = this.identityState.asReadonly();
  /**
   * The server answered 401 to the stored token. The identity is kept (and nothing starts over by
   * itself) until the person chooses: a restored server may know it again.
   */
  readonly lost = this.lostState.asReadonly();
  readonly token = computed(() => this.identityState()?.token ?? null);
  /** Short, recognisable form of the user id for the header. */
  readonly shortId = computed(() => this.identityState()?.user_id.slice(0, 8) ?? '');

  /** The server refused `token`; a late refusal of a token already replaced does not count. */
  markLost(token: string): void {
    if (token === this.token()) this.lostState.set(true);
  }

  /** Asks again with the same identity (after a server's data came back, say). */
  retryLost(): void {
    this.lostState.set(false);
  }

  set(identity: Identity | null): void {
    this.lostState.set(false);
    this.identityState.set(identity);
    browserStorage.set(STORAGE_KEYS.identity, identity ? JSON.stringify(identity) : null);
  }
}
