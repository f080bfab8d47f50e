import { Clipboard } from '@angular/cdk/clipboard';
import { ChangeDetectionStrategy, Component, ElementRef, afterNextRender, computed, inject, Injector, input, output, signal, viewChild } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { exactTime, messageTime } from '../core/time-format';
import { Icon } from '../shared/icon';
import { ChatEntry, Rating } from '../state/chat-state';
import { MarkdownView } from './markdown-view';
import { MessageUsage } from './message-usage';

/**
 * One message: who wrote it, when, with which persona; markdown for answers; error + Retry for failed
 * turns; its versions ("‹ n/m ›"), edit, regenerate, rating, fork and delete.
 */
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
  /** An answer is being generated: actions that change the conversation wait. */
  readonly busy = input(false);
  /** Show the version arrows and the message's actions (stored messages only). */
  readonly actions = input(false);
  readonly edit = output<{ entry: ChatEntry; content: string }>();
  readonly version = output<-1 | 1>();
  /** Regenerate this answer (not the last one: that has its own button). */
  readonly redo = output<ChatEntry>();
  /** A new rating, or null: the rating shown was pressed again and is removed. */
  readonly rate = output<{ entry: ChatEntry; rating: Rating | null; comment?: string }>();
  readonly fork = output<ChatEntry>();
  readonly remove = output<ChatEntry>();

  private readonly injector = inject(Injector);
  private readonly editButton = viewChild<ElementRef<HTMLButtonElement>>('editButton');
  private readonly editor = viewChild<ElementRef<HTMLTextAreaElement>>('editor');
  private readonly commentInput = viewChild<ElementRef<HTMLInputElement>>('comment');
  protected readonly editing = signal(false);
  protected readonly draftText = signal('');
  protected readonly commenting = signal(false);
  protected readonly confirming = signal(false);
  protected readonly tools = computed(() => this.actions() && !this.streaming() && !this.message().unsent && !this.message().id.startsWith('local-'));
  protected readonly versions = computed(() => {
    const count = this.message().sibling_count ?? 1;
    return count > 1 ? { n: (this.message().sibling_index ?? 0) + 1, m: count } : null;
  });
  protected readonly rating = computed(() => this.message().feedback?.rating ?? null);

  private readonly clipboard = inject(Clipboard);
  private copiedTimer?: ReturnType<typeof setTimeout>;
  protected readonly copied = signal(false);
  protected readonly showUsage = computed(() => this.sessionId() !== '' && this.message().role === 'assistant' && !this.streaming() && !this.message().unsent);

  protected readonly isUser = computed(() => this.message().role === 'user');
  protected readonly failed = computed(() => this.message().status === 'failed' || !!this.message().unsent);
  protected readonly time = computed(() => messageTime(this.message().created_at, this.now()));
  protected readonly exact = computed(() => exactTime(this.message().created_at));
  protected readonly label = computed(() => `${this.isUser() ? 'You' : 'Assistant'}, ${this.time()}`);

  protected startEdit(): void {
    this.draftText.set(this.message().content);
    this.editing.set(true);
    afterNextRender(() => {
      const area = this.editor()?.nativeElement;
      area?.focus();
      area?.setSelectionRange(area.value.length, area.value.length);
    }, { injector: this.injector });
  }

  /** Esc or Cancel: the message as it was, focus back on its Edit button. */
  protected cancelEdit(): void {
    this.editing.set(false);
    afterNextRender(() => this.editButton()?.nativeElement.focus(), { injector: this.injector });
  }

  protected onEnter(event: Event): void {
    const key = event as KeyboardEvent;
    if (key.shiftKey || key.isComposing) return;
    event.preventDefault();
    this.save();
  }

  protected save(): void {
    const content = this.draftText().trim();
    if (!content || this.busy()) return;
    this.editing.set(false);
    if (content !== this.message().content) this.edit.emit({ entry: this.message(), content });
    else afterNextRender(() => this.editButton()?.nativeElement.focus(), { injector: this.injector });
  }

  /** A thumb: stored at once; a comment can follow (or be skipped). The thumb already on removes the rating. */
  protected rateAs(rating: Rating): void {
    if (this.rating() === rating) {
      this.commenting.set(false);
      this.rate.emit({ entry: this.message(), rating: null });
      return;
    }
    this.rate.emit({ entry: this.message(), rating });
    this.commenting.set(true);
    afterNextRender(() => this.commentInput()?.nativeElement.focus(), { injector: this.injector });
  }

  protected sendComment(comment: string): void {
    const rating = this.rating();
    this.commenting.set(false);
    if (rating && comment.trim()) this.rate.emit({ entry: this.message(), rating, comment: comment.trim() });
  }

  protected copy(): void {
    if (!this.clipboard.copy(this.message().content)) return;
    this.copied.set(true);
    clearTimeout(this.copiedTimer);
    this.copiedTimer = setTimeout(() => this.copied.set(false), 2000);
  }
}
