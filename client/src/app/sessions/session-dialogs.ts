import { Injector } from '@angular/core';
import { MatDialog } from '@angular/material/dialog';
import { MatSnackBar } from '@angular/material/snack-bar';
import { Observable } from 'rxjs';
import { NewSession, SessionUpdate } from '../core/api-types';
import { NewSessionDialog, NewSessionDialogData } from './new-session-dialog';
import { SessionsDialog, SessionsDialogResult } from './sessions-dialog';
import { SessionSettingsDialog, SessionSettingsDialogData } from './session-settings-dialog';
import { TagEditorDialog, TagEditorDialogData } from './tag-editor-dialog';

/*
 * The dialogs and notices, loaded on first use: forms, select, virtual scrolling and the overlay
 * stay out of the bundle the first paint waits for.
 */

export function openNewSessionDialog(injector: Injector, data: NewSessionDialogData): Observable<NewSession | undefined> {
  return injector
    .get(MatDialog)
    .open<NewSessionDialog, NewSessionDialogData, NewSession>(NewSessionDialog, { data, width: '520px', maxWidth: 'calc(100vw - 24px)' })
    .afterClosed();
}

export function openSessionsDialog(injector: Injector): Observable<SessionsDialogResult | undefined> {
  return injector
    .get(MatDialog)
    .open<SessionsDialog, void, SessionsDialogResult>(SessionsDialog, {
      width: '760px',
      maxWidth: '100vw',
      height: '80vh',
      panelClass: 'sessions-dialog-panel',
      autoFocus: 'input',
    })
    .afterClosed();
}

export function openSessionSettingsDialog(injector: Injector, data: SessionSettingsDialogData): Observable<SessionUpdate | undefined> {
  return injector
    .get(MatDialog)
    .open<SessionSettingsDialog, SessionSettingsDialogData, SessionUpdate>(SessionSettingsDialog, { data, width: '520px', maxWidth: 'calc(100vw - 24px)' })
    .afterClosed();
}

export function openTagEditorDialog(injector: Injector, data: TagEditorDialogData): Observable<string[] | undefined> {
  return injector
    .get(MatDialog)
    .open<TagEditorDialog, TagEditorDialogData, string[]>(TagEditorDialog, { data, width: '440px', maxWidth: 'calc(100vw - 24px)', autoFocus: 'input' })
    .afterClosed();
}

export function notify(injector: Injector, message: string): void {
  injector.get(MatSnackBar).open(message, 'Close', { duration: 8000 });
}

/** The sign-in screen replaces the app: nothing opened before stays on top of it. */
export function closeAllDialogs(injector: Injector): void {
  injector.get(MatDialog).closeAll();
}
