import { Clipboard } from '@angular/cdk/clipboard';
import { HttpClient } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { Api } from '../api/api';
import { createShare } from '../api/fn/shares/create-share';
import { listShares } from '../api/fn/shares/list-shares';
import { revokeShare } from '../api/fn/shares/revoke-share';
import type { ShareDto } from '../api/models/share-dto';
import { problemOf, statusOf } from '../core/api-error';
import { Clock } from '../core/clock';
import { exactTime, timeLeft } from '../core/time-format';
import { Icon } from '../shared/icon';
import { downloadFile } from './files';

export type ExportFormat = 'json' | 'markdown' | 'csv';

/** Without a session: the list of all my links. With one: its export menu, a new link and its links. */
export interface ShareDialogData {
  session?: { session_id: string; display_name: string };
}

const DAY = 86_400;
export const EXPIRY_CHOICES: { label: string; seconds: number | null }[] = [
  { label: '1 day', seconds: DAY },
  { label: '7 days', seconds: 7 * DAY },
  { label: '30 days', seconds: 30 * DAY },
  { label: 'Never', seconds: null },
];

export const EXPORT_FORMATS: { format: ExportFormat; label: string; hint: string; extension: string }[] = [
  { format: 'json', label: 'JSON', hint: 'everything, re-importable', extension: 'json' },
  { format: 'markdown', label: 'Markdown', hint: 'easy to read', extension: 'md' },
  { format: 'csv', label: 'CSV', hint: 'one row per message', extension: 'csv' },
];

export function exportUrl(sessionId: string, format: ExportFormat): string {
  return `/api/sessions/${encodeURIComponent(sessionId)}/export?format=${format}`;
}

/**
 * Export and share one session (download in three formats; read-only links with an expiry, copy,
 * revoke), or, opened from the account, every link I have shared. Calls the API itself.
 */
