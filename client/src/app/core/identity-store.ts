import { Injectable, computed, signal } from '@angular/core';
import { Identity } from './api-types';
import { browserStorage, STORAGE_KEYS } from './browser-storage';

/** The guest identity kept in the browser; the auth interceptor reads the token from here. */
@Injectable({ providedIn: 'root' })
export class IdentityStore {
  private readonly identityState = signal<Identity | null>(readStored());

  readonly identity = this.identityState.asReadonly();
  readonly token = computed(() => this.identityState()?.token ?? null);
  /** Short, recognisable form of the user id for the header. */
  readonly shortId = computed(() => this.identityState()?.user_id.slice(0, 8) ?? '');

  set(identity: Identity | null): void {
    this.identityState.set(identity);
    browserStorage.set(STORAGE_KEYS.identity, identity ? JSON.stringify(identity) : null);
  }
}

function readStored(): Identity | null {
  const raw = browserStorage.get(STORAGE_KEYS.identity);
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as Partial<Identity>;
    return typeof parsed.user_id === 'string' && typeof parsed.token === 'string'
      ? { user_id: parsed.user_id, token: parsed.token }
      : null;
  } catch {
    return null;
  }
}
