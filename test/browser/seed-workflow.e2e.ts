/**
 * The seed's manual test, in a real browser against the real server: open the page; ➕ New, name
 * "Test Session", pick a persona, Create; 📋 Sessions shows it, click it, history loads; send a
 * message, the answer streams in, the message count goes up. Plus refresh, switching, and privacy
 * between identities.
 */
import { Browser, BrowserContext, Page } from 'playwright-core';
import { composer, headerText, launchBrowser, messages, newPage, openApp, openSessions, send, waitAnswered, waitReady } from './support/browser';
import { startStack, Stack } from './support/stack';

describe('seed workflow in the browser', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ({ page, errors } = await newPage(context));
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  afterEach(() => expect(errors).toEqual([]));

  // How fast it gets ready is measured by npm run bench:client (first visit, ready to type).
  it('opens with a guest identity and a first session, ready to type', async () => {
    await openApp(page, stack.url);
    const header = await headerText(page);
    expect(header).toContain('nono-chat');
    expect(header).toMatch(/guest u_\S+/);
    expect(header).toContain('Default Assistant');
    expect(header).toContain('0 messages');
    await expect(composer(page).isEditable()).resolves.toBe(true);
  });

  it('New creates "Test Session" with the chosen persona and opens it', async () => {
    await send(page, 'First message in the first session');
    await waitAnswered(page);
    const newButton = page.getByRole('button', { name: 'New session' });
    expect((await newButton.innerText()).trim()).toBe('New');
    expect(await newButton.locator('nono-icon svg').count()).toBe(1);
    await newButton.click();
    const dialog = page.getByRole('dialog', { name: 'New session' });
    await dialog.getByLabel('Display name').fill('Test Session');
    await dialog.getByRole('combobox', { name: 'Persona' }).click();
    await page.getByRole('option', { name: /Technical Support/ }).click();
    await dialog.getByRole('button', { name: 'Create Session' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.waitForFunction(() => (globalThis as any).document.querySelector('.session-name')?.textContent === 'Test Session');
    expect(await headerText(page)).toContain('Technical Support');
    expect(await messages(page).count()).toBe(0);
  });

  it('Sessions lists it (current highlighted); clicking another session loads its history', async () => {
    const sessionsButton = page.getByRole('button', { name: 'Sessions' });
    expect((await sessionsButton.innerText()).trim()).toBe('Sessions');
    expect(await sessionsButton.locator('nono-icon svg').count()).toBe(1);
    const dialog = await openSessions(page);
    const rows = dialog.locator('nono-session-row');
    expect(await rows.count()).toBe(2);
    const testRow = rows.filter({ hasText: 'Test Session' });
    expect(await testRow.getAttribute('class')).toContain('current');
    expect(await testRow.innerText()).toMatch(/created just now/);
    const firstRow = rows.filter({ hasNotText: 'Test Session' });
    expect(await firstRow.innerText()).toContain('2 messages');

    await firstRow.locator('button.open').click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('nono-message.user', { hasText: 'First message in the first session' }).waitFor();
    expect(await messages(page).count()).toBe(2);

    const again = await openSessions(page);
    await again.locator('nono-session-row', { hasText: 'Test Session' }).locator('button.open').click();
    await page.waitForFunction(() => (globalThis as any).document.querySelector('.session-name')?.textContent === 'Test Session');
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('nono-message').length === 0);
  });

  it('streams the answer in as it arrives and counts the messages', async () => {
    stack.fake!.script({ text: 'one two three four five six seven eight nine ten eleven twelve', chunkDelayMs: 120 });
    await send(page, 'Count to twelve, slowly');
    const draft = page.locator('nono-message[aria-busy="true"]');
    await draft.locator('nono-markdown').waitFor();
    const early = await draft.innerText();
    await page.waitForTimeout(400);
    const later = (await draft.count()) ? await draft.innerText() : '';
    expect(early).toMatch(/one/);
    expect(early).not.toMatch(/twelve/);
    expect(later.length).toBeGreaterThan(early.length);
    await waitAnswered(page);
    await messages(page).filter({ hasText: 'one two three four five six seven eight nine ten eleven twelve' }).waitFor();
    await page.waitForFunction(() => /2 messages/.test((globalThis as any).document.querySelector('nono-app-header')?.textContent ?? ''));

    const dialog = await openSessions(page);
    expect(await dialog.locator('nono-session-row', { hasText: 'Test Session' }).innerText()).toContain('2 messages');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('keeps the identity and the open session with its history after a refresh', async () => {
    const before = await headerText(page);
    await page.reload();
    await waitReady(page);
    await messages(page).nth(1).waitFor();
    expect(await headerText(page)).toBe(before);
    expect(await messages(page).count()).toBe(2);
    expect(await messages(page).first().innerText()).toContain('Count to twelve, slowly');
  });

  it('keeps separate histories when switching between two sessions', async () => {
    const switchTo = async (name: string) => {
      const dialog = await openSessions(page);
      await dialog.locator('nono-session-row', { hasText: name }).locator('button.open').click();
      await dialog.waitFor({ state: 'detached' });
      await page.waitForFunction((n) => (globalThis as any).document.querySelector('.session-name')?.textContent === n, name);
    };
    await send(page, 'bravo in Test Session');
    await waitAnswered(page);
    const first = await page.evaluate(() => {
      const rows = (globalThis as any).document.querySelectorAll('nono-message');
      return rows.length;
    });
    expect(first).toBe(4);

    const dialog = await openSessions(page);
    const otherName = (await dialog.locator('nono-session-row', { hasNotText: 'Test Session' }).locator('.name').innerText()).trim();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    await switchTo(otherName);
    await page.locator('nono-message.user', { hasText: 'First message in the first session' }).waitFor();
    expect(await page.locator('nono-message', { hasText: 'bravo in Test Session' }).count()).toBe(0);
    expect(await messages(page).count()).toBe(2);

    await switchTo('Test Session');
    await page.locator('nono-message.user', { hasText: 'bravo in Test Session' }).waitFor();
    expect(await page.locator('nono-message', { hasText: 'First message in the first session' }).count()).toBe(0);
    expect(await messages(page).count()).toBe(4);
  });

  it('shows a second identity none of the first one\'s sessions', async () => {
    const otherContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const { page: other, errors: otherErrors } = await newPage(otherContext);
      await openApp(other, stack.url);
      const mine = (await headerText(page)).match(/guest (u_\S+)/)?.[1];
      const theirs = (await headerText(other)).match(/guest (u_\S+)/)?.[1];
      expect(theirs).toBeTruthy();
      expect(theirs).not.toBe(mine);
      const dialog = await openSessions(other);
      const rows = dialog.locator('nono-session-row');
      expect(await rows.count()).toBe(1);
      expect(await dialog.innerText()).not.toContain('Test Session');
      expect(await messages(other).count()).toBe(0);
      expect(otherErrors).toEqual([]);
    } finally {
      await otherContext.close();
    }
  });
});
