import { ChangeDetectionStrategy, Component, DestroyRef, ElementRef, effect, inject, input } from '@angular/core';
import { renderMarkdown, renderMarkdownCached } from './markdown';

/**
 * Shows sanitized markdown. While an answer streams (`live`), renders at most once per frame; every
 * code block gets a copy button (added after sanitizing, so it is ours, not the model's).
 */
@Component({
  selector: 'nono-markdown',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: '',
  host: { class: 'markdown', '(click)': 'onClick($event)' },
  styleUrl: './markdown-view.scss',
})
export class MarkdownView {
  readonly text = input.required<string>();
  readonly live = input(false);

  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef).nativeElement;
  private frame = 0;

  constructor() {
    effect(() => {
      const text = this.text();
      if (!this.live()) {
        cancelAnimationFrame(this.frame);
        this.frame = 0;
        this.paint(renderMarkdownCached(text));
      } else if (!this.frame) {
        this.frame = requestAnimationFrame(() => {
          this.frame = 0;
          this.paint(renderMarkdown(this.text()));
        });
      }
    });
    inject(DestroyRef).onDestroy(() => cancelAnimationFrame(this.frame));
  }

  protected onClick(event: MouseEvent): void {
    const button = (event.target as HTMLElement | null)?.closest<HTMLButtonElement>('button.copy-code');
    const code = button?.closest('.code-block')?.querySelector('pre code');
    if (!button || !code) return;
    void navigator.clipboard?.writeText(code.textContent ?? '').then(
      () => this.flash(button, 'Copied'),
      () => this.flash(button, 'Copy failed'),
    );
  }

  private paint(html: string): void {
    this.host.innerHTML = html;
    // Each code block sits in a frame holding its language label and copy button, so both stay
    // in place when a long line scrolls the code sideways.
    for (const pre of Array.from(this.host.querySelectorAll('pre'))) {
      const frame = document.createElement('div');
      frame.className = 'code-block';
      const language = pre.getAttribute('data-language');
      if (language) {
        const label = document.createElement('span');
        label.className = 'code-language';
        label.textContent = language;
        frame.append(label);
      }
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'copy-code';
      button.textContent = 'Copy';
      button.setAttribute('aria-label', 'Copy code');
      pre.replaceWith(frame);
      frame.append(button, pre);
    }
  }

  private flash(button: HTMLButtonElement, label: string): void {
    button.textContent = label;
    setTimeout(() => (button.textContent = 'Copy'), 1500);
  }
}
