import { HttpClient } from '@angular/common/http';
import { Injector } from '@angular/core';
import { MatDialog } from '@angular/material/dialog';
import { Observable } from 'rxjs';
import { exportAllSessions } from '../api/fn/transfer/export-all-sessions';
import { downloadFile } from './files';
import { ImportDialog, ImportDialogData, ImportDialogResult } from './import-dialog';
import { ShareDialog, ShareDialogData } from './share-dialog';

/* Export, import and share links, loaded on first use: none of it is on the path to the first paint. */

export function openShareDialog(injector: Injector, data: ShareDialogData): void {
  injector.get(MatDialog).open<ShareDialog, ShareDialogData>(ShareDialog, { data, width: '560px', maxWidth: 'calc(100vw - 24px)' });
}

export function openImportDialog(injector: Injector, data: ImportDialogData): Observable<ImportDialogResult | undefined> {
  return injector
    .get(MatDialog)
    .open<ImportDialog, ImportDialogData, ImportDialogResult>(ImportDialog, { data, width: '720px', maxWidth: 'calc(100vw - 24px)', disableClose: true })
    .afterClosed();
}

/** Every session of mine as one NDJSON file; resolves with the file's name. */
export function exportAll(injector: Injector): Promise<string> {
  return downloadFile(injector.get(HttpClient), exportAllSessions.PATH, 'nono-chat-export.ndjson');
}
