import { ChangeDetectionStrategy, Component, inject, input } from '@angular/core';
import { Icon } from '../shared/icon';
import { SessionState } from '../state/session-state';
import { SessionListStore } from './session-list-store';

/**
 * Tag and persona filters and the archive switch over a session list; the server filters, so they
 * find sessions beyond the pages loaded. The tag choices (all my tags, with counts) are asked for
 * when the person reaches for the tag select. Native selects keep the side panel light.
 */
@Component({
  selector: 'nono-session-filters',
  imports: [Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="filters" role="group" aria-label="Filter sessions">
      <select
        class="tag"
        [id]="idPrefix() + '-tag'"
        aria-label="Filter by tag"
        (focus)="store.loadTags()"
        (pointerenter)="store.loadTags()"
        (change)="store.setFilter({ tag: $any($event.target).value || null })"
      >
        <option value="" [selected]="store.filter().tag === null">All tags</option>
        @for (option of store.tagOptions(); track option.tag) {
          <option [value]="option.tag" [selected]="store.filter().tag === option.tag">#{{ option.tag }}{{ option.count === null ? '' : ' (' + option.count + ')' }}</option>
        }
      </select>
      <select
        class="persona"
        [id]="idPrefix() + '-persona'"
        aria-label="Filter by persona"
        (change)="store.setFilter({ persona: $any($event.target).value || null })"
      >
        <option value="" [selected]="store.filter().persona === null">All personas</option>
        @for (persona of state.personas(); track persona.key) {
          <option [value]="persona.key" [selected]="store.filter().persona === persona.key">{{ persona.name }}</option>
        }
      </select>
      <button
        type="button"
        class="archive"
        [class.on]="store.filter().archived"
        [attr.aria-pressed]="store.filter().archived"
        (click)="store.setFilter({ archived: !store.filter().archived })"
        [title]="store.filter().archived ? 'Showing archived sessions: click for the others' : 'Show archived sessions'"
      >
        <nono-icon name="archive" /> Archived
      </button>
      @if (store.filtered()) {
        <button type="button" class="clear" (click)="store.setFilter({ tag: null, persona: null, archived: false })" aria-label="Clear filters" title="Clear filters">
          <nono-icon name="close" />
        </button>
      }
    </div>
  `,
  styles: `
    .filters { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; }
    select, button {
      font: inherit; font-size: 0.8125rem; height: 30px; border-radius: 8px;
      border: 1px solid var(--mat-sys-outline-variant);
      background: var(--mat-sys-surface); color: var(--mat-sys-on-surface);
    }
    select { min-width: 0; flex: 1 1 60px; max-width: 180px; padding: 0 4px; }
    button { flex: none; display: inline-flex; align-items: center; gap: 4px; padding: 0 6px; cursor: pointer; }
    button nono-icon { width: 18px; height: 18px; }
    .archive.on { background: var(--mat-sys-secondary-container); color: var(--mat-sys-on-secondary-container); border-color: transparent; }
    .clear { padding: 0 4px; }
  `,
})
export class SessionFilters {
  /** Keeps ids unique when two lists show at once (side panel and dialog). */
  readonly idPrefix = input('filter');
  protected readonly store = inject(SessionListStore);
  protected readonly state = inject(SessionState);
}
