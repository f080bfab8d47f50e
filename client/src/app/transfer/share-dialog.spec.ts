import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Clipboard } from '@angular/cdk/clipboard';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import type { ShareDto } from '../api/models/share-dto';
import { nextRequest, settle } from '../testing/http';
import { setUpDialogTest } from '../testing/test-setup';
import { ShareDialog, ShareDialogData } from './share-dialog';

const SHARE: ShareDto = {
  share_id: 'sh_abc',
  session_id: 's_1',
  title: 'Tides',
  url: 'http://localhost/shared/sh_abc',
  created_at: '2026-11-01T10:00:00.000Z',
  expires_at: null,
  message_count: 2,
};
const OTHER: ShareDto = { ...SHARE, share_id: 'sh_other', session_id: 's_2', title: 'Other', url: 'http://localhost/shared/sh_other' };

describe('ShareDialog', () => {
  let fixture: ComponentFixture<unknown>;
  let http: HttpTestingController;

  async function open(data: ShareDialogData, shares: ShareDto[]): Promise<void> {
    TestBed.inject(MatDialog).open(ShareDialog, { data, autoFocus: false });
    (await nextRequest(http, 'GET', '/api/shares')).flush({ shares });
    await settle();
    await fixture.whenStable();
  }

  const root = () => document.querySelector('nono-share-dialog') as HTMLElement;
  const button = (label: string) =>
    Array.from(root().querySelectorAll('button')).find((b) => (b.getAttribute('aria-label') ?? b.textContent ?? '').trim().startsWith(label)) as HTMLButtonElement;

  beforeEach(() => {
    ({ fixture } = setUpDialogTest([provideHttpClient(), provideHttpClientTesting()]));
    http = TestBed.inject(HttpTestingController);
  });
  afterEach(() => http.verify());

  it('shows only the links of the session it was opened for, and all of them from the account', async () => {
    await open({ session: { session_id: 's_1', display_name: 'Tides' } }, [SHARE, OTHER]);
    expect(root().querySelectorAll('li.link').length).toBe(1);
    expect(root().textContent).toContain('never expires');
    TestBed.inject(MatDialog).closeAll();
    await fixture.whenStable();
    await open({}, [SHARE, OTHER]);
    expect(document.querySelectorAll('nono-share-dialog li.link').length).toBe(2);
  });

  it('creates a link with the chosen expiry and copies it', async () => {
    const copy = vi.spyOn(TestBed.inject(Clipboard), 'copy').mockReturnValue(true);
    await open({ session: { session_id: 's_1', display_name: 'Tides' } }, []);
    const select = root().querySelector('select') as HTMLSelectElement;
    select.value = '2';
    select.dispatchEvent(new Event('change'));
    button('Create link').click();
    const create = await nextRequest(http, 'POST', '/api/sessions/s_1/shares');
    expect(create.request.body).toEqual({ expires_in_seconds: 30 * 86400 });
    create.flush({ ...SHARE, expires_at: '2026-12-01T10:00:00.000Z' });
    await settle();
    await fixture.whenStable();
    expect((root().querySelector('input.url') as HTMLInputElement).value).toBe(SHARE.url);
    expect(copy).toHaveBeenCalledWith(SHARE.url);
  });

  it('sends no expiry for "Never" and revokes a link at once', async () => {
    await open({ session: { session_id: 's_1', display_name: 'Tides' } }, []);
    const select = root().querySelector('select') as HTMLSelectElement;
    select.value = '3';
    select.dispatchEvent(new Event('change'));
    button('Create link').click();
    const create = await nextRequest(http, 'POST', '/api/sessions/s_1/shares');
    expect(create.request.body).toEqual({});
    create.flush(SHARE);
    await settle();
    await fixture.whenStable();
    button('Revoke link').click();
    (await nextRequest(http, 'DELETE', '/api/shares/sh_abc')).flush(null, { status: 204, statusText: 'No Content' });
    await settle();
    await fixture.whenStable();
    expect(root().querySelectorAll('li.link').length).toBe(0);
    expect(root().textContent).toContain('Link revoked');
  });
});
