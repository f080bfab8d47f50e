import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { HarnessLoader } from '@angular/cdk/testing';
import { Clipboard } from '@angular/cdk/clipboard';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MatButtonHarness } from '@angular/material/button/testing';
import { MatDialog } from '@angular/material/dialog';
import { MatDialogHarness } from '@angular/material/dialog/testing';
import { MatInputHarness } from '@angular/material/input/testing';
import { ApiToken } from '../core/api-types';
import { nextRequest, settle } from '../testing/http';
import { setUpDialogTest } from '../testing/test-setup';
import { ApiTokensDialog } from './api-tokens-dialog';

const LAPTOP: ApiToken = { id: 't_laptop', name: 'laptop script', created_at: '2026-11-01T10:00:00.000Z', last_used_at: null, expires_at: null };

describe('ApiTokensDialog', () => {
  let loader: HarnessLoader;
  let fixture: ComponentFixture<unknown>;
  let http: HttpTestingController;

  async function open(tokens: ApiToken[]): Promise<MatDialogHarness> {
    TestBed.inject(MatDialog).open(ApiTokensDialog, { autoFocus: false });
    (await nextRequest(http, 'GET', '/api/tokens')).flush({ tokens });
    await settle();
    await fixture.whenStable();
    return loader.getHarness(MatDialogHarness);
  }

  function text(): string {
    return document.querySelector('nono-api-tokens-dialog')?.textContent ?? '';
  }

  beforeEach(() => {
    ({ fixture, loader } = setUpDialogTest([provideHttpClient(), provideHttpClientTesting()]));
    http = TestBed.inject(HttpTestingController);
  });
  afterEach(() => http.verify());

  it('lists my tokens with when they were created, last used and expire', async () => {
    await open([LAPTOP, { ...LAPTOP, id: 't_ci', name: 'CI', last_used_at: new Date().toISOString(), expires_at: new Date(Date.now() + 3 * 86400_000).toISOString() }]);
    expect(text()).toContain('laptop script');
    expect(text()).toContain('never used');
    expect(text()).toContain('never expires');
    expect(text()).toContain('last used just now');
    expect(text()).toContain('expires in 3 d');
  });

  it('creates a token and shows its secret once, with a copy button', async () => {
    const copy = vi.spyOn(TestBed.inject(Clipboard), 'copy').mockReturnValue(true);
    const dialog = await open([]);
    await (await dialog.getHarness(MatInputHarness.with({ selector: '[formControlName=name]' }))).setValue('  laptop script ');
    await (await dialog.getHarness(MatInputHarness.with({ selector: '[formControlName=days]' }))).setValue('30');
    await (await dialog.getHarness(MatButtonHarness.with({ text: 'Create token' }))).click();
    const create = await nextRequest(http, 'POST', '/api/tokens');
    expect(create.request.body).toEqual({ name: 'laptop script', expires_in_days: 30 });
    create.flush({ id: 't_laptop', name: 'laptop script', token: 'nono_secret_123', created_at: LAPTOP.created_at, expires_at: null });
    (await nextRequest(http, 'GET', '/api/tokens')).flush({ tokens: [LAPTOP] });
    await settle();
    await fixture.whenStable();

    expect(document.querySelector('[data-testid=new-token]')?.textContent).toBe('nono_secret_123');
    await (await dialog.getHarness(MatButtonHarness.with({ text: /Copy/ }))).click();
    expect(copy).toHaveBeenCalledWith('nono_secret_123');
    expect(await (await dialog.getHarness(MatButtonHarness.with({ text: /Copied/ }))).getText()).toContain('Copied');

    await dialog.close();
    await fixture.whenStable();
    await open([LAPTOP]);
    expect(text()).toContain('laptop script');
    expect(text()).not.toContain('nono_secret_123');
  });

  it('revokes a token only after the confirmation', async () => {
    const dialog = await open([LAPTOP]);
    await (await dialog.getHarness(MatButtonHarness.with({ selector: '[aria-label="Revoke laptop script"]' }))).click();
    await (await dialog.getHarness(MatButtonHarness.with({ text: 'Cancel' }))).click();
    expect(http.match((r) => r.method === 'DELETE')).toEqual([]);

    await (await dialog.getHarness(MatButtonHarness.with({ selector: '[aria-label="Revoke laptop script"]' }))).click();
    expect(text()).toContain('Programs using it stop working at once');
    await (await dialog.getHarness(MatButtonHarness.with({ text: 'Revoke' }))).click();
    (await nextRequest(http, 'DELETE', '/api/tokens/t_laptop')).flush(null, { status: 204, statusText: 'No Content' });
    (await nextRequest(http, 'GET', '/api/tokens')).flush({ tokens: [] });
    await settle();
    await fixture.whenStable();
    expect(text()).toContain('No API tokens yet.');
  });
});
