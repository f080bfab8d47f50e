import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { HarnessLoader } from '@angular/cdk/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MatButtonHarness } from '@angular/material/button/testing';
import { MatDialog } from '@angular/material/dialog';
import { MatDialogHarness } from '@angular/material/dialog/testing';
import { Session } from '../core/api-types';
import { SessionState } from '../state/session-state';
import { aSession } from '../testing/fixtures';
import { nextRequest, settle } from '../testing/http';
import { PERSONAS, setUpDialogTest } from '../testing/test-setup';
import { SessionsDialog, SessionsDialogResult, describeBulk } from './sessions-dialog';

/** SessionState with just what the dialog reads; the list's own calls go to the HTTP mock. */
class FakeSessionState {
  currentId = () => 's_current';
  personas = () => PERSONAS;
  personaName = (key: string) => PERSONAS.find((p) => p.key === key)?.name ?? key;
  sessionUpdated = vi.fn();
  sessionDeleted = vi.fn(async () => undefined);
}

describe('SessionsDialog', () => {
  let loader: HarnessLoader;
  let fixture: ComponentFixture<unknown>;
  let http: HttpTestingController;
  let state: FakeSessionState;
  let result: SessionsDialogResult | undefined | 'open';
  const current = aSession({ session_id: 's_current', display_name: 'Test Session', message_count: 4 });
  const other = aSession({ session_id: 's_other', display_name: 'Trip planning', persona: 'technical_support', message_count: 1 });

  async function open(sessions: Session[] = [current, other], nextCursor: string | null = null): Promise<MatDialogHarness> {
    result = 'open';
    TestBed.inject(MatDialog)
      .open<SessionsDialog, void, SessionsDialogResult>(SessionsDialog, { autoFocus: false, height: '600px' })
      .afterClosed()
      .subscribe((value) => (result = value));
    (await nextRequest(http, 'GET', '/api/sessions')).flush({ sessions, count: sessions.length, next_cursor: nextCursor });
    await settle();
    await fixture.whenStable();
    return loader.getHarness(MatDialogHarness);
  }

  function rows(): HTMLElement[] {
    return Array.from(document.querySelectorAll<HTMLElement>('nono-session-row'));
  }

  function row(name: string): HTMLElement {
    const found = rows().find((r) => r.textContent?.includes(name));
    if (!found) throw new Error(`No row for ${name}`);
    return found;
  }

  function button(within: HTMLElement, label: string): HTMLButtonElement {
    const found = Array.from(within.querySelectorAll('button')).find(
      (b) => b.getAttribute('aria-label') === label || b.textContent?.trim() === label,
    );
    if (!found) throw new Error(`No button ${label}`);
    return found;
  }

  beforeEach(() => {
    state = new FakeSessionState();
    ({ loader, fixture } = setUpDialogTest([
      provideHttpClient(),
      provideHttpClientTesting(),
      { provide: SessionState, useValue: state },
    ]));
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => {
    TestBed.inject(MatDialog).closeAll();
    http.verify();
  });

  it('lists my sessions with persona, times, message count and expiry, the current one highlighted', async () => {
    const dialog = await open();
    expect(await dialog.getTitleText()).toBe('Sessions');
    expect(rows()).toHaveLength(2);
    const first = row('Test Session');
    expect(first.classList).toContain('current');
    expect(first.querySelector('[aria-current="true"]')).not.toBeNull();
    expect(first.textContent).toContain('Default Assistant');
    expect(first.textContent).toContain('4 messages');
    expect(first.textContent).toContain('created just now');
    expect(first.textContent).toContain('expires in 1 h');
    expect(first.querySelector('[title]')?.getAttribute('title')).toBeTruthy();
    expect(row('Trip planning').classList).not.toContain('current');
    expect(row('Trip planning').textContent).toContain('Technical Support');
  });

  it('closes with the id of the session clicked', async () => {
    await open();
    row('Trip planning').querySelector<HTMLButtonElement>('button.open')!.click();
    await fixture.whenStable();
    expect(result).toBe('s_other');
  });

  it('searches all my sessions on the server and closes with the result chosen', async () => {
    await open();
    const box = document.querySelector<HTMLInputElement>('nono-session-search input[type="search"]')!;
    box.value = 'quince';
    box.dispatchEvent(new Event('input'));
    // Past the search box's debounce.
    await new Promise((resolve) => setTimeout(resolve, 260));
    const search = await nextRequest(http, 'GET', '/api/search');
    expect(search.request.params.get('q')).toBe('quince');
    search.flush({ results: [{ session_id: 's_far', title: 'Orchard', message_id: 'm_9', snippet: 'the <mark>quince</mark> tree' }], next_cursor: null });
    await settle();
    await fixture.whenStable();
    document.querySelector<HTMLAnchorElement>('nono-session-search a.result')!.click();
    await fixture.whenStable();
    expect(result).toEqual({ sessionId: 's_far', messageId: 'm_9' });
  });

  it('pins a session in place', async () => {
    await open();
    button(row('Trip planning'), 'Pin Trip planning').click();
    const patch = await nextRequest(http, 'PATCH', '/api/sessions/s_other');
    expect(patch.request.body).toEqual({ pinned: true });
    const pinned = { ...other, pinned: true, expires_at: null };
    patch.flush(pinned);
    await settle();
    await fixture.whenStable();
    expect(row('Trip planning').textContent).toContain('pinned, never expires');
    expect(button(row('Trip planning'), 'Unpin Trip planning').getAttribute('aria-pressed')).toBe('true');
    expect(state.sessionUpdated).toHaveBeenCalledWith(pinned);
  });

  it('renames a session in place; Enter saves', async () => {
    await open();
    button(row('Trip planning'), 'Rename Trip planning').click();
    await fixture.whenStable();
    const input = document.querySelector<HTMLInputElement>('.rename-input')!;
    input.value = 'Holiday';
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    const patch = await nextRequest(http, 'PATCH', '/api/sessions/s_other');
    expect(patch.request.body).toEqual({ display_name: 'Holiday' });
    patch.flush({ ...other, display_name: 'Holiday' });
    await settle();
    await fixture.whenStable();
    expect(document.querySelector('.rename-input')).toBeNull();
    expect(row('Holiday')).toBeTruthy();
  });

  it('asks before deleting, then removes the row', async () => {
    const dialog = await open();
    button(row('Trip planning'), 'Delete Trip planning').click();
    await fixture.whenStable();
    expect(row('Trip planning').textContent).toContain('Delete “Trip planning” and its 1 message?');
    await (await dialog.getHarness(MatButtonHarness.with({ text: 'Delete' }))).click();
    (await nextRequest(http, 'DELETE', '/api/sessions/s_other')).flush(null, { status: 204, statusText: 'No Content' });
    await settle();
    await fixture.whenStable();
    expect(rows()).toHaveLength(1);
    expect(state.sessionDeleted).toHaveBeenCalledWith('s_other');
  });

  it('keeps the session when the delete is cancelled', async () => {
    const dialog = await open();
    button(row('Trip planning'), 'Delete Trip planning').click();
    await fixture.whenStable();
    await (await dialog.getHarness(MatButtonHarness.with({ text: 'Cancel' }))).click();
    expect(rows()).toHaveLength(2);
  });

  it('deleting the open session closes the dialog on the session opened instead', async () => {
    const dialog = await open();
    button(row('Test Session'), 'Delete Test Session').click();
    await fixture.whenStable();
    await (await dialog.getHarness(MatButtonHarness.with({ text: 'Delete' }))).click();
    (await nextRequest(http, 'DELETE', '/api/sessions/s_current')).flush(null, { status: 204, statusText: 'No Content' });
    await settle();
    await fixture.whenStable();
    expect(state.sessionDeleted).toHaveBeenCalledWith('s_current');
    expect(result).toBeUndefined();
  });

  it('Esc in rename cancels it and puts focus back on that row\'s Rename button', async () => {
    await open();
    button(row('Trip planning'), 'Rename Trip planning').click();
    await fixture.whenStable();
    const input = document.querySelector<HTMLInputElement>('.rename-input')!;
    expect(document.activeElement).toBe(input);
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await fixture.whenStable();
    await settle();
    expect(document.querySelector('.rename-input')).toBeNull();
    expect(document.activeElement).toBe(button(row('Trip planning'), 'Rename Trip planning'));
    expect(result).toBe('open');
  });

  it('loads the next page with the cursor as the list nears its end', async () => {
    await open([current], 'cursor-2');
    const page = await nextRequest(http, 'GET', '/api/sessions');
    expect(page.request.params.get('cursor')).toBe('cursor-2');
    page.flush({ sessions: [other], count: 1, next_cursor: null });
    await settle();
    await fixture.whenStable();
    expect(rows()).toHaveLength(2);
    expect(document.querySelector('.status')?.textContent).toContain('2 sessions.');
  });
  async function render(): Promise<void> {
    await settle();
    await fixture.whenStable();
  }

  function check(label: string): void {
    const box = document.querySelector<HTMLInputElement>(`input[type="checkbox"][aria-label="${label}"]`);
    if (!box) throw new Error(`No checkbox ${label}`);
    box.checked = true;
    box.dispatchEvent(new Event('change'));
  }

  function bar(): HTMLElement {
    const found = document.querySelector<HTMLElement>('nono-session-bulk-bar');
    if (!found) throw new Error('No bulk bar');
    return found;
  }

  function choose(label: string, value: string): void {
    const select = document.querySelector<HTMLSelectElement>(`mat-dialog-container select[aria-label="${label}"]`)!;
    select.value = value;
    select.dispatchEvent(new Event('change'));
  }

  it('shows tags on the rows and filters by tag and persona on the server', async () => {
    await open([current, { ...other, tags: ['trip', 'family'] }]);
    expect(row('Trip planning').querySelector('nono-tag-chips')?.textContent).toContain('#trip');
    expect(Array.from(document.querySelectorAll<HTMLOptionElement>('select[aria-label="Filter by tag"] option')).map((o) => o.value)).toEqual(['', 'family', 'trip']);
    choose('Filter by tag', 'trip');
    const byTag = await nextRequest(http, 'GET', '/api/sessions');
    expect(byTag.request.params.get('tag')).toBe('trip');
    expect(byTag.request.params.has('archived')).toBe(false);
    byTag.flush({ sessions: [{ ...other, tags: ['trip'] }], count: 1, next_cursor: null });
    await render();
    expect(rows()).toHaveLength(1);
    choose('Filter by persona', 'technical_support');
    const both = await nextRequest(http, 'GET', '/api/sessions');
    expect(both.request.params.get('tag')).toBe('trip');
    expect(both.request.params.get('persona')).toBe('technical_support');
    both.flush({ sessions: [], count: 0, next_cursor: null });
    await render();
    expect(document.querySelector('.status')?.textContent).toContain('No sessions match.');
  });

  it('the tag filter offers all my tags with counts, asked for when the select gets focus', async () => {
    await open([current, { ...other, tags: ['trip'] }]);
    const select = document.querySelector<HTMLSelectElement>('select[aria-label="Filter by tag"]')!;
    select.dispatchEvent(new Event('focus'));
    (await nextRequest(http, 'GET', '/api/tags')).flush({ tags: [{ tag: 'work', count: 12 }, { tag: 'trip', count: 3 }] });
    await render();
    const options = Array.from(select.querySelectorAll('option')).map((o) => [o.value, o.textContent?.trim()]);
    expect(options).toEqual([
      ['', 'All tags'],
      ['work', '#work (12)'],
      ['trip', '#trip (3)'],
    ]);
    choose('Filter by tag', 'work');
    const byTag = await nextRequest(http, 'GET', '/api/sessions');
    expect(byTag.request.params.get('tag')).toBe('work');
    byTag.flush({ sessions: [], count: 0, next_cursor: null });
    await render();
  });

  it('archives a session from its row: it leaves the list; the archive view lists it and unarchives it', async () => {
    await open();
    button(row('Trip planning'), 'Archive Trip planning').click();
    const patch = await nextRequest(http, 'PATCH', '/api/sessions/s_other');
    expect(patch.request.body).toEqual({ archived: true });
    patch.flush({ ...other, archived: true });
    await render();
    expect(rows()).toHaveLength(1);

    button(document.querySelector('nono-session-filters')!, 'Archived').click();
    const archive = await nextRequest(http, 'GET', '/api/sessions');
    expect(archive.request.params.get('archived')).toBe('true');
    archive.flush({ sessions: [{ ...other, archived: true }], count: 1, next_cursor: null });
    await render();
    expect(document.querySelector('[role="list"]')?.getAttribute('aria-label')).toBe('Archived sessions');
    button(row('Trip planning'), 'Unarchive Trip planning').click();
    const back = await nextRequest(http, 'PATCH', '/api/sessions/s_other');
    expect(back.request.body).toEqual({ archived: false });
    back.flush({ ...other, archived: false });
    await render();
    expect(rows()).toHaveLength(0);
  });

  it('archives the selected sessions in one request and names the ones not found', async () => {
    const third = aSession({ session_id: 's_third', display_name: 'Recipes' });
    await open([current, other, third]);
    check('Select Trip planning');
    check('Select Recipes');
    await render();
    expect(bar().getAttribute('aria-label')).toBe('Actions on 2 sessions');
    button(bar(), 'Archive').click();
    const bulk = await nextRequest(http, 'POST', '/api/sessions/bulk');
    expect(bulk.request.body).toEqual({ ids: ['s_other', 's_third'], action: 'archive' });
    bulk.flush({ results: [{ session_id: 's_other', status: 'ok' }, { session_id: 's_third', status: 'not_found' }] });
    await render();
    expect(rows().map((r) => r.querySelector('.name')?.textContent)).toEqual(['Test Session', 'Recipes']);
    expect(document.querySelector('.report')?.textContent).toBe('Archived: 1 session. Not found (deleted or expired meanwhile): s_third.');
    expect(document.querySelector('nono-session-bulk-bar')).toBeNull();
  });

  it('tags the selected sessions with the label typed', async () => {
    await open();
    check('Select Test Session');
    check('Select Trip planning');
    await render();
    const field = bar().querySelector<HTMLInputElement>('input')!;
    field.value = ' Work ';
    field.dispatchEvent(new Event('input'));
    await render();
    button(bar(), 'Tag').click();
    const bulk = await nextRequest(http, 'POST', '/api/sessions/bulk');
    expect(bulk.request.body).toEqual({ ids: ['s_current', 's_other'], action: 'tag', tag: 'work' });
    bulk.flush({ results: [{ session_id: 's_current', status: 'ok' }, { session_id: 's_other', status: 'ok' }] });
    await render();
    expect(row('Trip planning').querySelector('nono-tag-chips')?.textContent).toContain('#work');
    expect(document.querySelector('.report')?.textContent).toBe('Tagged #work: 2 sessions.');
  });

  it('deletes the selected sessions only after a confirmation', async () => {
    await open();
    const all = document.querySelector<HTMLInputElement>('.select-all input')!;
    all.checked = true;
    all.dispatchEvent(new Event('change'));
    await render();
    button(bar(), 'Delete…').click();
    await render();
    expect(bar().textContent).toContain('Delete 2 sessions and all their messages?');
    button(bar(), 'Cancel').click();
    await render();
    http.expectNone('/api/sessions/bulk');
    button(bar(), 'Delete…').click();
    await render();
    button(bar(), 'Delete').click();
    const bulk = await nextRequest(http, 'POST', '/api/sessions/bulk');
    expect(bulk.request.body).toEqual({ ids: ['s_current', 's_other'], action: 'delete' });
    bulk.flush({ results: [{ session_id: 's_current', status: 'ok' }, { session_id: 's_other', status: 'ok' }] });
    await render();
    expect(rows()).toHaveLength(0);
    expect(state.sessionDeleted).toHaveBeenCalledWith('s_current');
  });
});

describe('describeBulk', () => {
  it('says what was done and lists what was not found or refused', () => {
    expect(describeBulk({ action: 'pin' }, { done: 3, notFound: [], refused: [] })).toBe('Pinned: 3 sessions.');
    expect(describeBulk({ action: 'tag', tag: 'x' }, { done: 0, notFound: ['s_a'], refused: ['s_b'] })).toBe(
      'Tagged #x: 0 sessions. Not found (deleted or expired meanwhile): s_a. Not tagged, already at 10 tags: s_b.',
    );
  });
});
