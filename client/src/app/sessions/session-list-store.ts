import { DestroyRef, Injectable, computed, inject, signal } from '@angular/core';
import { Api } from '../api/api';
import { problemOf, statusOf } from '../core/api-error';
import { Session, SessionUpdate } from '../core/api-types';
import { bulkUpdateSessions } from '../api/fn/sessions/bulk-update-sessions';
import { deleteSession } from '../api/fn/sessions/delete-session';
import { listSessions } from '../api/fn/sessions/list-sessions';
import { listTags } from '../api/fn/sessions/list-tags';
import { updateSession } from '../api/fn/sessions/update-session';
import type { SessionBulkAction } from '../api/models/session-bulk-action';
import type { TagCountDto } from '../api/models/tag-count-dto';
import { LiveEvent, LiveEvents } from '../state/live-events';
import { SessionState } from '../state/session-state';

export const SESSION_PAGE_SIZE = 50;

export type BulkAction = SessionBulkAction;

/** Which sessions the list shows; the server applies it, a page at a time. */
export interface SessionFilter {
  /** Only sessions with this tag. */
  tag: string | null;
  /** Only sessions of this persona. */
  persona: string | null;
  /** The archive (true) or the main list (false). */
  archived: boolean;
}

export const NO_FILTER: SessionFilter = { tag: null, persona: null, archived: false };

/** A tag the filter offers: with how many of my sessions carry it, when the server said so. */
export interface TagOption {
  tag: string;
  count: number | null;
}

/** What a bulk action did: ids it could not find among mine, and the ones refused (too many tags). */
export interface BulkOutcome {
  done: number;
  notFound: string[];
  refused: string[];
}

/** The server's limits: at most 10 tags of 1-32 characters. */
export const MAX_TAGS = 10;
export const TAG_MAX_LENGTH = 32;

/** Tags as the server stores them: trimmed, lower case. */
export function normalizeTag(tag: string): string {
  return tag.trim().toLowerCase();
}

/** Whether `a` comes before `b` in the list: pinned first, then newest activity (ISO times compare as text). */
function listedBefore(a: Session, b: Session): boolean {
  if (a.pinned !== b.pinned) return a.pinned;
  return a.last_activity > b.last_activity;
}

/** Whether a session belongs in the list under this filter. */
export function matchesFilter(session: Session, filter: SessionFilter): boolean {
  if (session.archived !== filter.archived) return false;
  if (filter.persona !== null && session.persona !== filter.persona) return false;
  return filter.tag === null || session.tags.includes(filter.tag);
}

