import { DestroyRef, Injectable, computed, inject, signal } from '@angular/core';
import { Api } from '../api/api';
import { problemOf, statusOf } from '../core/api-error';
import { Session } from '../core/api-types';
import { deleteSession } from '../api/fn/sessions/delete-session';
import { listSessions } from '../api/fn/sessions/list-sessions';
import { updateSession } from '../api/fn/sessions/update-session';
import { LiveEvent, LiveEvents } from '../state/live-events';
import { SessionState } from '../state/session-state';

export const SESSION_PAGE_SIZE = 50;

/**
 * My sessions as the Sessions dialog shows them: newest activity first, fetched a page at a time
 * as the list scrolls. Pin, rename and delete update the row in place; more pages load as the
 * person scrolls or asks.
 */
@Injectable()
export class SessionListStore {
  private readonly api = inject(Api);
  private readonly state = inject(SessionState);

  private readonly itemsState = signal<Session[]>([]);
  private readonly cursor = signal<string | null>(null);
  private readonly startedState = signal(false);
  private readonly loadingState = signal(false);
  private readonly problemState = signal<string | null>(null);

  readonly items = this.itemsState.asReadonly();
  readonly loading = this.loadingState.asReadonly();
  readonly problem = this.problemState.asReadonly();
  readonly hasMore = computed(() => !this.startedState() || this.cursor() !== null);

  constructor() {
    // Changes made in other tabs or devices show while the list is open.
    const stop = inject(LiveEvents).on((event) => this.onLiveEvent(event));
    inject(DestroyRef).onDestroy(stop);
  }
  /** What the list shows (all loaded sessions; finding one among all of them is the search box's job). */
  readonly visible = this.itemsState.asReadonly();

  /** Loads the next page; does nothing while one is loading or when all are loaded. */
  async loadMore(): Promise<void> {
    if (this.loadingState() || !this.hasMore()) return;
    this.loadingState.set(true);
    this.problemState.set(null);
    try {
      const cursor = this.cursor() ?? undefined;
      const page = await this.api.invoke(listSessions, { limit: SESSION_PAGE_SIZE, ...(cursor ? { cursor } : {}) });
      const known = new Set(this.itemsState().map((s) => s.session_id));
      this.itemsState.update((items) => [...items, ...page.sessions.filter((s) => !known.has(s.session_id))]);
      this.cursor.set(page.next_cursor ?? null);
      this.startedState.set(true);
    } catch (error) {
      this.problemState.set(problemOf(error).message);
    } finally {
      this.loadingState.set(false);
    }
  }

  async togglePin(session: Session): Promise<void> {
    await this.change(session, { pinned: !session.pinned });
  }

  async rename(session: Session, displayName: string): Promise<boolean> {
    const name = displayName.trim();
    if (!name || name === session.display_name) return true;
    return this.change(session, { display_name: name });
  }

  async remove(session: Session): Promise<void> {
    this.problemState.set(null);
    try {
      await this.api.invoke(deleteSession, { id: session.session_id });
    } catch (error) {
      if (statusOf(error) !== 404) {
        this.problemState.set(problemOf(error).message);
        return;
      }
    }
    this.itemsState.update((items) => items.filter((s) => s.session_id !== session.session_id));
    await this.state.sessionDeleted(session.session_id);
  }

  private onLiveEvent(event: LiveEvent): void {
    const id = event.session_id;
    if (event.type === 'session.deleted') this.itemsState.update((items) => items.filter((s) => s.session_id !== id));
    else if (event.type === 'session.created' && event.session && !this.itemsState().some((s) => s.session_id === id)) {
      const created = event.session;
      this.itemsState.update((items) => [created, ...items]);
    } else if (event.type === 'session.updated' && event.session) {
      const updated = event.session;
      this.itemsState.update((items) => items.map((s) => (s.session_id === id ? updated : s)));
    }
  }

  private async change(session: Session, body: { pinned?: boolean; display_name?: string }): Promise<boolean> {
    this.problemState.set(null);
    try {
      const updated = await this.api.invoke(updateSession, { id: session.session_id, body });
      this.itemsState.update((items) => items.map((s) => (s.session_id === updated.session_id ? updated : s)));
      this.state.sessionUpdated(updated);
      return true;
    } catch (error) {
      this.problemState.set(problemOf(error).message);
      return false;
    }
  }
}