@Component({
  selector: 'nono-share-dialog',
  imports: [MatDialogModule, MatButtonModule, MatFormFieldModule, MatInputModule, MatProgressBarModule, Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h2 mat-dialog-title>{{ data.session ? 'Export or share' : 'My shared links' }}</h2>
    <mat-dialog-content>
      @if (data.session; as session) {
        <p class="subject">“{{ session.display_name }}”</p>
        <section aria-labelledby="export-heading">
          <h3 id="export-heading">Download</h3>
          <div class="formats" role="group" aria-label="Export format">
            @for (f of formats; track f.format) {
              <button mat-stroked-button type="button" (click)="download(f.format)" [disabled]="downloading() !== null" [title]="f.hint">
                <nono-icon name="download" /> {{ f.label }}
              </button>
            }
          </div>
        </section>
        <section aria-labelledby="share-heading">
          <h3 id="share-heading">Share a read-only link</h3>
          <p class="hint">Anyone with the link sees the conversation as it is now (not later messages), without your name. You can revoke it at any time.</p>
          <div class="create">
            <mat-form-field appearance="outline" subscriptSizing="dynamic">
              <mat-label>Link expires after</mat-label>
              <select matNativeControl [value]="expiry()" (change)="expiry.set(+$any($event.target).value)">
                @for (choice of expiries; track $index) {
                  <option [value]="$index">{{ choice.label }}</option>
                }
              </select>
            </mat-form-field>
            <button mat-flat-button type="button" (click)="create()" [disabled]="busy()">Create link</button>
          </div>
        </section>
      }
      @if (busy() || downloading()) {
        <mat-progress-bar mode="indeterminate" aria-label="Working" />
      }
      @if (problem()) {
        <p class="problem" role="alert">{{ problem() }}</p>
      }
      @if (notice()) {
        <p class="notice" role="status">{{ notice() }}</p>
      }
      <section aria-labelledby="links-heading">
        @if (data.session) {
          <h3 id="links-heading">Links to this session</h3>
        } @else {
          <h3 id="links-heading" class="visually-hidden">Links</h3>
        }
        @if (!loading() && shown().length === 0) {
          <p class="empty">No shared links{{ data.session ? ' for this session' : '' }}.</p>
        }
        <ul class="links">
          @for (share of shown(); track share.share_id) {
            <li class="link" [class.fresh]="share.share_id === fresh()">
              @if (!data.session) {
                <span class="title">{{ share.title }}</span>
              }
              <div class="url-row">
                <input class="url" readonly [value]="share.url" [attr.aria-label]="'Link to ' + share.title" (focus)="$any($event.target).select()" />
                <button mat-icon-button type="button" (click)="copy(share)" [attr.aria-label]="'Copy link to ' + share.title" title="Copy link">
                  <nono-icon [name]="copied() === share.share_id ? 'check' : 'copy'" />
                </button>
                <button mat-button type="button" class="danger" (click)="revoke(share)" [attr.aria-label]="'Revoke link to ' + share.title">Revoke</button>
              </div>
              <span class="meta">
                {{ share.message_count }} message{{ share.message_count === 1 ? '' : 's' }} ·
                <span [title]="share.expires_at ? exactTime(share.expires_at) : ''">{{ share.expires_at ? timeLeft(share.expires_at, now()) : 'never expires' }}</span>
              </span>
            </li>
          }
        </ul>
      </section>
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button mat-button type="button" mat-dialog-close>Close</button>
    </mat-dialog-actions>
  `,
  styles: `
    h3 { font: var(--mat-sys-title-small); margin: 16px 0 8px; }
    .subject { margin: 0; font-weight: 500; }
    .formats { display: flex; flex-wrap: wrap; gap: 8px; }
    .hint, .meta, .empty { color: var(--mat-sys-on-surface-variant); font-size: 0.9em; }
    .create { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
    .links { list-style: none; padding: 0; margin: 0; display: flex; flex-direction: column; gap: 12px; }
    .link { display: flex; flex-direction: column; gap: 2px; }
    .link.fresh .url { outline: 2px solid var(--mat-sys-primary); }
    .title { font-weight: 500; }
    .url-row { display: flex; align-items: center; gap: 4px; }
    .url { flex: 1; min-width: 0; font: inherit; padding: 6px 8px; border: 1px solid var(--mat-sys-outline-variant); border-radius: 4px; background: transparent; color: inherit; }
    .problem, .danger { color: var(--mat-sys-error); }
    .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  `,
})
export class ShareDialog {
  protected readonly data = inject<ShareDialogData>(MAT_DIALOG_DATA);
  private readonly api = inject(Api);
  private readonly http = inject(HttpClient);
  private readonly clipboard = inject(Clipboard);
  protected readonly now = inject(Clock).now;
  protected readonly formats = EXPORT_FORMATS;
  protected readonly expiries = EXPIRY_CHOICES;
  protected readonly exactTime = exactTime;
  protected readonly timeLeft = timeLeft;

  protected readonly shares = signal<ShareDto[]>([]);
  protected readonly loading = signal(true);
  protected readonly busy = signal(false);
  protected readonly downloading = signal<ExportFormat | null>(null);
  protected readonly problem = signal<string | null>(null);
  protected readonly notice = signal<string | null>(null);
  /** Index into EXPIRY_CHOICES; 7 days unless chosen otherwise. */
  protected readonly expiry = signal(1);
  protected readonly fresh = signal<string | null>(null);
  protected readonly copied = signal<string | null>(null);
  protected readonly shown = computed(() => {
    const id = this.data.session?.session_id;
    return id ? this.shares().filter((s) => s.session_id === id) : this.shares();
  });

  constructor() {
    void this.load();
  }

  protected async download(format: ExportFormat): Promise<void> {
    const session = this.data.session;
    if (!session) return;
    const extension = EXPORT_FORMATS.find((f) => f.format === format)?.extension ?? format;
    this.downloading.set(format);
    this.problem.set(null);
    try {
      const name = await downloadFile(this.http, exportUrl(session.session_id, format), `session.${extension}`);
      this.notice.set(`Downloaded ${name}.`);
    } catch (error) {
      this.problem.set(`The export failed: ${problemOf(error).message}`);
    } finally {
      this.downloading.set(null);
    }
  }

  protected async create(): Promise<void> {
    const session = this.data.session;
    if (!session) return;
    const seconds = EXPIRY_CHOICES[this.expiry()]?.seconds ?? null;
    await this.run(async () => {
      const share = await this.api.invoke(createShare, { id: session.session_id, body: seconds ? { expires_in_seconds: seconds } : {} });
      this.shares.update((list) => [share, ...list.filter((s) => s.share_id !== share.share_id)]);
      this.fresh.set(share.share_id);
      this.copy(share);
    });
  }

  protected copy(share: ShareDto): void {
    if (this.clipboard.copy(share.url)) {
      this.copied.set(share.share_id);
      this.notice.set('Link copied.');
    }
  }

  protected async revoke(share: ShareDto): Promise<void> {
    await this.run(async () => {
      try {
        await this.api.invoke(revokeShare, { share_id: share.share_id });
      } catch (error) {
        // Already gone (expired or revoked elsewhere): the list shows the truth either way.
        if (statusOf(error) !== 404) throw error;
      }
      this.shares.update((list) => list.filter((s) => s.share_id !== share.share_id));
      this.notice.set('Link revoked: it no longer opens.');
    });
  }

  private async load(): Promise<void> {
    try {
      this.shares.set((await this.api.invoke(listShares)).shares);
    } catch (error) {
      this.problem.set(`Your links could not be loaded: ${problemOf(error).message}`);
    } finally {
      this.loading.set(false);
    }
  }

  private async run(action: () => Promise<void>): Promise<void> {
    this.busy.set(true);
    this.problem.set(null);
    this.notice.set(null);
    try {
      await action();
    } catch (error) {
      this.problem.set(problemOf(error).message);
    } finally {
      this.busy.set(false);
    }
  }
}
