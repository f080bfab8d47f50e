import { ChangeDetectionStrategy, Component, DestroyRef, ElementRef, afterNextRender, computed, inject, output, signal, viewChild } from '@angular/core';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { Session } from '../core/api-types';
import { Clock } from '../core/clock';
import { sessionPath } from '../core/session-url';
import { DayGroup, dayGroup, exactTime } from '../core/time-format';
import { SessionState } from '../state/session-state';
import { SessionListStore } from './session-list-store';
import { SearchHit, SessionSearch } from './session-search';
import { SessionFilters } from './session-filters';
import { TagChips } from './tag-chips';
import { Icon } from '../shared/icon';

/** The next page is asked for when the end of the list comes this close to the visible part. */
const NEAR_END = '0px 0px 600px 0px';

interface Group {
  name: DayGroup | 'Pinned';
  sessions: Session[];
}

/**
 * The side panel of wide screens: my sessions by last activity, grouped Today / Yesterday /
 * Previous 7 days / Older, the open one marked. Every entry is a link to the session's URL (a
 * middle click opens it in another tab); a plain click opens it here. Pages load as the list
 * scrolls toward its end.
 */
@Component({
  selector: 'nono-session-nav',
  imports: [MatProgressBarModule, SessionSearch, SessionFilters, TagChips, Icon],
  providers: [SessionListStore],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <nono-session-search inputId="side-search" (hit)="hit.emit($event)" (active)="searching.set($event)" />
    <nono-session-filters idPrefix="side-filter" [hidden]="searching()" />
    <nav class="nav" #scroller [attr.aria-label]="store.filter().archived ? 'Archived sessions' : 'Session list'" [hidden]="searching()">
      @for (group of groups(); track group.name) {
        <h2 class="group">{{ group.name }}</h2>
        <ul>
          @for (session of group.sessions; track session.session_id) {
            <li [class.archived]="session.archived">
              <a
                class="entry"
                [href]="path(session)"
                [class.current]="session.session_id === state.currentId()"
                [attr.aria-current]="session.session_id === state.currentId() ? 'page' : null"
                [title]="session.display_name + ' · ' + exact(session)"
                (click)="onClick($event, session)"
              >
                <span class="name">{{ session.display_name }}</span>
                <span class="meta">
                  <span class="persona">{{ state.personaName(session.persona) }}</span>
                  <nono-tag-chips [tags]="session.tags" />
                </span>
              </a>
              @if (session.archived) {
                <button
                  type="button"
                  class="unarchive"
                  (click)="store.setArchived(session, false)"
                  [attr.aria-label]="'Unarchive ' + session.display_name"
                  title="Unarchive: back to the session list"
                >
                  <nono-icon name="unarchive" />
                </button>
              }
            </li>
          }
        </ul>
      }
      <div class="end" #end>
        @if (store.loading()) {
          <mat-progress-bar mode="indeterminate" aria-label="Loading sessions" />
        } @else if (store.problem(); as problem) {
          <p class="problem" role="alert">{{ problem }}</p>
          <button type="button" class="more" (click)="store.loadMore()">Try again</button>
        } @else if (store.hasMore()) {
          <button type="button" class="more" (click)="store.loadMore()">Load more</button>
        } @else if (store.items().length === 0) {
          <p class="empty">{{ emptyText() }}</p>
        }
      </div>
    </nav>
  `,
  styleUrl: './session-nav.scss',
})
export class SessionNav {
  protected readonly store = inject(SessionListStore);
  protected readonly state = inject(SessionState);
  private readonly now = inject(Clock).now;
  private readonly scroller = viewChild.required<ElementRef<HTMLElement>>('scroller');
  private readonly end = viewChild.required<ElementRef<HTMLElement>>('end');

  /** A session was chosen (plain click): the page opens it. */
  readonly open = output<string>();
  /** A search result was chosen: the page opens the session at the message. */
  readonly hit = output<SearchHit>();
  /** A query is typed: results take the list's place. */
  protected readonly searching = signal(false);

  /** Loaded sessions, newest activity first (live updates move them): pinned ones first, the others by day. */
  protected readonly groups = computed(() => {
    const now = this.now();
    const sorted = [...this.store.items()].sort((a, b) => Date.parse(b.last_activity) - Date.parse(a.last_activity));
    const groups = new Map<Group['name'], Session[]>();
    const pinned = sorted.filter((s) => s.pinned);
    if (pinned.length > 0) groups.set('Pinned', pinned);
    for (const session of sorted) {
      if (session.pinned) continue;
      const name = dayGroup(session.last_activity, now);
      const list = groups.get(name);
      if (list) list.push(session);
      else groups.set(name, [session]);
    }
    return Array.from(groups, ([name, sessions]): Group => ({ name, sessions }));
  });

  protected readonly emptyText = computed(() => {
    const filter = this.store.filter();
    if (filter.tag !== null || filter.persona !== null) return 'No sessions match.';
    return filter.archived ? 'No archived sessions.' : 'No sessions yet.';
  });

  constructor() {
    void this.store.loadMore();
    const destroyRef = inject(DestroyRef);
    afterNextRender(() => {
      if (typeof IntersectionObserver === 'undefined') return;
      const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && void this.store.loadMore(), {
        root: this.scroller().nativeElement,
        rootMargin: NEAR_END,
      });
      observer.observe(this.end().nativeElement);
      destroyRef.onDestroy(() => observer.disconnect());
    });
  }

  protected path(session: Session): string {
    return sessionPath(session.session_id);
  }

  protected exact(session: Session): string {
    return `active ${exactTime(session.last_activity)}`;
  }

  protected onClick(event: MouseEvent, session: Session): void {
    // Ctrl/Cmd/Shift/middle click: the browser opens the link in another tab or window.
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    this.open.emit(session.session_id);
  }
}
