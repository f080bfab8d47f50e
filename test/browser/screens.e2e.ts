/**
 * The main screens at desktop and phone sizes, light and dark, saved to test-results/screenshots/
 * for a person to look at; plus the checks a screenshot cannot make (no sideways scrolling on a
 * phone, every control labelled, the keyboard reaches the controls).
 */
import { Browser, Page } from 'playwright-core';
import { launchBrowser, newPage, openApp, openSessions, screenshotPath, send, settleAnimations, waitAnswered } from './support/browser';
import { startStack, Stack } from './support/stack';

declare const document: any;
declare const getComputedStyle: any;

const ANSWER = [
  'Here is a **short** answer with a list, a table and code:',
  '',
  '1. Install the package',
  '2. Call `greet()`',
  '',
  '| option | default |',
  '|---|---|',
  '| retries | 3 |',
  '',
  '```typescript',
  'export function greet(name: string): string {',
  '  return `Hello, ${name}!`; // friendly',
  '}',
  '```',
  '',
  'See [the docs](https://example.com/docs).',
].join('\n');

describe('screens', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  async function conversation(page: Page): Promise<void> {
    await openApp(page, stack.url);
    stack.fake!.script({ text: ANSWER });
    await send(page, 'How do I greet someone in TypeScript?');
    await waitAnswered(page);
    await page.locator('nono-message.assistant pre').waitFor();
  }

  async function unlabelledControls(page: Page): Promise<string[]> {
    return page.evaluate(() =>
      Array.from(document.querySelectorAll('button, input, textarea, select, [role="combobox"]'))
        .filter((el: any) => el.offsetParent !== null)
        .filter((el: any) => !(el.getAttribute('aria-label') || el.labels?.length || el.textContent.trim() || el.getAttribute('aria-labelledby')))
        .map((el: any) => el.outerHTML.slice(0, 120)),
    );
  }

  it('desktop, light: chat, sessions dialog, new session dialog', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    const { page, errors } = await newPage(context);
    await conversation(page);
    await settleAnimations(page);
    await page.screenshot({ path: screenshotPath('desktop-chat') });
    expect(await unlabelledControls(page)).toEqual([]);

    await openSessions(page);
    await settleAnimations(page);
    await page.screenshot({ path: screenshotPath('desktop-sessions') });
    await page.keyboard.press('Escape');

    await page.getByRole('button', { name: 'New session' }).click();
    const dialog = page.getByRole('dialog', { name: 'New session' });
    // The default persona is chosen already.
    await dialog.getByRole('combobox', { name: 'Persona' }).getByText('Default Assistant').waitFor();
    await dialog.getByRole('combobox', { name: 'Persona' }).click();
    await page.getByRole('option').first().waitFor();
    await settleAnimations(page);
    await page.screenshot({ path: screenshotPath('desktop-new-session') });
    await page.keyboard.press('Escape');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('phone (375 px): fits the width, header and dialogs usable', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const { page, errors } = await newPage(context);
    await conversation(page);
    await settleAnimations(page);
    await page.screenshot({ path: screenshotPath('phone-chat') });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    for (const name of ['New session', 'Sessions', 'Send message']) {
      const box = await page.getByRole('button', { name }).boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= 375).toBe(true);
    }

    await openSessions(page);
    await settleAnimations(page);
    await page.screenshot({ path: screenshotPath('phone-sessions') });
    await page.keyboard.press('Escape');

    await page.getByRole('button', { name: 'New session' }).click();
    await page.getByRole('dialog', { name: 'New session' }).waitFor();
    await settleAnimations(page);
    await page.screenshot({ path: screenshotPath('phone-new-session') });
    await page.keyboard.press('Escape');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('dark: follows the system, and the toggle switches the page', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'dark' });
    const { page, errors } = await newPage(context);
    await conversation(page);
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const dark = await background();
    await settleAnimations(page);
    await page.screenshot({ path: screenshotPath('dark-chat') });

    await page.getByRole('button', { name: 'Switch to light theme' }).click();
    expect(await page.evaluate(() => document.documentElement.className)).toContain('light-theme');
    expect(await background()).not.toBe(dark);
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    expect(await background()).toBe(dark);

    await page.setViewportSize({ width: 375, height: 740 });
    await openSessions(page);
    await settleAnimations(page);
    await page.screenshot({ path: screenshotPath('dark-phone-sessions') });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('reaches the controls with the keyboard', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const { page } = await newPage(context);
    await openApp(page, stack.url);
    const reached = new Set<string>();
    // Header controls, then the side panel (search, filters, the one session), then the message box.
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press('Tab');
      reached.add(await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.id ?? ''));
    }
    expect([...reached]).toEqual(expect.arrayContaining(['New session', 'Sessions', 'message-input']));
    await page.getByRole('button', { name: 'Sessions' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Sessions' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog', { name: 'Sessions' }).waitFor({ state: 'detached' });
    await context.close();
  });
});
