import { FocusMonitor } from '@angular/cdk/a11y';
import { ChangeDetectionStrategy, Component, ElementRef, afterRenderEffect, computed, inject, input, output, viewChild } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { Session } from '../core/api-types';
import { exactTime, relativeTime, timeLeft } from '../core/time-format';
import { Icon } from '../shared/icon';
import { TagChips } from './tag-chips';

export type RowMode = 'view' | 'rename' | 'confirm-delete';

/**
 * One session in the Sessions dialog. Its mode (renaming, confirming delete) comes from the dialog,
 * keyed by session id, because virtual scrolling reuses row instances for other sessions.
 */
@Component({
  selector: 'nono-session-row',
  imports: [MatButtonModule, Icon, TagChips],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './session-row.html',
  styleUrl: './session-row.scss',
  host: { '[class.current]': 'current()', '[class.pinned]': 'session().pinned', '[class.selected]': 'selected()' },
})
export class SessionRow {
  readonly session = input.required<Session>();
  readonly personaName = input('');
  readonly current = input(false);
  readonly now = input(Date.now());
  readonly mode = input<RowMode>('view');
  /** Ticked for a bulk action. */
  readonly selected = input(false);

  readonly open = output<Session>();
  readonly togglePin = output<Session>();
  readonly selectedChange = output<boolean>();
  /** Archive, or unarchive an archived session. */
  readonly archive = output<Session>();
  readonly modeChange = output<RowMode>();
  readonly rename = output<string>();
  readonly remove = output<Session>();

  protected readonly created = computed(() => relativeTime(this.session().created_at, this.now()));
  protected readonly createdExact = computed(() => exactTime(this.session().created_at));
  protected readonly active = computed(() => relativeTime(this.session().last_activity, this.now()));
  protected readonly activeExact = computed(() => exactTime(this.session().last_activity));
  protected readonly expiry = computed(() => (this.session().pinned ? 'pinned, never expires' : timeLeft(this.session().expires_at, this.now())));
  protected readonly expiryExact = computed(() => exactTime(this.session().expires_at));
  protected readonly count = computed(() => {
    const n = this.session().message_count;
    return `${n} message${n === 1 ? '' : 's'}`;
  });

  private readonly nameInput = viewChild<ElementRef<HTMLInputElement>>('name');
  private readonly renameButton = viewChild('renameButton', { read: ElementRef<HTMLButtonElement> });
  private readonly deleteButton = viewChild('deleteButton', { read: ElementRef<HTMLButtonElement> });
  /** The mode just left while focus was inside the row: focus goes back to the button that opened it. */
  private returnFocusFrom: RowMode | null = null;
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef).nativeElement;
  private readonly focusMonitor = inject(FocusMonitor);

  constructor() {
    afterRenderEffect(() => {
      const mode = this.mode();
      const input = this.nameInput()?.nativeElement;
      if (input && mode === 'rename') {
        input.focus();
        input.select();
      }
      if (mode === 'view' && this.returnFocusFrom) {
        const target = this.returnFocusFrom === 'rename' ? this.renameButton() : this.deleteButton();
        this.returnFocusFrom = null;
        // As if by the program, not the keyboard: no keyboard focus ring flashes on a button the person did not tab to.
        if (target) this.focusMonitor.focusVia(target.nativeElement, 'program');
      }
    });
  }

  /** Leaving rename or confirm-delete with focus in the row (Esc, Cancel, Enter): focus returns to that row's button. */
  protected leave(next: RowMode = 'view'): void {
    if (this.host.contains(document.activeElement)) this.returnFocusFrom = this.mode();
    this.modeChange.emit(next);
  }

  /** Saving a name with Enter: once the row is back in view mode, focus goes to its Rename button (a click leaves focus to the pointer). */
  protected save(value: string, byKeyboard = false): void {
    if (byKeyboard && this.host.contains(document.activeElement)) this.returnFocusFrom = 'rename';
    this.rename.emit(value);
  }

  protected onRenameKey(event: KeyboardEvent, value: string): void {
    if (event.key === 'Enter') {
      event.preventDefault();
      this.save(value, true);
    } else if (event.key === 'Escape') {
      // Escape cancels the rename, not the whole dialog.
      event.stopPropagation();
      event.preventDefault();
      this.leave();
    }
  }
}
