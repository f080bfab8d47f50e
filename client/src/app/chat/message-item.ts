import { ChangeDetectionStrategy, Component, computed, input, output } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { exactTime, messageTime } from '../core/time-format';
import { Icon } from '../shared/icon';
import { ChatEntry } from '../state/chat-state';
import { MarkdownView } from './markdown-view';

/** One message: who wrote it, when, with which persona; markdown for answers; error + Retry for failed turns. */
@Component({
  selector: 'nono-message',
  imports: [MarkdownView, MatButtonModule, Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './message-item.html',
  styleUrl: './message-item.scss',
  host: {
    role: 'article',
    '[class]': 'message().role',
    '[class.failed]': 'failed()',
    '[attr.aria-label]': 'label()',
    '[attr.aria-busy]': 'streaming()',
  },
})
export class MessageItem {
  readonly message = input.required<ChatEntry>();
  readonly personaName = input('');
  readonly now = input(Date.now());
  readonly streaming = input(false);
  /** Render markdown only once scrolled near (for messages that open off screen). */
  readonly lazy = input(false);
  readonly canRegenerate = input(false);
  readonly retry = output<ChatEntry>();
  readonly regenerate = output<void>();

  protected readonly isUser = computed(() => this.message().role === 'user');
  protected readonly failed = computed(() => this.message().status === 'failed' || !!this.message().unsent);
  protected readonly time = computed(() => messageTime(this.message().created_at, this.now()));
  protected readonly exact = computed(() => exactTime(this.message().created_at));
  protected readonly label = computed(() => `${this.isUser() ? 'You' : 'Assistant'}, ${this.time()}`);
}
