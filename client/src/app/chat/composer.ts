import { ChangeDetectionStrategy, Component, ElementRef, afterRenderEffect, input, output, signal, viewChild } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { Icon } from '../shared/icon';

/**
 * The box grows with its text through CSS `field-sizing: content` (no measuring, so no forced
 * layout while the page first renders). Browsers without it get the classic scrollHeight fit.
 */
const CSS_SIZING = typeof CSS !== 'undefined' && CSS.supports?.('field-sizing', 'content');

function fitHeight(box: HTMLTextAreaElement): void {
  if (CSS_SIZING) return;
  box.style.height = 'auto';
  box.style.height = `${box.scrollHeight}px`;
}

/** Where a message is written: Enter sends, Shift+Enter adds a line; Stop replaces Send while an answer streams. */
@Component({
  selector: 'nono-composer',
  imports: [MatButtonModule, Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <form class="composer" (submit)="$event.preventDefault(); submit()">
      <label class="visually-hidden" for="message-input">Message</label>
      <textarea
        id="message-input"
        #box
        rows="1"
        placeholder="Write a message…"
        aria-describedby="composer-hint"
        [disabled]="disabled()"
        [value]="text()"
        (input)="onInput($any($event.target))"
        (keydown.enter)="onEnter($any($event))"
      ></textarea>
      @if (streaming()) {
        <button #stopButton mat-flat-button type="button" class="stop" (click)="onStop()" (focus)="refocus = true" aria-label="Stop the answer">
          <nono-icon name="stop" /> Stop
        </button>
      } @else {
        <button mat-flat-button type="submit" [disabled]="disabled() || !text().trim()" aria-label="Send message">
          <nono-icon name="send" /> Send
        </button>
      }
    </form>
    <p class="hint" id="composer-hint">Enter sends · Shift+Enter adds a line</p>
  `,
  styleUrl: './composer.scss',
})
export class Composer {
  readonly streaming = input(false);
  readonly disabled = input(false);
  readonly send = output<string>();
  readonly stop = output<void>();

  protected readonly text = signal('');
  private readonly box = viewChild.required<ElementRef<HTMLTextAreaElement>>('box');
  private readonly stopButton = viewChild('stopButton', { read: ElementRef<HTMLButtonElement> });
  /** Stop was pressed, or had focus when the answer ended: the message box takes focus when Send is back. */
  protected refocus = false;

  constructor() {
    afterRenderEffect({
      read: () => {
        // Stop is removed when the answer ends, taking the focus with it.
        if (!this.stopButton() && !this.streaming() && this.refocus) {
          this.refocus = false;
          // Unless the person has moved on to another control meanwhile.
          const active = document.activeElement;
          if (!active || active === document.body) this.focus();
        }
      },
    });
  }

  protected onStop(): void {
    this.refocus = true;
    this.stop.emit();
  }

  focus(): void {
    this.box().nativeElement.focus();
  }

  protected onInput(box: HTMLTextAreaElement): void {
    this.text.set(box.value);
    fitHeight(box);
  }

  protected onEnter(event: KeyboardEvent): void {
    // Shift+Enter is a new line; Enter while an IME composes a word confirms the word.
    if (event.shiftKey || event.isComposing) return;
    event.preventDefault();
    this.submit();
  }

  protected submit(): void {
    const text = this.text().trim();
    if (!text || this.streaming() || this.disabled()) return;
    this.send.emit(text);
    this.text.set('');
    this.box().nativeElement.value = '';
    fitHeight(this.box().nativeElement);
  }
}
