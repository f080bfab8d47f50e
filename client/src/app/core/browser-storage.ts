/**
 * localStorage that never throws: private modes and full quotas make it fail, and the app must
 * still work for the visit (it just will not be remembered).
 */
export const browserStorage = {
  get(key: string): string | null {
    try {
      return globalThis.localStorage?.getItem(key) ?? null;
    } catch {
      return null;
    }
  },
  set(key: string, value: string | null): void {
    try {
      if (value === null) globalThis.localStorage?.removeItem(key);
      else globalThis.localStorage?.setItem(key, value);
    } catch {
      // Not remembered; nothing else to do.
    }
  },
};

export const STORAGE_KEYS = {
  identity: 'nono.identity',
  session: 'nono.session',
  theme: 'nono.theme',
} as const;
