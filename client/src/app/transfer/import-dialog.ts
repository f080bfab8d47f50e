import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import type { ImportReportDto } from '../api/models/import-report-dto';
import type { ImportSource } from '../api/models/import-source';
import { Persona } from '../core/api-types';
import { IdentityStore } from '../core/identity-store';
import { UploadError, UploadHandle, uploadImport } from './files';

export interface ImportDialogData {
  personas: Persona[];
  defaultPersona: string;
}

/** What the dialog closes with: the session to open, if the person chose one from the report. */
export interface ImportDialogResult {
  open?: string;
  imported: number;
}

const SOURCE_NAMES: Record<ImportSource, string> = { nono: 'nono-chat', chatgpt: 'ChatGPT', claude: 'Claude' };

type Phase = 'choose' | 'uploading' | 'reading' | 'done';

/**
 * Import conversations from a file: pick it and a persona, watch the upload, then read the report
 * (every conversation imported or skipped, and why).
 */
@Component({
  selector: 'nono-import-dialog',
  imports: [MatDialogModule, MatButtonModule, MatFormFieldModule, MatInputModule, MatProgressBarModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h2 mat-dialog-title>Import conversations</h2>
    <mat-dialog-content>
      @if (report(); as report) {
        <p class="summary" role="status">
          Imported {{ report.imported }} conversation{{ report.imported === 1 ? '' : 's' }}, skipped {{ report.skipped }}
          ({{ report.format }}).
        </p>
        <table class="report">
          <thead>
            <tr><th scope="col">Conversation</th><th scope="col">From</th><th scope="col">Result</th><th scope="col">Messages</th></tr>
          </thead>
          <tbody>
            @for (row of report.conversations; track $index) {
              <tr [class.skipped]="row.outcome === 'skipped'">
                <td class="title">
                  @if (row.session_id) {
                    <button type="button" class="open" (click)="open(row.session_id)" [attr.aria-label]="'Open ' + row.title" title="Open this session">{{ row.title }}</button>
                  } @else {
                    {{ row.title }}
                  }
                </td>
                <td>{{ sourceName(row.source) }}</td>
                <td>
                  {{ row.outcome === 'imported' ? 'Imported' : 'Skipped' }}@if (row.reason) {: {{ row.reason }}}
                  @if (row.omitted > 0) {
                    <span class="omitted">({{ row.omitted }} part{{ row.omitted === 1 ? '' : 's' }} left out)</span>
                  }
                </td>
                <td class="count">{{ row.messages }}</td>
              </tr>
            }
          </tbody>
        </table>
        @if (report.unlisted > 0) {
          <p class="unlisted">{{ report.unlisted }} more conversation{{ report.unlisted === 1 ? '' : 's' }} not listed (counted above).</p>
        }
      } @else {
        <p>A nono-chat export (JSON or NDJSON), ChatGPT's <code>conversations.json</code> or Claude's export. Conversations imported before are skipped.</p>
        <div class="file">
          <label for="import-file">File</label>
          <input #picker id="import-file" type="file" accept=".json,.ndjson,.jsonl,application/json" [disabled]="busy()" (change)="pick(picker.files)" />
        </div>
        <mat-form-field appearance="outline" class="persona">
          <mat-label>Persona for the imported sessions</mat-label>
          <select matNativeControl [value]="persona()" (change)="persona.set($any($event.target).value)" [disabled]="busy()">
            <option value="">Default ({{ defaultName() }})</option>
            @for (p of data.personas; track p.key) {
              <option [value]="p.key">{{ p.name }}</option>
            }
          </select>
        </mat-form-field>
        @if (busy()) {
          <mat-progress-bar
            [mode]="phase() === 'uploading' ? 'determinate' : 'indeterminate'"
            [value]="progress() * 100"
            aria-label="Import progress"
          />
          <p class="status" aria-live="polite">{{ phase() === 'uploading' ? 'Uploading… ' + percent() + '%' : 'Reading the conversations…' }}</p>
        }
        @if (problem()) {
          <p class="problem" role="alert">{{ problem() }}</p>
        }
      }
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      @if (report()) {
        <button mat-flat-button type="button" (click)="close()">Done</button>
      } @else {
        <button mat-button type="button" (click)="cancel()">Cancel</button>
        <button mat-flat-button type="button" (click)="start()" [disabled]="!file() || busy()">Import</button>
      }
    </mat-dialog-actions>
  `,
  styles: `
    .file { display: flex; flex-direction: column; gap: 4px; margin-bottom: 16px; }
    .file label { font-weight: 500; }
    .persona { width: 100%; }
    .problem { color: var(--mat-sys-error); }
    .status { margin: 4px 0 0; }
    .report { width: 100%; border-collapse: collapse; }
    .report th, .report td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--mat-sys-outline-variant); vertical-align: top; }
    .report .count { text-align: right; }
    .report .skipped { color: var(--mat-sys-on-surface-variant); }
    .open { all: unset; cursor: pointer; color: var(--mat-sys-primary); text-decoration: underline; overflow-wrap: anywhere; }
    .open:focus-visible { outline: 2px solid var(--mat-sys-primary); }
    .omitted { display: block; font-size: 0.85em; }
    .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  `,
})
export class ImportDialog {
  protected readonly data = inject<ImportDialogData>(MAT_DIALOG_DATA);
  private readonly ref = inject<MatDialogRef<ImportDialog, ImportDialogResult>>(MatDialogRef);
  private readonly identity = inject(IdentityStore);

  protected readonly file = signal<File | null>(null);
  protected readonly persona = signal('');
  protected readonly phase = signal<Phase>('choose');
  protected readonly progress = signal(0);
  protected readonly problem = signal<string | null>(null);
  protected readonly report = signal<ImportReportDto | null>(null);
  protected readonly busy = computed(() => this.phase() === 'uploading' || this.phase() === 'reading');
  protected readonly percent = computed(() => Math.round(this.progress() * 100));
  protected readonly defaultName = computed(
    () => this.data.personas.find((p) => p.key === this.data.defaultPersona)?.name ?? this.data.defaultPersona,
  );
  private upload: UploadHandle | null = null;

  constructor() {
    inject(DestroyRef).onDestroy(() => this.upload?.abort());
  }

  protected sourceName(source: ImportSource): string {
    return SOURCE_NAMES[source] ?? source;
  }

  protected pick(files: FileList | null): void {
    this.file.set(files?.[0] ?? null);
    this.problem.set(null);
  }

  protected async start(): Promise<void> {
    const file = this.file();
    if (!file || this.busy()) return;
    this.problem.set(null);
    this.progress.set(0);
    this.phase.set('uploading');
    this.upload = uploadImport(file, {
      persona: this.persona() || undefined,
      token: this.identity.token(),
      progress: (fraction) => {
        this.progress.set(fraction);
        if (fraction >= 1) this.phase.set('reading');
      },
    });
    try {
      this.report.set(await this.upload.done);
      this.phase.set('done');
    } catch (error) {
      this.problem.set(error instanceof UploadError ? `Nothing was imported: ${error.message}` : String(error));
      this.phase.set('choose');
    } finally {
      this.upload = null;
    }
  }

  protected open(sessionId: string): void {
    this.ref.close({ open: sessionId, imported: this.report()?.imported ?? 0 });
  }

  protected close(): void {
    this.ref.close({ imported: this.report()?.imported ?? 0 });
  }

  protected cancel(): void {
    this.upload?.abort();
    this.ref.close();
  }
}
