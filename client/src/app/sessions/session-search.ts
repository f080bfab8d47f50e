import { HttpClient } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, DestroyRef, inject, input, output, signal } from '@angular/core';
import { Subject, catchError, debounceTime, distinctUntilChanged, map, of, switchMap, tap } from 'rxjs';
import { ApiConfiguration } from '../api/api-configuration';
import { searchSessions } from '../api/fn/search/search-sessions';
import { SearchResultDto } from '../api/models/search-result-dto';
import { problemOf } from '../core/api-error';
import { sessionPath } from '../core/session-url';
import { SnippetPart, snippetParts } from './snippet';

/** Typing pauses this long before the server is asked. */
const DEBOUNCE_MS = 200;
const RESULTS_PER_PAGE = 20;

/** Where a search result leads: the session, and the message to jump to (null: the title matched). */
export interface SearchHit {
  sessionId: string;
  messageId: string | null;
}

interface Result extends SearchResultDto {
  parts: SnippetPart[];
}

type Outcome = { query: string; results: Result[]; next: string | null; problem: string | null };

/**
 * Full-text search of my sessions as I type: the server is asked once typing pauses, and an
 * answer to an older query is dropped (its request is cancelled). Results show the session's
 * title and a snippet with the matched words marked; choosing one opens it at that message.
 */
