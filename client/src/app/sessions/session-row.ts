import { ChangeDetectionStrategy, Component, ElementRef, afterRenderEffect, computed, input, output, viewChild } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatTooltipModule } from '@angular/material/tooltip';
import { Session } from '../core/api-types';
import { exactTime, relativeTime, timeLeft } from '../core/time-format';
import { Icon } from '../shared/icon';

export type RowMode = 'view' | 'rename' | 'confirm-delete';

/**
 * One session in the Sessions dialog. Its mode (renaming, confirming delete) comes from the dialog,
 * keyed by session id, because virtual scrolling reuses row instances for other sessions.
 */
@Component({
  selector: 'nono-session-row',
  imports: [MatButtonModule, MatTooltipModule, Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './session-row.html',
  styleUrl: './session-row.scss',
  host: { '[class.current]': 'current()', '[class.pinned]': 'session().pinned' },
})
export class SessionRow {
  readonly session = input.required<Session>();
  readonly personaName = input('');
  readonly current = input(false);
  readonly now = input(Date.now());
  readonly mode = input<RowMode>('view');

  readonly open = output<Session>();
  readonly togglePin = output<Session>();
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

  constructor() {
    afterRenderEffect(() => {
      const input = this.nameInput()?.nativeElement;
      if (input && this.mode() === 'rename') {
        input.focus();
        input.select();
      }
    });
  }

  protected onRenameKey(event: KeyboardEvent, value: string): void {
    if (event.key === 'Enter') {
      event.preventDefault();
      this.rename.emit(value);
    } else if (event.key === 'Escape') {
      // Escape cancels the rename, not the whole dialog.
      event.stopPropagation();
      event.preventDefault();
      this.modeChange.emit('view');
    }
  }
}
