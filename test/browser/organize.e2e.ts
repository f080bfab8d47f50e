/**
 * Organizing sessions: tags set from the header and used as a filter, the archive (a session leaves
 * the list, shows in the archive view, comes back), pinned sessions first in the side panel, and
 * several sessions archived or deleted at once from the Sessions dialog.
 */
import { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { launchBrowser, newPage, openApp, openSessions, screenshotPath, settleAnimations } from './support/browser';
import { startStack, Stack } from './support/stack';

declare const document: any;

const NAMES = ['Alpha', 'Beta', 'Gamma', 'Delta', 'Epsilon', 'Zeta'];

async function tokenOf(page: Page): Promise<string> {
  return page.evaluate(() => JSON.parse((globalThis as any).localStorage.getItem('nono.identity') ?? '{}').token);
}

async function call(url: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function showsSession(page: Page, name: string): Promise<void> {
  await page.waitForFunction((expected) => document.querySelector('.session-name')?.textContent === expected, name);
}

/** The names listed in the side panel, top to bottom. */
async function navNames(page: Page): Promise<string[]> {
  return page.locator('nono-session-nav nav .entry .name').allInnerTexts();
}

async function waitNav(page: Page, check: (names: string[]) => boolean): Promise<string[]> {
  let names: string[] = [];
  for (let i = 0; i < 100; i++) {
    names = await navNames(page);
    if (check(names)) return names;
    await page.waitForTimeout(100);
  }
  throw new Error(`The side panel lists ${JSON.stringify(names)}`);
}

describe('organizing sessions', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let token: string;
  const ids = new Map<string, string>();

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ({ page, errors } = await newPage(context));
    await openApp(page, stack.url);
    token = await tokenOf(page);
    for (const name of NAMES) {
      const created = await call(stack.url, token, 'POST', '/api/sessions', { display_name: name });
      ids.set(name, created.body.session_id);
    }
    await page.reload();
    await waitNav(page, (names) => NAMES.every((n) => names.includes(n)));
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  afterEach(() => expect(errors).toEqual([]));

  const side = () => page.locator('nono-session-nav');
  const link = (name: string) => side().getByRole('link', { name: new RegExp(`^${name}`) });

  it('tags the open session from the header; the tag filter lists only the sessions with it', async () => {
    await link('Alpha').click();
    await showsSession(page, 'Alpha');
    await page.getByRole('button', { name: 'Edit tags' }).click();
    const editor = page.getByRole('dialog', { name: /Tags of/ });
    await editor.getByLabel('New tag').fill('Work');
    await editor.getByLabel('New tag').press('Enter');
    await editor.getByRole('listitem').filter({ hasText: '#work' }).waitFor();
    await editor.getByRole('button', { name: 'Save' }).click();
    await editor.waitFor({ state: 'detached' });
    await page.locator('nono-app-header .tag', { hasText: '#work' }).waitFor();
    expect((await call(stack.url, token, 'GET', `/api/sessions/${ids.get('Alpha')}`)).body.tags).toEqual(['work']);
    // The side panel hears of the change and shows the chip.
    await link('Alpha').locator('.chip', { hasText: '#work' }).waitFor();

    await side().getByLabel('Filter by tag').selectOption('work');
    expect(await waitNav(page, (names) => names.length === 1)).toEqual(['Alpha']);
    await side().getByLabel('Filter by tag').selectOption('');
    await waitNav(page, (names) => names.length === NAMES.length + 1);

    // The Sessions dialog filters the same way, on the server.
    const dialog = await openSessions(page);
    await dialog.getByLabel('Filter by tag').selectOption('work');
    await page.waitForFunction(() => document.querySelectorAll('mat-dialog-container nono-session-row').length === 1);
    expect(await dialog.locator('nono-session-row .name').allInnerTexts()).toEqual(['Alpha']);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('archives a session: it leaves the list, shows in the archive view, and unarchiving brings it back', async () => {
    await link('Beta').click();
    await showsSession(page, 'Beta');
    await page.getByRole('button', { name: 'Archive this session' }).click();
    await page.getByText('Archived: the session left the list').waitFor();
    await waitNav(page, (names) => !names.includes('Beta'));
    // Archived, it stays open here with its messages.
    await page.locator('nono-app-header .archived-mark').waitFor();

    await side().getByRole('button', { name: 'Archived', exact: true }).click();
    await side().getByRole('navigation', { name: 'Archived sessions' }).waitFor();
    expect(await waitNav(page, (names) => names.length === 1)).toEqual(['Beta']);
    await side().getByRole('button', { name: 'Unarchive Beta' }).click();
    await waitNav(page, (names) => names.length === 0);
    await side().getByText('No archived sessions.').waitFor();

    await side().getByRole('button', { name: 'Archived', exact: true }).click();
    await side().getByRole('navigation', { name: 'Session list' }).waitFor();
    await waitNav(page, (names) => names.includes('Beta'));
    expect((await call(stack.url, token, 'GET', `/api/sessions/${ids.get('Beta')}`)).body.archived).toBe(false);
  });

  it('a pinned session shows first, in its own Pinned group', async () => {
    const dialog = await openSessions(page);
    await dialog.getByRole('button', { name: 'Pin Gamma' }).click();
    await dialog.getByRole('button', { name: 'Unpin Gamma' }).waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.waitForFunction(() => document.querySelector('nono-session-nav nav h2')?.textContent === 'Pinned');
    const headings = await side().locator('nav h2').allInnerTexts();
    expect(headings[0]).toBe('Pinned');
    expect(headings.slice(1)).not.toContain('Pinned');
    expect((await navNames(page))[0]).toBe('Gamma');
    await settleAnimations(page);
    await page.screenshot({ path: screenshotPath('desktop-organize-panel') });
  });

  it('archives three sessions at once from the Sessions dialog', async () => {
    const dialog = await openSessions(page);
    for (const name of ['Delta', 'Epsilon', 'Zeta']) await dialog.getByRole('checkbox', { name: `Select ${name}` }).check();
    const bar = dialog.getByRole('toolbar', { name: 'Actions on 3 sessions' });
    await settleAnimations(page);
    await page.screenshot({ path: screenshotPath('desktop-organize-bulk') });
    await bar.getByRole('button', { name: 'Archive', exact: true }).click();
    await dialog.getByText('Archived: 3 sessions.').waitFor();
    const rows = dialog.locator('nono-session-row .name');
    await page.waitForFunction(() => !/Delta|Epsilon|Zeta/.test(document.querySelector('mat-dialog-container cdk-virtual-scroll-viewport')?.textContent ?? ''));
    expect(await rows.allInnerTexts()).toEqual(expect.arrayContaining(['Alpha', 'Beta', 'Gamma']));
    await waitNav(page, (names) => !names.some((n) => ['Delta', 'Epsilon', 'Zeta'].includes(n)));

    await dialog.getByRole('button', { name: 'Archived', exact: true }).click();
    await dialog.getByRole('list', { name: 'Archived sessions' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('mat-dialog-container nono-session-row').length === 3);
    expect((await rows.allInnerTexts()).sort()).toEqual(['Delta', 'Epsilon', 'Zeta']);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('deletes the selected sessions after a confirmation and names the ones already gone', async () => {
    const dialog = await openSessions(page);
    await dialog.getByRole('button', { name: 'Archived', exact: true }).click();
    await page.waitForFunction(() => document.querySelectorAll('mat-dialog-container nono-session-row').length === 3);
    await dialog.getByRole('checkbox', { name: 'Select all' }).check();
    // One of them goes elsewhere before the bulk delete: the report names it as not found.
    expect((await call(stack.url, token, 'DELETE', `/api/sessions/${ids.get('Zeta')}`)).status).toBeLessThan(300);

    const bar = dialog.getByRole('toolbar', { name: 'Actions on 3 sessions' });
    await bar.getByRole('button', { name: 'Delete…' }).click();
    await bar.getByText('Delete 3 sessions and all their messages?').waitFor();
    await bar.getByRole('button', { name: 'Delete', exact: true }).click();
    await dialog.getByText(`Deleted: 2 sessions. Not found (deleted or expired meanwhile): ${ids.get('Zeta')}.`).waitFor();
    await dialog.getByText('No archived sessions.').waitFor();
    for (const name of ['Delta', 'Epsilon', 'Zeta']) {
      expect((await call(stack.url, token, 'GET', `/api/sessions/${ids.get(name)}`)).status).toBe(404);
    }
    await page.setViewportSize({ width: 480, height: 800 });
    await settleAnimations(page);
    await page.screenshot({ path: screenshotPath('phone-organize-dialog') });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.screenshot({ path: screenshotPath('phone-organize-header') });
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});
