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
import { SessionsDialog, SessionsDialogResult } from './sessions-dialog';

/** SessionState with just what the dialog reads; the list's own calls go to the HTTP mock. */
class FakeSessionState {
  currentId = () => 's_current';
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
});
