import { ChangeDetectionStrategy, Component, input, output, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { Icon } from '../shared/icon';
import { BulkAction, normalizeTag, TAG_MAX_LENGTH } from './session-list-store';

export interface BulkRequest {
  action: BulkAction;
  tag?: string;
}

/**
 * What can be done to the selected sessions at once. Delete asks first; tag and untag take the
 * label typed beside them.
 */
@Component({
  selector: 'nono-session-bulk-bar',
  imports: [MatButtonModule, Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { role: 'toolbar', '[attr.aria-label]': '"Actions on " + selectedText()' },
  template: `
    <span class="count">{{ selectedText() }}</span>
    @if (confirming()) {
      <span class="question">Delete {{ selectedText() }} and all their messages?</span>
      <button mat-flat-button type="button" class="danger" [disabled]="busy()" (click)="confirming.set(false); act.emit({ action: 'delete' })">Delete</button>
      <button mat-button type="button" (click)="confirming.set(false)" (keydown.escape)="$event.stopPropagation(); confirming.set(false)">Cancel</button>
    } @else {
      @if (archivedView()) {
        <button mat-stroked-button type="button" [disabled]="busy()" (click)="act.emit({ action: 'unarchive' })">Unarchive</button>
      } @else {
        <button mat-stroked-button type="button" [disabled]="busy()" (click)="act.emit({ action: 'archive' })">Archive</button>
      }
      <button mat-stroked-button type="button" [disabled]="busy()" (click)="act.emit({ action: 'pin' })">Pin</button>
      <button mat-stroked-button type="button" [disabled]="busy()" (click)="act.emit({ action: 'unpin' })">Unpin</button>
      <span class="tagging">
        <input
          #tag
          class="tag-input"
          aria-label="Tag for the selected sessions"
          placeholder="tag"
          [maxLength]="TAG_MAX_LENGTH"
          autocomplete="off"
          (input)="tagText.set(tag.value)"
          (keydown.enter)="tagWith('tag')"
        />
        <button mat-stroked-button type="button" [disabled]="busy() || !validTag()" (click)="tagWith('tag')">Tag</button>
        <button mat-stroked-button type="button" [disabled]="busy() || !validTag()" (click)="tagWith('untag')">Untag</button>
      </span>
      <button mat-stroked-button type="button" class="delete" [disabled]="busy()" (click)="confirming.set(true)">Delete…</button>
      <button type="button" class="clear" (click)="clear.emit()" aria-label="Clear selection" title="Clear selection"><nono-icon name="close" /></button>
    }
  `,
  styles: `
    :host { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; padding: 6px 8px; border-radius: 12px; background: var(--mat-sys-surface-container-high); }
    .count { font-weight: 500; margin-right: 4px; }
    button { --mat-button-outlined-container-height: 32px; --mat-button-text-container-height: 32px; --mat-button-filled-container-height: 32px; padding: 0 12px; }
    .question { flex: 1 1 auto; }
    .tagging { display: inline-flex; gap: 4px; align-items: center; }
    .tag-input {
      width: 90px; font: inherit; padding: 5px 8px; border-radius: 8px;
      border: 1px solid var(--mat-sys-outline-variant); background: var(--mat-sys-surface); color: var(--mat-sys-on-surface);
    }
    .danger { --mat-button-filled-container-color: var(--mat-sys-error); --mat-button-filled-label-text-color: var(--mat-sys-on-error); }
    .delete { color: var(--mat-sys-error); }
    .clear { display: inline-flex; margin-left: auto; padding: 4px; border: none; border-radius: 50%; background: none; color: inherit; cursor: pointer; }
    .clear nono-icon { width: 20px; height: 20px; }
  `,
})
export class SessionBulkBar {
  readonly count = input.required<number>();
  /** The archive is shown: its sessions can be unarchived rather than archived. */
  readonly archivedView = input(false);
  readonly busy = input(false);

  readonly act = output<BulkRequest>();
  readonly clear = output<void>();

  protected readonly confirming = signal(false);
  protected readonly tagText = signal('');
  protected readonly TAG_MAX_LENGTH = TAG_MAX_LENGTH;

  protected selectedText(): string {
    const n = this.count();
    return `${n} session${n === 1 ? '' : 's'}`;
  }

  protected validTag(): boolean {
    const tag = normalizeTag(this.tagText());
    return tag.length > 0 && tag.length <= TAG_MAX_LENGTH;
  }

  protected tagWith(action: 'tag' | 'untag'): void {
    if (!this.validTag() || this.busy()) return;
    this.act.emit({ action, tag: normalizeTag(this.tagText()) });
  }
}
