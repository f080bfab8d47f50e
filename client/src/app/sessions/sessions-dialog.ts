import { BreakpointObserver } from '@angular/cdk/layout';
import { CdkVirtualScrollViewport, ScrollingModule } from '@angular/cdk/scrolling';
import { ChangeDetectionStrategy, Component, computed, effect, inject, signal, untracked, viewChild } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { map } from 'rxjs';
import { Session } from '../core/api-types';
import { Clock } from '../core/clock';
import { SessionState } from '../state/session-state';
import { BulkOutcome, SessionListStore } from './session-list-store';
import { BulkRequest, SessionBulkBar } from './session-bulk-bar';
import { SessionFilters } from './session-filters';
import { RowMode, SessionRow } from './session-row';
import { SearchHit, SessionSearch } from './session-search';

/** What the dialog closes with: a session id, or a search result (session and message). */
export type SessionsDialogResult = string | SearchHit;

/** Rows have a fixed height so the virtual list can place thousands without measuring them. */
const ROW_HEIGHT = { wide: 76, narrow: 112 };
/** Load the next page when the last rendered row is this close to the end of what is loaded. */
const PREFETCH_ROWS = 15;

/**
 * My sessions; closes with the id of the one to open, or with a search result (the page opens it).
 * The search box asks the server, so it finds any session, not only the pages loaded here.
 */
@Component({
  selector: 'nono-sessions-dialog',
  imports: [MatDialogModule, MatButtonModule, MatProgressBarModule, ScrollingModule, SessionRow, SessionSearch, SessionFilters, SessionBulkBar],
  providers: [SessionListStore],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './sessions-dialog.html',
  styleUrl: './sessions-dialog.scss',
})
export class SessionsDialog {
  protected readonly store = inject(SessionListStore);
  protected readonly state = inject(SessionState);
  protected readonly now = inject(Clock).now;
  private readonly dialogRef = inject<MatDialogRef<SessionsDialog, SessionsDialogResult>>(MatDialogRef);
  private readonly viewport = viewChild(CdkVirtualScrollViewport);

  private readonly narrow = toSignal(
    inject(BreakpointObserver)
      .observe('(max-width: 599px)')
      .pipe(map((state) => state.matches)),
    { initialValue: false },
  );
  protected readonly rowHeight = computed(() => (this.narrow() ? ROW_HEIGHT.narrow : ROW_HEIGHT.wide));
  /** Which row is being renamed or asked to confirm a delete (at most one). */
  private readonly rowState = signal<{ id: string; mode: RowMode } | null>(null);

  protected readonly trackById = (_: number, session: Session) => session.session_id;

  /** Sessions ticked for a bulk action, by id (kept while rows scroll out of view). */
  protected readonly selected = signal<ReadonlySet<string>>(new Set());
  protected readonly allSelected = computed(() => {
    const items = this.store.visible();
    const selected = this.selected();
    return items.length > 0 && items.every((s) => selected.has(s.session_id));
  });
  protected readonly bulkBusy = signal(false);
  /** What the last bulk action did, in words. */
  protected readonly bulkReport = signal<string | null>(null);

  constructor() {
    void this.store.loadMore();
    // Another filter shows other sessions: the selection starts over.
    effect(() => {
      this.store.filter();
      untracked(() => {
        this.selected.set(new Set());
        this.bulkReport.set(null);
      });
    });
  }

  protected isSelected(session: Session): boolean {
    return this.selected().has(session.session_id);
  }

  protected toggleSelected(session: Session, on: boolean): void {
    this.selected.update((ids) => {
      const next = new Set(ids);
      if (on) next.add(session.session_id);
      else next.delete(session.session_id);
      return next;
    });
  }

  protected toggleAll(on: boolean): void {
    this.selected.set(on ? new Set(this.store.visible().map((s) => s.session_id)) : new Set());
  }

  protected async bulk(request: BulkRequest): Promise<void> {
    const ids = [...this.selected()];
    if (ids.length === 0) return;
    this.bulkBusy.set(true);
    this.bulkReport.set(null);
    try {
      const outcome = await this.store.bulk(ids, request.action, request.tag);
      if (!outcome) return;
      this.selected.set(new Set());
      this.bulkReport.set(describeBulk(request, outcome));
    } finally {
      this.bulkBusy.set(false);
    }
  }

  protected modeOf(session: Session): RowMode {
    const state = this.rowState();
    return state?.id === session.session_id ? state.mode : 'view';
  }

  protected setMode(session: Session, mode: RowMode): void {
    this.rowState.set(mode === 'view' ? null : { id: session.session_id, mode });
  }

  protected async rename(session: Session, name: string): Promise<void> {
    if (await this.store.rename(session, name)) this.rowState.set(null);
  }

  /** Deleting the open session opens another one: the dialog closes on it. */
  protected async remove(session: Session): Promise<void> {
    this.rowState.set(null);
    const wasOpen = session.session_id === this.state.currentId();
    await this.store.remove(session);
    if (wasOpen && !this.store.problem()) this.dialogRef.close();
  }

  protected open(session: Session): void {
    this.dialogRef.close(session.session_id);
  }

  protected openHit(hit: SearchHit): void {
    this.dialogRef.close(hit);
  }

  protected onScrolled(): void {
    const end = this.viewport()?.getRenderedRange().end ?? 0;
    if (end >= this.store.visible().length - PREFETCH_ROWS) void this.store.loadMore();
  }
}

const DONE: Record<BulkRequest['action'], string> = {
  archive: 'Archived',
  unarchive: 'Unarchived',
  delete: 'Deleted',
  tag: 'Tagged',
  untag: 'Untagged',
  pin: 'Pinned',
  unpin: 'Unpinned',
};

function sessions(n: number): string {
  return `${n} session${n === 1 ? '' : 's'}`;
}

/** "Archived 3 sessions. Not found (deleted meanwhile?): s_…" */
export function describeBulk(request: BulkRequest, outcome: BulkOutcome): string {
  const tag = request.tag ? ` #${request.tag}` : '';
  const parts = [`${DONE[request.action]}${tag}: ${sessions(outcome.done)}.`];
  if (outcome.notFound.length > 0) parts.push(`Not found (deleted or expired meanwhile): ${outcome.notFound.join(', ')}.`);
  if (outcome.refused.length > 0) parts.push(`Not tagged, already at 10 tags: ${outcome.refused.join(', ')}.`);
  return parts.join(' ');
}
