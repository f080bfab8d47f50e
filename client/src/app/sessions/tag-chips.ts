import { ChangeDetectionStrategy, Component, input } from '@angular/core';

/** A session's tags as small chips. */
@Component({
  selector: 'nono-tag-chips',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { class: 'tag-chips', '[attr.aria-label]': 'tags().length ? "Tags: " + tags().join(", ") : null' },
  template: `@for (tag of tags(); track tag) {<span class="chip">#{{ tag }}</span>}`,
  styles: `
    :host { display: inline-flex; gap: 4px; min-width: 0; overflow: hidden; flex-wrap: nowrap; }
    .chip {
      flex: none; font-size: 0.6875rem; line-height: 16px; padding: 0 6px; border-radius: 8px;
      background: var(--mat-sys-tertiary-container); color: var(--mat-sys-on-tertiary-container);
      white-space: nowrap;
    }
  `,
})
export class TagChips {
  readonly tags = input<readonly string[]>([]);
}
