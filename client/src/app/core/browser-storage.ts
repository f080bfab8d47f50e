import type { Identity } from './api-types';

type StorageName = 'localStorage' | 'sessionStorage';

/**
 * Web storage that never throws: private modes and full quotas make it fail, and the app must
 * still work for the visit (it just will not be remembered).
 */
function storage(name: StorageName) {
  return {
    get(key: string): string | null {
      try {
        return globalThis[name]?.getItem(key) ?? null;
      } catch {
        return null;
      }
    },
    set(key: string, value: string | null): void {
      try {
        if (value === null) globalThis[name]?.removeItem(key);
        else globalThis[name]?.setItem(key, value);
      } catch {
        // Not remembered; nothing else to do.
      }
    },
  };
}

/** Kept by the browser for every tab: the identity, the theme. */
export const browserStorage = storage('localStorage');

/** Kept per tab (and across its reloads): the session this tab has open, so two tabs never share one. */
export const tabStorage = storage('sessionStorage');

export const STORAGE_KEYS = {
  identity: 'nono.identity',
  /** In tabStorage. */
  session: 'nono.session',
  theme: 'nono.theme',
} as const;

/** The identity kept in this browser, if it is one (anything else there is ignored). */
export function storedIdentity(): Identity | null {
  const raw = browserStorage.get(STORAGE_KEYS.identity);
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as Partial<Identity>;
    return typeof parsed.user_id === 'string' && typeof parsed.token === 'string' ? { user_id: parsed.user_id, token: parsed.token } : null;
  } catch {
    return null;
  }
}
