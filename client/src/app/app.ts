import { ChangeDetectionStrategy, Component, inject, viewChild } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSnackBar, MatSnackBarModule } from '@angular/material/snack-bar';
import { ChatPanel } from './chat/chat-panel';
import { problemOf } from './core/api-error';
import { NewSession } from './core/api-types';
import { AppHeader } from './header/app-header';
import { NewSessionDialog, NewSessionDialogData } from './sessions/new-session-dialog';
import { SessionsDialog } from './sessions/sessions-dialog';
import { SessionState } from './state/session-state';

/** The page: header + conversation. Opens the dialogs and acts on what they return. */
@Component({
  selector: 'nono-root',
  imports: [AppHeader, ChatPanel, MatButtonModule, MatProgressBarModule, MatSnackBarModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './app.html',
  styleUrl: './app.scss',
})
export class App {
  protected readonly state = inject(SessionState);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly chat = viewChild(ChatPanel);

  constructor() {
    void this.state.start();
  }

  protected openNewSession(): void {
    const data: NewSessionDialogData = { personas: this.state.personas() };
    this.dialog
      .open<NewSessionDialog, NewSessionDialogData, NewSession>(NewSessionDialog, { data, width: '520px', maxWidth: 'calc(100vw - 24px)' })
      .afterClosed()
      .subscribe((input) => input && void this.create(input));
  }

  protected openSessions(): void {
    this.dialog
      .open<SessionsDialog, void, string>(SessionsDialog, {
        width: '760px',
        maxWidth: '100vw',
        height: '80vh',
        panelClass: 'sessions-dialog-panel',
        autoFocus: 'input',
      })
      .afterClosed()
      .subscribe((sessionId) => sessionId && void this.switchTo(sessionId));
  }

  private async create(input: NewSession): Promise<void> {
    try {
      await this.state.createSession(input);
      this.chat()?.focusComposer();
    } catch (error) {
      this.snackBar.open(`The session was not created: ${problemOf(error).message}`, 'Close', { duration: 8000 });
    }
  }

  private async switchTo(sessionId: string): Promise<void> {
    try {
      if (sessionId !== this.state.currentId() && !(await this.state.openSession(sessionId))) {
        this.snackBar.open('That session no longer exists (it may have expired).', 'Close', { duration: 6000 });
      }
      this.chat()?.focusComposer();
    } catch (error) {
      this.snackBar.open(problemOf(error).message, 'Close', { duration: 8000 });
    }
  }
}
