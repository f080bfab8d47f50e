import { Injector } from '@angular/core';
import { MatDialog } from '@angular/material/dialog';
import { Observable } from 'rxjs';
import { AccountAction, AccountDialog, AccountDialogData } from './account-dialog';
import { ApiTokensDialog } from './api-tokens-dialog';

/* The account dialogs, loaded on first use so forms and the clipboard stay out of the first paint's bundle. */

export function openAccountDialog(injector: Injector, data: AccountDialogData): Observable<AccountAction | undefined> {
  return injector
    .get(MatDialog)
    .open<AccountDialog, AccountDialogData, AccountAction>(AccountDialog, { data, width: '400px', maxWidth: 'calc(100vw - 24px)' })
    .afterClosed();
}

export function openApiTokensDialog(injector: Injector): void {
  injector.get(MatDialog).open(ApiTokensDialog, { width: '640px', maxWidth: 'calc(100vw - 24px)', autoFocus: 'input' });
}
