import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Browser, BrowserContext, chromium, Locator, Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = resolve(__dirname, '../../../test-results/screenshots');

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return resolve(SCREENSHOTS, `${name}.png`);
}

/** A page whose uncaught errors fail the test that reads `errors`. */
export async function newPage(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) errors.push(message.text());
  });
  return { page, errors };
}

/** Opens the app and waits until a session is open and the message box takes input. */
export async function openApp(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await waitReady(page);
}

export async function waitReady(page: Page): Promise<void> {
  await page.locator('.session-name').waitFor();
  await page.waitForFunction(() => {
    const box = (globalThis as any).document.querySelector('#message-input');
    return box && !box.disabled;
  });
}

export function composer(page: Page): Locator {
  return page.getByRole('textbox', { name: 'Message' });
}

export async function send(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press('Enter');
}

/** Waits until no answer is streaming. */
export async function waitAnswered(page: Page, timeout = 15_000): Promise<void> {
  await page.waitForFunction(() => !(globalThis as any).document.querySelector('nono-message[aria-busy="true"]'), null, { timeout });
  await page.getByRole('button', { name: 'Send message' }).waitFor({ timeout });
}

export function messages(page: Page): Locator {
  return page.locator('nono-message');
}

export async function headerText(page: Page): Promise<string> {
  return (await page.locator('nono-app-header').innerText()).replace(/\s+/g, ' ');
}

/** Opens the Sessions dialog and waits for its first page. */
export async function openSessions(page: Page): Promise<Locator> {
  await page.getByRole('button', { name: 'Sessions' }).click();
  const dialog = page.getByRole('dialog', { name: 'Sessions' });
  await dialog.waitFor();
  await dialog.locator('nono-session-row').first().waitFor();
  return dialog;
}

/** Lets CSS transitions (dialogs, ripples) finish before a screenshot. */
export async function settleAnimations(page: Page): Promise<void> {
  await page.evaluate(() => Promise.all((globalThis as any).document.getAnimations().map((a: any) => a.finished.catch(() => undefined))));
  await page.waitForTimeout(50);
}

