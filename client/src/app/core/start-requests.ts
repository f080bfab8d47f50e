// No Angular here: this module also runs on its own, before the app's code has loaded.
import { STORAGE_KEYS, storedIdentity, tabStorage } from './browser-storage';
import { sessionIdIn } from './session-path';
import { sharedIdIn } from '../shared-page/shared-path';

/** Newest page first; older pages as the person scrolls up. */
export const MESSAGE_PAGE_SIZE = 50;

/** A start-up GET sent ahead, waiting for the app to ask for it. */
interface SentAhead {
  url: string;
  authorization: string | null;
  /** null when the request failed on the way (the app then sends its own). */
  response: Promise<Response | null>;
}

const KEY = '__nonoStartRequests';
type Holder = { [KEY]?: SentAhead[] };

/**
 * The GETs the app's start-up makes, spelled as the generated client spells them (root URL ''):
 * the server's sign-in settings, and with a stored token who I am, the personas, and the session
 * to reopen with its newest history page.
 */
export function startupRequestUrls(token: string | null, sessionId: string | null): string[] {
  const urls = ['/api/auth/config'];
  if (!token) return urls;
  urls.push('/api/me', '/api/personas');
  // Ids the client makes are URL-safe; any other is left to the app, which encodes it.
  if (sessionId && /^[\w-]+$/.test(sessionId)) urls.push(`/api/sessions/${sessionId}`, `/api/sessions/${sessionId}/messages?limit=${MESSAGE_PAGE_SIZE}`);
  return urls;
}

/**
 * Sends the start-up requests at once, while the app's code is still loading (the longest part
 * of opening the page): the app takes their answers instead of asking again (see
 * takeSentAhead). The session is the one in the address, else the one this tab had open.
 */
export function sendStartupRequests(): void {
  const location = globalThis.location;
  if (!location || !/^https?:$/.test(location.protocol) || typeof fetch !== 'function') return;
  if (sharedIdIn(location.pathname) !== null) return;
  const token = storedIdentity()?.token ?? null;
  const sessionId = sessionIdIn(location.pathname) ?? tabStorage.get(STORAGE_KEYS.session);
  const authorization = token ? `Bearer ${token}` : null;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (authorization) headers['Authorization'] = authorization;
  (globalThis as Holder)[KEY] = startupRequestUrls(token, sessionId).map((url) => ({
    url,
    authorization,
    response: fetch(location.origin + url, { headers }).catch(() => null),
  }));
}

/** The answer to a start-up GET sent ahead with the same URL and credentials, once; null if none. */
export function takeSentAhead(url: string, authorization: string | null): Promise<Response | null> | null {
  const list = (globalThis as Holder)[KEY];
  const at = list?.findIndex((sent) => sent.url === url && sent.authorization === authorization) ?? -1;
  if (!list || at < 0) return null;
  return list.splice(at, 1)[0].response;
}

/** Start-up is over: answers not taken by now are out of date. */
export function forgetSentAhead(): void {
  delete (globalThis as Holder)[KEY];
}
