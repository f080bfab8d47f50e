import { BreakpointObserver } from '@angular/cdk/layout';
import { CdkVirtualScrollViewport, ScrollingModule } from '@angular/cdk/scrolling';
import { ChangeDetectionStrategy, Component, computed, inject, signal, viewChild } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { map } from 'rxjs';
import { Session } from '../core/api-types';
import { Clock } from '../core/clock';
import { SessionState } from '../state/session-state';
import { SessionListStore } from './session-list-store';
import { RowMode, SessionRow } from './session-row';
import { SearchHit, SessionSearch } from './session-search';

/** What the dialog closes with: a session id, or a search result (session and message). */
export type SessionsDialogResult = string | SearchHit;

/** Rows have a fixed height so the virtual list can place thousands without measuring them. */
const ROW_HEIGHT = { wide: 76, narrow: 100 };
/** Load the next page when the last rendered row is this close to the end of what is loaded. */
const PREFETCH_ROWS = 15;

/**
 * My sessions; closes with the id of the one to open, or with a search result (the page opens it).
 * The search box asks the server, so it finds any session, not only the pages loaded here.
 */
@Component({
  selector: 'nono-sessions-dialog',
  imports: [MatDialogModule, MatButtonModule, MatProgressBarModule, ScrollingModule, SessionRow, SessionSearch],
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

  constructor() {
    void this.store.loadMore();
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
