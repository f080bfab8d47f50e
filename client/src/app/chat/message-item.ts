import { Clipboard } from '@angular/cdk/clipboard';
import { ChangeDetectionStrategy, Component, computed, inject, input, output, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { exactTime, messageTime } from '../core/time-format';
import { Icon } from '../shared/icon';
import { ChatEntry } from '../state/chat-state';
import { MarkdownView } from './markdown-view';
import { MessageUsage } from './message-usage';

/** One message: who wrote it, when, with which persona; markdown for answers; error + Retry for failed turns. */
@Component({
  selector: 'nono-message',
  imports: [MarkdownView, MatButtonModule, Icon, MessageUsage],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './message-item.html',
  styleUrl: './message-item.scss',
  host: {
    role: 'article',
    '[class]': 'message().role',
    '[class.failed]': 'failed()',
    '[attr.aria-label]': 'label()',
    '[attr.aria-busy]': 'streaming()',
    '[attr.data-message-id]': 'message().id',
    '[class.highlighted]': 'highlighted()',
  },
})
export class MessageItem {
  readonly message = input.required<ChatEntry>();
  readonly personaName = input('');
  readonly now = input(Date.now());
  readonly streaming = input(false);
  /** The message a search result jumped to. */
  readonly highlighted = input(false);
  /** Render markdown only once scrolled near (for messages that open off screen). */
  readonly lazy = input(false);
  readonly canRegenerate = input(false);
  readonly retry = output<ChatEntry>();
  readonly regenerate = output<void>();
  /** The open session, for loading what the model saw; empty: the usage line is not shown. */
  readonly sessionId = input('');

  private readonly clipboard = inject(Clipboard);
  private copiedTimer?: ReturnType<typeof setTimeout>;
  protected readonly copied = signal(false);
  protected readonly showUsage = computed(() => this.sessionId() !== '' && this.message().role === 'assistant' && !this.streaming() && !this.message().unsent);

  protected readonly isUser = computed(() => this.message().role === 'user');
  protected readonly failed = computed(() => this.message().status === 'failed' || !!this.message().unsent);
  protected readonly time = computed(() => messageTime(this.message().created_at, this.now()));
  protected readonly exact = computed(() => exactTime(this.message().created_at));
  protected readonly label = computed(() => `${this.isUser() ? 'You' : 'Assistant'}, ${this.time()}`);

  protected copy(): void {
    if (!this.clipboard.copy(this.message().content)) return;
    this.copied.set(true);
    clearTimeout(this.copiedTimer);
    this.copiedTimer = setTimeout(() => this.copied.set(false), 2000);
  }
}
