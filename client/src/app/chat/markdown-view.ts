import { ChangeDetectionStrategy, Component, DestroyRef, ElementRef, afterNextRender, effect, inject, input, signal } from '@angular/core';
import { renderMarkdown, renderMarkdownCached } from './markdown';
import { whenIdle } from '../core/idle';
import { whenNearView } from './near-view';

let highlighter: Promise<typeof import('./highlight')> | null = null;

/** highlight.js loads on the first code block, off the path to the first paint, and colours once the page is idle. */
function colourCode(root: HTMLElement): void {
  if (!root.querySelector('pre[data-language]')) return;
  // When the browser has a moment: colouring code never competes with painting the conversation.
  whenIdle(() => {
    highlighter ??= import('./highlight');
    void highlighter.then((module) => module.highlightCodeBlocks(root));
  });
}

/**
 * Shows sanitized markdown. While an answer streams (`live`), renders at most once per frame.
 * Code is coloured once highlight.js has loaded. `lazy` messages show their plain text until they come near the visible part of the conversation,
 * so opening a long history renders only what is on screen. Every code block gets a copy button
 * (added after sanitizing, so it is ours, not the model's).
 */
@Component({
  selector: 'nono-markdown',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: '',
  host: { class: 'markdown', '[class.pending]': '!rendered()', '(click)': 'onClick($event)' },
  styleUrl: './markdown-view.scss',
})
export class MarkdownView {
  readonly text = input.required<string>();
  readonly live = input(false);
  readonly lazy = input(false);

  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef).nativeElement;
  private readonly near = signal(false);
  protected readonly rendered = signal(false);
  private frame = 0;
  private cancelWatch: (() => void) | null = null;

  constructor() {
    effect(() => {
      const text = this.text();
      if (this.live()) return this.paintSoon();
      if (this.lazy() && !this.near() && !this.rendered()) {
        this.host.textContent = text;
        return;
      }
      cancelAnimationFrame(this.frame);
      this.frame = 0;
      this.paint(renderMarkdownCached(text));
    });
    afterNextRender(() => {
      const root = this.host.closest('.scroller');
      if (this.rendered()) return;
      if (!root) this.near.set(true);
      else this.cancelWatch = whenNearView(root, this.host, () => this.near.set(true));
    });
    inject(DestroyRef).onDestroy(() => {
      cancelAnimationFrame(this.frame);
      this.cancelWatch?.();
    });
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

  private paintSoon(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.paint(renderMarkdown(this.text()));
    });
  }

  private paint(html: string): void {
    this.host.innerHTML = html;
    this.rendered.set(true);
    this.cancelWatch?.();
    this.cancelWatch = null;
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
    colourCode(this.host);
  }

  private flash(button: HTMLButtonElement, label: string): void {
    button.textContent = label;
    setTimeout(() => (button.textContent = 'Copy'), 1500);
  }
}
