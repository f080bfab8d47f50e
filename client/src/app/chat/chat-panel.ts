import { ChangeDetectionStrategy, Component, inject, viewChild } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { Icon } from '../shared/icon';
import { ChatState } from '../state/chat-state';
import { SessionState } from '../state/session-state';
import { Composer } from './composer';
import { MessageList } from './message-list';

/** The open session's conversation with its composer and any problem worth a banner. */
@Component({
  selector: 'nono-chat-panel',
  imports: [MessageList, Composer, MatButtonModule, MatProgressBarModule, Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (chat.modelProblem() ?? sessions.modelNotice(); as problem) {
      <div class="banner" role="alert">
        <nono-icon name="warning" />
        <div>
          <strong>Chat is not available.</strong>
          <span class="problem">{{ problem }}</span>
          @if (chat.modelProblem()) {
            <span class="hint">Once it is set up, press Retry to send your message.</span>
          }
        </div>
      </div>
    }
    @if (chat.notice(); as notice) {
      <div class="banner notice" role="status">
        <span>{{ notice }}</span>
        <button mat-icon-button type="button" (click)="chat.dismissNotice()" aria-label="Dismiss"><nono-icon name="close" /></button>
      </div>
    }
    @if (chat.loading()) {
      <mat-progress-bar mode="indeterminate" aria-label="Loading the conversation" />
    }
    <nono-message-list
      [messages]="chat.messages()"
      [draft]="chat.draft()"
      [hasOlder]="chat.hasOlder()"
      [loadingOlder]="chat.loadingOlder()"
      [canRegenerate]="chat.canRegenerate()"
      [highlighted]="chat.highlighted()"
      (loadOlder)="chat.loadOlder()"
      (retry)="chat.retry($event)"
      (regenerate)="chat.regenerate()"
      (edit)="chat.edit($event.entry, $event.content)"
      (version)="chat.showVersion($event.entry, $event.step)"
      (redo)="chat.regenerate($event.id)"
      (rate)="chat.rate($event.entry, $event.rating, $event.comment)"
      (fork)="chat.fork($event)"
      (remove)="chat.deleteMessage($event)"
    />
    <nono-composer
      [streaming]="chat.streaming()"
      [disabled]="sessions.phase() !== 'ready'"
      (send)="send($event)"
      (stop)="chat.stop()"
    />
  `,
  styleUrl: './chat-panel.scss',
})
export class ChatPanel {
  protected readonly chat = inject(ChatState);
  protected readonly sessions = inject(SessionState);
  private readonly list = viewChild.required(MessageList);
  private readonly composer = viewChild.required(Composer);

  focusComposer(): void {
    this.composer().focus();
  }

  protected send(text: string): void {
    this.list().scrollToNewest();
    void this.chat.send(text);
  }
}
