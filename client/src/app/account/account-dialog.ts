import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule } from '@angular/material/dialog';

export type AccountAction = 'tokens' | 'import' | 'export-all' | 'shares' | 'register' | 'sign-out' | 'sign-out-everywhere';

export interface AccountDialogData {
  name: string;
  guest: boolean;
  /** The server lets a guest become an account (and keep their sessions). */
  guestCanRegister: boolean;
  canSignOut: boolean;
}

/** Who I am and what I can do about it; closes with the chosen action (the page carries it out). */
@Component({
  selector: 'nono-account-dialog',
  imports: [MatButtonModule, MatDialogModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h2 mat-dialog-title>{{ data.guest ? 'Guest' : data.name }}</h2>
    <mat-dialog-content>
      @if (data.guest) {
        <p>Your sessions are only in this browser.</p>
        @if (data.guestCanRegister) {
          <p>Create an account to keep them and reach them from anywhere.</p>
        }
      } @else {
        <p>Signed in as <strong>{{ data.name }}</strong>.</p>
      }
      <div class="actions">
        @if (data.guest && data.guestCanRegister) {
          <button mat-flat-button type="button" [mat-dialog-close]="'register'">Create account</button>
        }
        <button mat-stroked-button type="button" [mat-dialog-close]="'tokens'">API tokens</button>
      </div>
      <h3 class="group">Your data</h3>
      <div class="actions">
        <button mat-stroked-button type="button" [mat-dialog-close]="'export-all'">Export all sessions</button>
        <button mat-stroked-button type="button" [mat-dialog-close]="'import'">Import conversations</button>
        <button mat-stroked-button type="button" [mat-dialog-close]="'shares'">My shared links</button>
      </div>
      <div class="actions sign-out">
        @if (data.canSignOut) {
          <button mat-stroked-button type="button" [mat-dialog-close]="'sign-out'">{{ data.guest ? 'Sign out and forget this guest' : 'Sign out' }}</button>
          @if (!data.guest) {
            <button mat-stroked-button type="button" [mat-dialog-close]="'sign-out-everywhere'">Sign out everywhere</button>
          }
        }
      </div>
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button mat-button type="button" mat-dialog-close>Close</button>
    </mat-dialog-actions>
  `,
  styles: `.actions { display: flex; flex-direction: column; align-items: stretch; gap: 8px; } .group { font: var(--mat-sys-title-small); margin: 16px 0 8px; } .sign-out { margin-top: 16px; }`,
})
export class AccountDialog {
  protected readonly data = inject<AccountDialogData>(MAT_DIALOG_DATA);
}