@Component({
  selector: 'nono-session-search',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="box" role="search">
      <label class="visually-hidden" [for]="inputId()">Search sessions</label>
      <input
        #box
        [id]="inputId()"
        type="search"
        class="query"
        placeholder="Search sessions"
        autocomplete="off"
        [value]="query()"
        (input)="type(box.value)"
        (keydown.escape)="clearOnEscape($event, box)"
      />
    </div>
    @if (query().trim()) {
      <div class="results" role="region" aria-label="Search results">
        @if (searching()) {
          <p class="status" role="status">Searching…</p>
        } @else if (problem(); as problem) {
          <p class="problem" role="alert">{{ problem }}</p>
        } @else if (results().length === 0) {
          <p class="status" role="status">No session matches “{{ query().trim() }}”.</p>
        }
        <ul>
          @for (result of results(); track result.session_id + (result.message_id ?? '')) {
            <li>
              <a class="result" [href]="path(result)" (click)="choose($event, result)">
                <span class="title">{{ result.title }}</span>
                <span class="snippet">@for (part of result.parts; track $index) {@if (part.mark) {<mark>{{ part.text }}</mark>} @else {<span>{{ part.text }}</span>}}</span>
              </a>
            </li>
          }
        </ul>
        @if (next() && !searching()) {
          <button type="button" class="more" (click)="more()">More results</button>
        }
      </div>
    }
  `,
  styles: `
    :host { display: block; }
    .box { padding: 8px 8px 4px; }
    .query {
      width: 100%; box-sizing: border-box; padding: 8px 12px; border-radius: 20px; font: inherit; font-size: 0.875rem;
      border: 1px solid var(--mat-sys-outline-variant); background: var(--mat-sys-surface-container-high); color: inherit;
    }
    .query:focus-visible { outline: 2px solid var(--mat-sys-primary); outline-offset: -1px; }
    ul { list-style: none; margin: 0; padding: 0 8px; }
    .result { display: flex; flex-direction: column; gap: 2px; padding: 8px 10px; border-radius: 10px; color: inherit; text-decoration: none; }
    .result:hover { background: color-mix(in srgb, var(--mat-sys-on-surface) 6%, transparent); }
    .result:focus-visible { outline: 2px solid var(--mat-sys-primary); outline-offset: -2px; }
    .title { font-size: 0.875rem; font-weight: 500; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    .snippet { font-size: 0.8125rem; color: var(--mat-sys-on-surface-variant); overflow-wrap: anywhere; }
    mark { background: color-mix(in srgb, var(--mat-sys-primary) 28%, transparent); color: inherit; border-radius: 3px; padding: 0 1px; }
    .status, .problem { margin: 4px 16px; font-size: 0.8125rem; color: var(--mat-sys-on-surface-variant); }
    .problem { color: var(--mat-sys-error); }
    .more { margin: 4px 16px; border: none; background: none; padding: 6px 0; color: var(--mat-sys-primary); font: inherit; font-size: 0.8125rem; cursor: pointer; }
  `,
})
export class SessionSearch {
  private readonly http = inject(HttpClient);
  private readonly rootUrl = inject(ApiConfiguration).rootUrl;

  readonly inputId = input('session-search');
  /** A result was chosen (plain click or Enter). */
  readonly hit = output<SearchHit>();
  /** Whether a query is typed (the list under the box makes way for results). */
  readonly active = output<boolean>();

  protected readonly query = signal('');
  protected readonly results = signal<Result[]>([]);
  protected readonly next = signal<string | null>(null);
  protected readonly searching = signal(false);
  protected readonly problem = signal<string | null>(null);
  private readonly queries = new Subject<{ q: string; cursor: string | null }>();

  constructor() {
    const subscription = this.queries
      .pipe(
        distinctUntilChanged((a, b) => a.q === b.q && a.cursor === b.cursor),
        tap(({ q }) => this.searching.set(q.trim() !== '')),
        debounceTime(DEBOUNCE_MS),
        // switchMap unsubscribes from the previous request: the browser cancels it, its answer never shows.
        switchMap(({ q, cursor }) => (q.trim() ? this.search(q, cursor) : of<Outcome>({ query: q, results: [], next: null, problem: null }))),
      )
      .subscribe((outcome) => {
        this.searching.set(false);
        this.problem.set(outcome.problem);
        this.next.set(outcome.next);
        this.results.update((shown) => (outcome.problem ? shown : outcome.results));
      });
    inject(DestroyRef).onDestroy(() => subscription.unsubscribe());
  }

  protected type(value: string): void {
    const wasActive = this.query().trim() !== '';
    this.query.set(value);
    const isActive = value.trim() !== '';
    if (wasActive !== isActive) this.active.emit(isActive);
    if (!isActive) this.results.set([]);
    this.queries.next({ q: value, cursor: null });
  }

  protected more(): void {
    const cursor = this.next();
    if (!cursor) return;
    const shown = this.results();
    this.searching.set(true);
    this.search(this.query(), cursor).subscribe((outcome) => {
      this.searching.set(false);
      this.problem.set(outcome.problem);
      this.next.set(outcome.next);
      if (!outcome.problem) this.results.set([...shown, ...outcome.results]);
    });
  }

  /** Esc in a filled box clears it (and stays in the box); in an empty one it goes on to close the dialog. */
  protected clearOnEscape(event: Event, box: HTMLInputElement): void {
    if (!box.value) return;
    event.stopPropagation();
    event.preventDefault();
    box.value = '';
    this.type('');
  }

  protected path(result: SearchResultDto): string {
    return sessionPath(result.session_id);
  }

  protected choose(event: MouseEvent, result: SearchResultDto): void {
    // Ctrl/Cmd/Shift/middle click: the browser opens the session in another tab or window.
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    this.hit.emit({ sessionId: result.session_id, messageId: result.message_id });
  }

  private search(q: string, cursor: string | null) {
    return searchSessions(this.http, this.rootUrl, { q: q.slice(0, 200), limit: RESULTS_PER_PAGE, ...(cursor ? { cursor } : {}) }).pipe(
      map(
        (response): Outcome => ({
          query: q,
          results: response.body.results.map((r) => ({ ...r, parts: snippetParts(r.snippet) })),
          next: response.body.next_cursor,
          problem: null,
        }),
      ),
      catchError((error: unknown) => of<Outcome>({ query: q, results: [], next: null, problem: problemOf(error).message })),
    );
  }
}
