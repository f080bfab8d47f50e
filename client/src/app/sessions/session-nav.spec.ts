import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { SessionState } from '../state/session-state';
import { aSession } from '../testing/fixtures';
import { nextRequest, settle } from '../testing/http';
import { PERSONAS } from '../testing/test-setup';
import { SessionNav } from './session-nav';

class FakeSessionState {
  currentId = () => 's_today';
  personas = () => PERSONAS;
  personaName = (key: string) => PERSONAS.find((p) => p.key === key)?.name ?? key;
  sessionUpdated = vi.fn();
  sessionDeleted = vi.fn(async () => undefined);
}

describe('SessionNav', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideZonelessChangeDetection(), provideHttpClient(), provideHttpClientTesting(), { provide: SessionState, useValue: new FakeSessionState() }],
    });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString();

  async function render(nextCursor: string | null = null, extra: ReturnType<typeof aSession>[] = []) {
    const fixture = TestBed.createComponent(SessionNav);
    const opened: string[] = [];
    fixture.componentInstance.open.subscribe((id) => opened.push(id));
    const now = new Date();
    const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
    const sessions = [
      aSession({ session_id: 's_old', display_name: 'Old one', last_activity: new Date(midnight - 30 * 86400_000).toISOString() }),
      aSession({ session_id: 's_today', display_name: 'Open one', last_activity: new Date(Math.max(midnight, Date.now() - 60_000)).toISOString() }),
      aSession({ session_id: 's_yesterday', display_name: 'From yesterday', last_activity: new Date(midnight - 3600_000).toISOString() }),
      aSession({ session_id: 's_week', display_name: 'Earlier this week', last_activity: new Date(midnight - 3 * 86400_000).toISOString() }),
    ];
    sessions.push(...extra);
    (await nextRequest(http, 'GET', '/api/sessions')).flush({ sessions, count: sessions.length, next_cursor: nextCursor });
    await settle();
    await fixture.whenStable();
    return { element: fixture.nativeElement as HTMLElement, opened, fixture };
  }

  it('groups my sessions by day, newest first, and marks the open one', async () => {
    const { element } = await render();
    expect(Array.from(element.querySelectorAll('h2')).map((h) => h.textContent)).toEqual(['Today', 'Yesterday', 'Previous 7 days', 'Older']);
    expect(Array.from(element.querySelectorAll('a .name')).map((a) => a.textContent)).toEqual(['Open one', 'From yesterday', 'Earlier this week', 'Old one']);
    const current = element.querySelector('a[aria-current="page"]')!;
    expect(current.textContent).toContain('Open one');
    expect(current.getAttribute('href')).toBe('/s/s_today');
  });

  it('opens a session on a plain click and leaves ctrl-click to the browser', async () => {
    const { element, opened } = await render();
    const link = Array.from(element.querySelectorAll<HTMLAnchorElement>('a')).find((a) => a.textContent?.includes('Old one'))!;
    const plain = new MouseEvent('click', { bubbles: true, cancelable: true, button: 0 });
    link.dispatchEvent(plain);
    expect(plain.defaultPrevented).toBe(true);
    const withCtrl = new MouseEvent('click', { bubbles: true, cancelable: true, button: 0, ctrlKey: true });
    link.addEventListener('click', (e) => e.preventDefault());
    link.dispatchEvent(withCtrl);
    expect(opened).toEqual(['s_old']);
  });

  it('loads the next page with the cursor', async () => {
    const { element, fixture } = await render('cursor-2');
    element.querySelector<HTMLButtonElement>('button.more')!.click();
    const page = await nextRequest(http, 'GET', '/api/sessions');
    expect(page.request.params.get('cursor')).toBe('cursor-2');
    page.flush({ sessions: [aSession({ session_id: 's_more', display_name: 'More', last_activity: hoursAgo(24 * 60) })], count: 1, next_cursor: null });
    await settle();
    await fixture.whenStable();
    expect(element.textContent).toContain('More');
    expect(element.querySelector('button.more')).toBeNull();
  });
  it('lists pinned sessions first, in their own group, and shows tags', async () => {
    const pinned = aSession({ session_id: 's_pinned', display_name: 'Kept', pinned: true, tags: ['work'], last_activity: hoursAgo(24 * 40) });
    const { element } = await render(null, [pinned]);
    expect(Array.from(element.querySelectorAll('h2')).map((h) => h.textContent)).toEqual(['Pinned', 'Today', 'Yesterday', 'Previous 7 days', 'Older']);
    expect(element.querySelector('a .name')?.textContent).toBe('Kept');
    expect(element.querySelector('a nono-tag-chips')?.textContent).toContain('#work');
  });

  it('shows the archive on the server\'s terms and unarchives from there', async () => {
    const { element, fixture } = await render();
    Array.from(element.querySelectorAll<HTMLButtonElement>('nono-session-filters button')).find((b) => b.textContent?.trim() === 'Archived')!.click();
    const archive = await nextRequest(http, 'GET', '/api/sessions');
    expect(archive.request.params.get('archived')).toBe('true');
    const archived = aSession({ session_id: 's_archived', display_name: 'Put away', archived: true });
    archive.flush({ sessions: [archived], count: 1, next_cursor: null });
    await settle();
    await fixture.whenStable();
    expect(element.querySelector('nav')?.getAttribute('aria-label')).toBe('Archived sessions');
    expect(Array.from(element.querySelectorAll('a .name')).map((a) => a.textContent)).toEqual(['Put away']);
    element.querySelector<HTMLButtonElement>('button[aria-label="Unarchive Put away"]')!.click();
    const patch = await nextRequest(http, 'PATCH', '/api/sessions/s_archived');
    expect(patch.request.body).toEqual({ archived: false });
    patch.flush({ ...archived, archived: false });
    await settle();
    await fixture.whenStable();
    expect(element.querySelectorAll('a').length).toBe(0);
    expect(element.querySelector('.empty')?.textContent).toBe('No archived sessions.');
  });

  it('filters by tag on the server', async () => {
    const tagged = aSession({ session_id: 's_tagged', display_name: 'Tagged', tags: ['work'] });
    const { element, fixture } = await render(null, [tagged]);
    const select = element.querySelector<HTMLSelectElement>('select[aria-label="Filter by tag"]')!;
    select.value = 'work';
    select.dispatchEvent(new Event('change'));
    const filtered = await nextRequest(http, 'GET', '/api/sessions');
    expect(filtered.request.params.get('tag')).toBe('work');
    filtered.flush({ sessions: [tagged], count: 1, next_cursor: null });
    await settle();
    await fixture.whenStable();
    expect(Array.from(element.querySelectorAll('a .name')).map((a) => a.textContent)).toEqual(['Tagged']);
  });
});
