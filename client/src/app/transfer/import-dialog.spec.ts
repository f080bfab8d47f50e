import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import type { ImportReportDto } from '../api/models/import-report-dto';
import { STORAGE_KEYS } from '../core/browser-storage';
import { settle } from '../testing/http';
import { PERSONAS, setUpDialogTest } from '../testing/test-setup';
import { ImportDialog, ImportDialogData, ImportDialogResult } from './import-dialog';

/** Stands in for XMLHttpRequest: records the request and lets the test drive upload progress and the answer. */
class FakeXhr {
  static last: FakeXhr | null = null;
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: unknown = null;
  status = 0;
  responseText = '';
  readonly upload: { onprogress: ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null; onload: (() => void) | null } = {
    onprogress: null,
    onload: null,
  };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  constructor() {
    FakeXhr.last = this;
  }
  open(method: string, url: string): void {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value;
  }
  send(body: unknown): void {
    this.body = body;
  }
  abort(): void {
    this.onabort?.();
  }
  respond(status: number, body: unknown): void {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }
}

const REPORT: ImportReportDto = {
  format: 'chatgpt',
  imported: 1,
  skipped: 1,
  messages: 4,
  unlisted: 0,
  conversations: [
    { position: 0, title: 'Reverse a list', source: 'chatgpt', outcome: 'imported', session_id: 's_new', messages: 4, omitted: 1, reason: null },
    { position: 1, title: 'Translations', source: 'chatgpt', outcome: 'skipped', session_id: 's_old', messages: 0, omitted: 0, reason: 'imported before' },
  ],
};

describe('ImportDialog', () => {
  let fixture: ComponentFixture<unknown>;
  let closed: ImportDialogResult | undefined | null;

  const root = () => document.querySelector('nono-import-dialog') as HTMLElement;
  const button = (label: string) =>
    Array.from(root().querySelectorAll('button')).find((b) => (b.getAttribute('aria-label') ?? b.textContent ?? '').trim() === label) as HTMLButtonElement;

  async function open(): Promise<void> {
    closed = null;
    const data: ImportDialogData = { personas: PERSONAS, defaultPersona: 'default' };
    TestBed.inject(MatDialog)
      .open(ImportDialog, { data, autoFocus: false })
      .afterClosed()
      .subscribe((result) => (closed = result));
    await fixture.whenStable();
  }

  async function pick(name: string): Promise<void> {
    const input = root().querySelector('input[type=file]') as HTMLInputElement;
    const file = new File(['[]'], name, { type: 'application/json' });
    Object.defineProperty(input, 'files', { value: [file], configurable: true });
    input.dispatchEvent(new Event('change'));
    await fixture.whenStable();
  }

  beforeEach(() => {
    localStorage.setItem(STORAGE_KEYS.identity, JSON.stringify({ user_id: 'u_me', token: 'tok-me' }));
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
    ({ fixture } = setUpDialogTest());
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    localStorage.clear();
  });

  it('uploads the file with my token and the chosen persona, shows progress, then the report', async () => {
    await open();
    expect(button('Import').disabled).toBe(true);
    await pick('conversations.json');
    const select = root().querySelector('select') as HTMLSelectElement;
    select.value = 'technical_support';
    select.dispatchEvent(new Event('change'));
    button('Import').click();
    await fixture.whenStable();
    const xhr = FakeXhr.last!;
    expect(xhr.method).toBe('POST');
    expect(xhr.url).toBe('/api/import?persona=technical_support');
    expect(xhr.headers['Authorization']).toBe('Bearer tok-me');
    expect(xhr.headers['Content-Type']).toBe('application/octet-stream');

    xhr.upload.onprogress!({ lengthComputable: true, loaded: 40, total: 100 });
    await fixture.whenStable();
    expect(root().textContent).toContain('Uploading… 40%');
    xhr.upload.onprogress!({ lengthComputable: true, loaded: 100, total: 100 });
    await fixture.whenStable();
    expect(root().textContent).toContain('Reading the conversations');

    xhr.respond(200, REPORT);
    await settle();
    await fixture.whenStable();
    const text = root().textContent ?? '';
    expect(text).toContain('Imported 1 conversation, skipped 1');
    expect(text).toContain('Skipped: imported before');
    expect(text).toContain('1 part left out');
    expect(root().querySelectorAll('tbody tr').length).toBe(2);
    expect(text).not.toContain('not listed');

    button('Open Reverse a list').click();
    await settle();
    expect(closed).toEqual({ open: 's_new', imported: 1 });
    // The first test of the file also pays for setting up Material on a loaded machine.
  }, 20_000);

  it('says how many conversations a large report leaves unlisted', async () => {
    await open();
    await pick('conversations.json');
    button('Import').click();
    await fixture.whenStable();
    FakeXhr.last!.respond(200, { ...REPORT, imported: 301, unlisted: 300 });
    await settle();
    await fixture.whenStable();
    expect(root().textContent).toContain('300 more conversations not listed');
  });

  it('says why nothing was imported when the server refuses the file, and lets me try again', async () => {
    await open();
    await pick('broken.json');
    button('Import').click();
    await fixture.whenStable();
    FakeXhr.last!.respond(400, { statusCode: 400, message: 'Line 1: not JSON' });
    await settle();
    await fixture.whenStable();
    expect(root().querySelector('[role=alert]')?.textContent).toContain('Nothing was imported: Line 1: not JSON');
    expect(button('Import').disabled).toBe(false);
  });
});
