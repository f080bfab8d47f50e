import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { errorBody, settle } from '../testing/http';
import { SearchHit, SessionSearch } from './session-search';
import { snippetParts } from './snippet';

/** Past the debounce, so the request is sent. */
const pause = () => new Promise((resolve) => setTimeout(resolve, 260));

describe('snippetParts', () => {
  it('keeps the server marks and shows everything else as text', () => {
    expect(snippetParts('The <mark>zebra</mark>fish &lt;b&gt;bold&lt;/b&gt; &amp; more…')).toEqual([
      { text: 'The ', mark: false },
      { text: 'zebra', mark: true },
      { text: 'fish <b>bold</b> & more…', mark: false },
    ]);
  });

  it('never lets other markup through, even if a snippet held some', () => {
    const parts = snippetParts('<img src=x onerror="alert(1)">a<script>alert(2)</script><mark>b<i>c</i></mark>');
    expect(parts).toEqual([
      { text: 'aalert(2)', mark: false },
      { text: 'bc', mark: true },
    ]);
  });
});

describe('SessionSearch', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideZonelessChangeDetection(), provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  async function render() {
    const fixture = TestBed.createComponent(SessionSearch);
    const hits: SearchHit[] = [];
    fixture.componentInstance.hit.subscribe((hit) => hits.push(hit));
    await fixture.whenStable();
    const element = fixture.nativeElement as HTMLElement;
    const box = element.querySelector<HTMLInputElement>('input[type="search"]')!;
    const type = async (value: string) => {
      box.value = value;
      box.dispatchEvent(new Event('input'));
      await fixture.whenStable();
    };
    return { fixture, element, box, type, hits };
  }

  const searches = () => http.match((r) => r.url === '/api/search');

  it('asks once typing pauses, with the last query only, and shows titles and marked snippets', async () => {
    const { fixture, element, type, hits } = await render();
    await type('z');
    await type('ze');
    await type('zeb');
    expect(searches()).toHaveLength(0);
    await pause();
    const [request, ...rest] = searches();
    expect(rest).toHaveLength(0);
    expect(request.request.params.get('q')).toBe('zeb');
    request.flush({ results: [{ session_id: 's_1', title: 'Fish', message_id: 'm_1', snippet: 'a <mark>zeb</mark>ra &lt;i&gt;' }], next_cursor: null });
    await settle();
    await fixture.whenStable();
    const link = element.querySelector<HTMLAnchorElement>('a.result')!;
    expect(link.getAttribute('href')).toBe('/s/s_1');
    expect(link.querySelector('.title')?.textContent).toBe('Fish');
    expect(link.querySelector('mark')?.textContent).toBe('zeb');
    expect(link.querySelector('i')).toBeNull();
    expect(link.querySelector('.snippet')?.textContent).toBe('a zebra <i>');
    link.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true, button: 0 }));
    expect(hits).toEqual([{ sessionId: 's_1', messageId: 'm_1' }]);
  });

  it('cancels the request of an older query when the person types on', async () => {
    const { fixture, element, type } = await render();
    await type('first');
    await pause();
    const [stale] = searches();
    await type('second');
    await pause();
    expect(stale.cancelled).toBe(true);
    const [fresh] = searches();
    expect(fresh.request.params.get('q')).toBe('second');
    fresh.flush({ results: [], next_cursor: null });
    await settle();
    await fixture.whenStable();
    expect(element.textContent).toContain('No session matches “second”.');
  });

  it('pages on with the cursor, and says what went wrong', async () => {
    const { fixture, element, type } = await render();
    await type('tea');
    await pause();
    searches()[0].flush({ results: [{ session_id: 's_1', title: 'One', message_id: null, snippet: '<mark>Tea</mark>' }], next_cursor: 'c2' });
    await settle();
    await fixture.whenStable();
    element.querySelector<HTMLButtonElement>('button.more')!.click();
    const [next] = searches();
    expect(next.request.params.get('cursor')).toBe('c2');
    next.flush({ results: [{ session_id: 's_2', title: 'Two', message_id: 'm_2', snippet: '<mark>tea</mark>pot' }], next_cursor: null });
    await settle();
    await fixture.whenStable();
    expect(Array.from(element.querySelectorAll('.title')).map((t) => t.textContent)).toEqual(['One', 'Two']);

    await type('teap');
    await pause();
    const failed = errorBody(400, 'q must be 1-200 characters');
    searches()[0].flush(failed.body, failed.init);
    await settle();
    await fixture.whenStable();
    expect(element.querySelector('[role="alert"]')?.textContent).toContain('q must be 1-200 characters');
  });

  it('Esc clears a filled box without going further; an empty box asks nothing', async () => {
    const { fixture, element, box, type } = await render();
    await type('abc');
    const escape = new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true });
    box.dispatchEvent(escape);
    await fixture.whenStable();
    expect(escape.defaultPrevented).toBe(true);
    expect(box.value).toBe('');
    await pause();
    expect(searches()).toHaveLength(0);
    expect(element.querySelector('[aria-label="Search results"]')).toBeNull();
  });
});
