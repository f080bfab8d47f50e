import { Injectable } from '@angular/core';
import { sessionIdIn, sessionPath } from './session-path';

export { sessionPath } from './session-path';

const TITLE = 'nono-chat';

/** How opening a session changes the browser history. */
export type HistoryMode = 'push' | 'replace' | 'none';

/**
 * The address bar and the tab title follow the open session: every session has its URL
 * (`/s/{id}`), so back and forward move between the sessions opened in this tab, a reload reopens
 * the same one and a link opens it anywhere.
 */
@Injectable({ providedIn: 'root' })
export class SessionUrl {
  /** The session named in the address bar when the page loaded or after back/forward. */
  current(): string | null {
    return sessionIdIn(globalThis.location?.pathname ?? '/');
  }

  show(sessionId: string, mode: HistoryMode): void {
    const history = globalThis.history;
    const location = globalThis.location;
    if (mode === 'none' || !history || !location) return;
    const path = sessionPath(sessionId);
    if (location.pathname === path) return;
    // Keeps anything after the path (a query the server or a later feature added).
    const url = path + location.search + location.hash;
    if (mode === 'push' && sessionIdIn(location.pathname) !== null) history.pushState(null, '', url);
    else history.replaceState(null, '', url);
  }

  title(name: string | null): void {
    if (typeof document !== 'undefined') document.title = name ? `${name} · ${TITLE}` : TITLE;
  }

  /** Back or forward: calls `changed` with the session id of the new entry (null for a path without one). */
  onNavigate(changed: (sessionId: string | null) => void): () => void {
    const listener = () => changed(this.current());
    globalThis.addEventListener?.('popstate', listener);
    return () => globalThis.removeEventListener?.('popstate', listener);
  }
}