/**
 * My sessions as the side panel and the Sessions dialog show them: pinned first, then newest
 * activity, fetched a page at a time under a filter (tag, persona, archive) that the server
 * applies. Pin, rename, tags, archive and delete update the row in place, or take it out of the
 * list when it no longer matches.
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
  private readonly filterState = signal<SessionFilter>(NO_FILTER);
  /** My tags with their counts, from the server (null until asked). */
  private readonly tagCountsState = signal<TagCountDto[] | null>(null);
  private tagsRequest: Promise<void> | null = null;
  /** Bumped when the filter changes, so that a page asked for under the old one is dropped. */
  private generation = 0;

  readonly items = this.itemsState.asReadonly();
  readonly loading = this.loadingState.asReadonly();
  readonly problem = this.problemState.asReadonly();
  readonly filter = this.filterState.asReadonly();
  readonly filtered = computed(() => {
    const filter = this.filterState();
    return filter.tag !== null || filter.persona !== null || filter.archived;
  });
  readonly hasMore = computed(() => !this.startedState() || this.cursor() !== null);
  /**
   * The tags the tag filter offers: all of mine as the server counts them (most used first), then
   * any seen on loaded sessions or filtered on that the last count did not include.
   */
  readonly tagOptions = computed<TagOption[]>(() => {
    const counted: TagOption[] = (this.tagCountsState() ?? []).map(({ tag, count }) => ({ tag, count }));
    const listed = new Set(counted.map((t) => t.tag));
    const seen = new Set(this.itemsState().flatMap((s) => s.tags));
    const current = this.filterState().tag;
    if (current) seen.add(current);
    const extra = [...seen].filter((tag) => !listed.has(tag)).sort();
    return [...counted, ...extra.map((tag) => ({ tag, count: null }))];
  });

  constructor() {
    // Changes made in other tabs or devices show while the list is open.
    const stop = inject(LiveEvents).on((event) => this.onLiveEvent(event));
    inject(DestroyRef).onDestroy(stop);
  }
  /** What the list shows (all loaded sessions; finding one among all of them is the search box's job). */
  readonly visible = this.itemsState.asReadonly();

  /** Shows the sessions of another filter, from its first page. */
  async setFilter(change: Partial<SessionFilter>): Promise<void> {
    const next = { ...this.filterState(), ...change };
    if (next.tag !== null) next.tag = normalizeTag(next.tag) || null;
    const now = this.filterState();
    if (next.tag === now.tag && next.persona === now.persona && next.archived === now.archived) return;
    this.generation++;
    this.filterState.set(next);
    this.itemsState.set([]);
    this.cursor.set(null);
    this.startedState.set(false);
    this.loadingState.set(false);
    await this.loadMore();
  }

  /** Loads the next page; does nothing while one is loading or when all are loaded. */
  async loadMore(): Promise<void> {
    if (this.loadingState() || !this.hasMore()) return;
    const generation = this.generation;
    this.loadingState.set(true);
    this.problemState.set(null);
    try {
      const page = await this.api.invoke(listSessions, this.pageQuery());
      if (generation !== this.generation) return;
      const known = new Set(this.itemsState().map((s) => s.session_id));
      this.itemsState.update((items) => [...items, ...page.sessions.filter((s) => !known.has(s.session_id))]);
      this.cursor.set(page.next_cursor ?? null);
      this.startedState.set(true);
    } catch (error) {
      if (generation === this.generation) this.problemState.set(problemOf(error).message);
    } finally {
      if (generation === this.generation) this.loadingState.set(false);
    }
  }

  /**
   * Asks the server for my tags and their counts (GET /api/tags), one request at a time. On
   * failure the filter keeps offering the tags seen on loaded sessions.
   */
  loadTags(): Promise<void> {
    this.tagsRequest ??= this.api
      .invoke(listTags)
      .then(
        ({ tags }) => this.tagCountsState.set(tags),
        () => undefined,
      )
      .finally(() => (this.tagsRequest = null));
    return this.tagsRequest;
  }

  async togglePin(session: Session): Promise<void> {
    await this.change(session, { pinned: !session.pinned });
  }

  async setArchived(session: Session, archived: boolean): Promise<void> {
    await this.change(session, { archived });
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

  /**
   * One action on several sessions in one request. The rows change in place as the server did
   * it; null when the request failed (the problem says why).
   */
  async bulk(ids: string[], action: BulkAction, tag?: string): Promise<BulkOutcome | null> {
    this.problemState.set(null);
    const label = tag === undefined ? undefined : normalizeTag(tag);
    let results;
    try {
      ({ results } = await this.api.invoke(bulkUpdateSessions, { body: { ids, action, ...(label ? { tag: label } : {}) } }));
    } catch (error) {
      this.problemState.set(problemOf(error).message);
      return null;
    }
    const ok = new Set(results.filter((r) => r.status === 'ok').map((r) => r.session_id));
    const filter = this.filterState();
    this.itemsState.update((items) =>
      items.flatMap((s) => {
        if (!ok.has(s.session_id)) return [s];
        if (action === 'delete') return [];
        const changed = applyBulk(s, action, label);
        return matchesFilter(changed, filter) ? [changed] : [];
      }),
    );
    const current = this.state.currentId();
    if (action === 'delete' && current && ok.has(current)) await this.state.sessionDeleted(current);
    return {
      done: ok.size,
      notFound: results.filter((r) => r.status === 'not_found').map((r) => r.session_id),
      refused: results.filter((r) => r.status === 'too_many_tags').map((r) => r.session_id),
    };
  }

  private pageQuery() {
    const { tag, persona, archived } = this.filterState();
    const cursor = this.cursor();
    return {
      limit: SESSION_PAGE_SIZE,
      ...(cursor ? { cursor } : {}),
      ...(tag ? { tag } : {}),
      ...(persona ? { persona } : {}),
      ...(archived ? { archived: true } : {}),
    };
  }

  private onLiveEvent(event: LiveEvent): void {
    const id = event.session_id;
    const filter = this.filterState();
    if (event.type === 'session.deleted') this.itemsState.update((items) => items.filter((s) => s.session_id !== id));
    else if (event.type === 'session.created' && event.session && matchesFilter(event.session, filter) && !this.has(id)) this.insert(event.session);
    else if (event.type === 'session.updated' && event.session) this.put(event.session);
  }

  /**
   * A session made elsewhere (a new one, or one an import brought back with its old activity) in its
   * place among those loaded: pinned first, then newest activity. One that sorts below the last row
   * loaded is left to the page that holds it, while more pages are to come.
   */
  private insert(session: Session): void {
    const items = this.itemsState();
    const at = items.findIndex((row) => listedBefore(session, row));
    if (at === -1 && this.hasMore()) return;
    const place = at === -1 ? items.length : at;
    this.itemsState.set([...items.slice(0, place), session, ...items.slice(place)]);
  }

  private has(id: string): boolean {
    return this.itemsState().some((s) => s.session_id === id);
  }

  /**
   * The row replaced by the session as it is now, in its place (a new message elsewhere moves it up,
   * pinning moves it to the pinned ones); out of the list when it no longer matches, in it when it
   * now does.
   */
  private put(session: Session): void {
    const id = session.session_id;
    this.itemsState.update((items) => items.filter((s) => s.session_id !== id));
    if (matchesFilter(session, this.filterState())) this.insert(session);
  }

  private async change(session: Session, body: SessionUpdate): Promise<boolean> {
    this.problemState.set(null);
    try {
      const updated = await this.api.invoke(updateSession, { id: session.session_id, body });
      this.put(updated);
      this.state.sessionUpdated(updated);
      return true;
    } catch (error) {
      this.problemState.set(problemOf(error).message);
      return false;
    }
  }
}

/** A session as a successful bulk action leaves it (live events bring the exact record later). */
function applyBulk(session: Session, action: BulkAction, tag: string | undefined): Session {
  switch (action) {
    case 'archive':
    case 'unarchive':
      return { ...session, archived: action === 'archive' };
    case 'pin':
    case 'unpin':
      return { ...session, pinned: action === 'pin' };
    case 'tag':
      return tag && !session.tags.includes(tag) ? { ...session, tags: [...session.tags, tag] } : session;
    case 'untag':
      return { ...session, tags: session.tags.filter((t) => t !== tag) };
    default:
      return session;
  }
}
