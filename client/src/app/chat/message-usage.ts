import { ChangeDetectionStrategy, Component, computed, inject, input, signal } from '@angular/core';
import { Api } from '../api/api';
import { getMessageContext } from '../api/fn/chat/get-message-context';
import { problemOf } from '../core/api-error';
import { Message, MessageContextView } from '../core/api-types';

const ROLE_LABELS = { system: 'Persona instructions', user: 'You', assistant: 'Assistant' } as const;

/** "in 1,234 · out 56 tokens · saw 3 messages"; empty parts are left out. */
export function usageLine(message: Pick<Message, 'usage' | 'context'>): string {
  const parts: string[] = [];
  if (message.usage) parts.push(`in ${message.usage.prompt_tokens.toLocaleString('en')} · out ${message.usage.completion_tokens.toLocaleString('en')} tokens`);
  if (message.context) parts.push(`saw ${message.context.messages} earlier message${message.context.messages === 1 ? '' : 's'}`);
  return parts.join(' · ');
}

/** An answer's token use and what the model saw for it (loaded when the person opens it). */
@Component({
  selector: 'nono-message-usage',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="line">
      <span>{{ line() }}</span>
      @if (message().context) {
        <button type="button" class="link" (click)="toggle()" [attr.aria-expanded]="open()">
          {{ open() ? 'Hide what the model saw' : 'What the model saw' }}
        </button>
      }
    </div>
    @if (open()) {
      <div class="seen" role="region" aria-label="What the model saw">
        @if (problem(); as problem) {
          <p class="problem" role="alert">{{ problem }}</p>
        } @else if (view(); as view) {
          @if (!view.exact) {
            <p class="note">Stored before this was recorded exactly: the persona's current instructions are shown.</p>
          }
          <ol>
            @for (turn of view.messages; track $index) {
              <li [class]="turn.role">
                <span class="who">{{ roleLabel(turn.role) }}</span>
                <div class="text">{{ turn.content }}</div>
              </li>
            }
          </ol>
        } @else {
          <p class="note" role="status">Loading…</p>
        }
      </div>
    }
  `,
  styles: `
    :host { display: block; font-size: 0.75rem; color: var(--mat-sys-on-surface-variant); max-width: min(760px, 100%); }
    .line { display: flex; flex-wrap: wrap; gap: 8px; align-items: baseline; }
    .link { border: 0; padding: 0; background: none; color: var(--mat-sys-primary); cursor: pointer; font: inherit; text-decoration: underline; }
    .seen { margin-top: 4px; padding: 8px 12px; border-radius: 12px; background: var(--mat-sys-surface-container-low); }
    ol { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 6px; }
    .who { font-weight: 500; color: var(--mat-sys-on-surface); }
    .text { white-space: pre-wrap; overflow-wrap: anywhere; max-height: 12em; overflow: auto; }
    .problem { color: var(--mat-sys-error); }
    p { margin: 0 0 6px; }
  `,
})
export class MessageUsage {
  private readonly api = inject(Api);
  readonly message = input.required<Message>();
  readonly sessionId = input.required<string>();

  protected readonly open = signal(false);
  protected readonly view = signal<MessageContextView | null>(null);
  protected readonly problem = signal<string | null>(null);
  protected readonly line = computed(() => usageLine(this.message()));

  protected roleLabel(role: keyof typeof ROLE_LABELS): string {
    return ROLE_LABELS[role];
  }

  protected toggle(): void {
    this.open.update((open) => !open);
    if (this.open() && !this.view()) void this.load();
  }

  private async load(): Promise<void> {
    this.problem.set(null);
    try {
      this.view.set(await this.api.invoke(getMessageContext, { id: this.sessionId(), message_id: this.message().id }));
    } catch (error) {
      this.problem.set(`Could not load what the model saw: ${problemOf(error).message}`);
    }
  }
}
