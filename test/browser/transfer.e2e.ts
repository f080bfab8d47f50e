/**
 * Own your data in the browser: a session downloads in three formats under the server's file name,
 * the import dialog uploads a ChatGPT export and shows its report, and a share link opens in a
 * signed-out browser without creating an identity, until it is revoked.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, newPage, openApp, send, waitAnswered } from './support/browser';
import { startStack, Stack } from './support/stack';

const CHATGPT_FIXTURE = resolve(__dirname, '../fixtures/chatgpt-conversations.json');

async function openAccount(page: Page) {
  await page.getByRole('button', { name: /^Account:/ }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  return dialog;
}

describe('export, import and share links', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let firstSessionUrl: string;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    ({ page, errors } = await newPage(context));
    await openApp(page, stack.url);
    stack.fake!.script({ text: 'A **shared** answer about tides.' });
    await send(page, 'Tell me about tides');
    await waitAnswered(page);
    firstSessionUrl = page.url();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  afterEach(() => expect(errors).toEqual([]));

  it('downloads the session in each format under the name the server gives', async () => {
    await page.getByRole('button', { name: 'Export or share this session' }).click();
    const dialog = page.getByRole('dialog', { name: 'Export or share' });
    await dialog.waitFor();
    for (const [label, extension, check] of [
      ['JSON', 'json', (text: string) => expect(JSON.parse(text).messages.map((m: { content: string }) => m.content)).toContain('Tell me about tides')],
      ['Markdown', 'md', (text: string) => expect(text).toContain('Tell me about tides')],
      ['CSV', 'csv', (text: string) => expect(text.split('\r\n')[0]).toMatch(/role/i)],
    ] as const) {
      const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: label, exact: true }).click()]);
      expect(download.suggestedFilename()).toMatch(new RegExp(`\\.${extension}$`));
      expect(download.suggestedFilename()).not.toMatch(/^session\./);
      const path = await download.path();
      check(readFileSync(path!, 'utf8'));
    }
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('exports everything as NDJSON from the account dialog', async () => {
    const account = await openAccount(page);
    const [download] = await Promise.all([page.waitForEvent('download'), account.getByRole('button', { name: 'Export all sessions' }).click()]);
    expect(download.suggestedFilename()).toMatch(/\.ndjson$/);
    const lines = readFileSync((await download.path())!, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.some((line) => line.includes('Tell me about tides'))).toBe(true);
  });

  it('imports a ChatGPT export with progress and a report, and opens an imported session', async () => {
    const account = await openAccount(page);
    await account.getByRole('button', { name: 'Import conversations' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import conversations' });
    await dialog.waitFor();
    await dialog.getByLabel('File').setInputFiles(CHATGPT_FIXTURE);
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await dialog.getByRole('status').getByText('Imported 2 conversations, skipped 0').waitFor();
    const rows = dialog.locator('tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await dialog.locator('tbody').innerText()).toContain('Reverse a list');
    await dialog.getByRole('button', { name: 'Open Reverse a list' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.waitForFunction(() => (globalThis as any).document.querySelector('.session-name')?.textContent === 'Reverse a list');

    // The list of sessions has both; importing the same file again creates nothing new.
    await page.getByRole('button', { name: 'Sessions', exact: true }).click();
    const sessions = page.getByRole('dialog', { name: 'Sessions' });
    await sessions.getByText('Translations').first().waitFor();
    await page.keyboard.press('Escape');
    await sessions.waitFor({ state: 'detached' });

    const again = await openAccount(page);
    await again.getByRole('button', { name: 'Import conversations' }).click();
    const second = page.getByRole('dialog', { name: 'Import conversations' });
    await second.getByLabel('File').setInputFiles(CHATGPT_FIXTURE);
    await second.getByRole('button', { name: 'Import', exact: true }).click();
    await second.getByRole('status').getByText('Imported 0 conversations, skipped 2').waitFor();
    await second.getByRole('button', { name: 'Done' }).click();
    await second.waitFor({ state: 'detached' });
  });

  it('opens a share link signed out, without an identity, until it is revoked', async () => {
    // Back to the conversation with the answer (its own URL).
    await openApp(page, firstSessionUrl);

    await page.getByRole('button', { name: 'Export or share this session' }).click();
    const dialog = page.getByRole('dialog', { name: 'Export or share' });
    await dialog.getByLabel('Link expires after').selectOption({ label: '1 day' });
    await dialog.getByRole('button', { name: 'Create link' }).click();
    const link = dialog.locator('input.url').first();
    await link.waitFor();
    const url = await link.inputValue();
    expect(url).toMatch(/\/shared\/[^/]+$/);

    const stranger = await browser.newContext();
    const { page: visitor, errors: visitorErrors } = await newPage(stranger);
    const calls: string[] = [];
    visitor.on('request', (request) => {
      if (request.url().includes('/api/')) calls.push(`${request.method()} ${new URL(request.url()).pathname} ${request.headers()['authorization'] ? 'auth' : ''}`);
    });
    await visitor.goto(url);
    await visitor.getByRole('heading', { level: 1 }).waitFor();
    await visitor.locator('.message.assistant nono-markdown strong').getByText('shared').waitFor();
    expect(await visitor.locator('.message').count()).toBe(2);
    expect(await visitor.evaluate(() => Object.keys((globalThis as any).localStorage))).toEqual([]);
    expect(calls.every((call) => call.startsWith('GET /api/shared/') && !call.endsWith('auth'))).toBe(true);
    expect(await visitor.getByRole('button', { name: 'Continue this conversation' }).isVisible()).toBe(true);

    // Revoked: the same link says it is gone.
    await dialog.getByRole('button', { name: /^Revoke link/ }).first().click();
    await dialog.getByText('No shared links for this session.').waitFor();
    await visitor.reload();
    await visitor.getByRole('heading', { name: 'Link not available' }).waitFor();
    expect(visitorErrors).toEqual([]);
    await stranger.close();
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('continues a shared conversation as a new guest in a fresh browser', async () => {
    await page.getByRole('button', { name: 'Export or share this session' }).click();
    const dialog = page.getByRole('dialog', { name: 'Export or share' });
    await dialog.getByRole('button', { name: 'Create link' }).click();
    const url = await dialog.locator('input.url').first().inputValue();
    await dialog.getByRole('button', { name: 'Close' }).click();

    const stranger = await browser.newContext();
    const { page: visitor, errors: visitorErrors } = await newPage(stranger);
    await visitor.goto(url);
    await visitor.getByRole('button', { name: 'Continue this conversation' }).click();
    await visitor.waitForURL(/\/s\/s_/);
    await visitor.locator('nono-message.assistant').getByText('shared').first().waitFor();
    expect(visitorErrors).toEqual([]);
    await stranger.close();
  });
});
