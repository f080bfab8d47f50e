/**
 * The conversation tree in a real browser: edit into a new version, the "‹ n/m ›" arrows, retry of
 * an old failed answer, feedback, fork and delete.
 */
import { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { launchBrowser, messages, newPage, openApp, screenshotPath, send, settleAnimations, waitAnswered } from './support/browser';
import { startStack, Stack } from './support/stack';

declare const document: any;

describe('conversation tree in the browser', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    // No title requests: each scripted reply goes to the answer it is meant for.
    [stack, browser] = await Promise.all([startStack({ env: { TITLE_MODEL: 'off' } }), launchBrowser()]);
  });

  // Each test starts as a new guest with a fresh session.
  beforeEach(async () => {
    stack.fake!.reset();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ({ page, errors } = await newPage(context));
    await openApp(page, stack.url);
  });

  afterEach(async () => {
    await context?.close();
    expect(errors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  const user = (text: string): Locator => page.locator('nono-message.user').filter({ hasText: text });
  const answer = (text: string): Locator => page.locator('nono-message.assistant').filter({ hasText: text });
  const turn = async (text: string, reply: string) => {
    stack.fake!.script({ text: reply });
    await send(page, text);
    await waitAnswered(page);
    await answer(reply).waitFor();
  };
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? null);

  it('edit makes a new version: arrows show 2/2, and 1/2 shows the old branch with its answer', async () => {
    await turn('First question', 'First answer');
    await turn('Second question', 'Second answer');

    // Esc leaves the editor unchanged, focus back on Edit.
    const second = user('Second question');
    await second.getByRole('button', { name: 'Edit message' }).click();
    const editor = page.getByRole('textbox', { name: 'Edit your message' });
    await editor.waitFor();
    await editor.press('Escape');
    await editor.waitFor({ state: 'detached' });
    await page.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Edit message');
    expect(await focused()).toBe('Edit message');

    // Enter sends the edit as a new version, answered as usual.
    await second.getByRole('button', { name: 'Edit message' }).click();
    await editor.fill('Second question, edited');
    stack.fake!.script({ text: 'Edited answer' });
    await editor.press('Enter');
    await waitAnswered(page);
    await answer('Edited answer').waitFor();
    const edited = user('Second question, edited');
    await edited.getByRole('group', { name: 'Version 2 of 2' }).waitFor();
    expect(await answer('Second answer').count()).toBe(0);
    expect(await messages(page).count()).toBe(4);
    await settleAnimations(page);
    await page.screenshot({ path: screenshotPath('desktop-versions') });

    // Back to the first version: the old question and its own answer.
    await edited.getByRole('button', { name: 'Previous version' }).click();
    await answer('Second answer').waitFor();
    await user('Second question').getByRole('group', { name: 'Version 1 of 2' }).waitFor();
    expect(await answer('Edited answer').count()).toBe(0);
    expect(await messages(page).count()).toBe(4);

    // And forth again.
    await user('Second question').getByRole('button', { name: 'Next version' }).click();
    await answer('Edited answer').waitFor();
    await user('Second question, edited').getByRole('group', { name: 'Version 2 of 2' }).waitFor();
  });

  it('Retry under an older failed answer redoes that answer, not the newest', async () => {
    const failure = { status: 500, errorMessage: 'upstream exploded' };
    stack.fake!.script(failure, failure, failure);
    await send(page, 'Question A');
    await waitAnswered(page);
    const failed = page.locator('nono-message.assistant.failed');
    await failed.getByRole('alert').waitFor();
    stack.fake!.reset();
    await turn('Question B', 'Answer to B');

    stack.fake!.script({ text: 'Answer to A' });
    await failed.getByRole('button', { name: 'Retry' }).click();
    await waitAnswered(page);
    const redone = answer('Answer to A');
    await redone.waitFor();
    await redone.getByRole('group', { name: 'Version 2 of 2' }).waitFor();
    // The new answer follows A directly; B stays on the old version's branch.
    expect(await messages(page).count()).toBe(2);
    expect(await page.locator('nono-message.failed').count()).toBe(0);

    await redone.getByRole('button', { name: 'Previous version' }).click();
    await answer('Answer to B').waitFor();
    await user('Question B').waitFor();
    expect(await page.locator('nono-message.assistant.failed').count()).toBe(1);
    expect(await messages(page).count()).toBe(4);
  });

  it('feedback: thumbs up, then down; the rating is stored; pressing it again removes it', async () => {
    await turn('Rate me', 'An answer to rate');
    const rated = answer('An answer to rate');
    const up = rated.getByRole('button', { name: 'Good answer' });
    const down = rated.getByRole('button', { name: 'Bad answer' });
    expect(await up.getAttribute('aria-pressed')).toBe('false');
    await up.click();
    await page.waitForFunction(() => document.querySelector('nono-message.assistant button[aria-label="Good answer"]')?.getAttribute('aria-pressed') === 'true');
    // The comment is optional.
    await page.getByRole('textbox', { name: 'Add a comment to your rating (optional)' }).waitFor();
    await rated.getByRole('button', { name: 'Skip' }).click();

    await down.click();
    await page.waitForFunction(() => document.querySelector('nono-message.assistant button[aria-label="Bad answer"]')?.getAttribute('aria-pressed') === 'true');
    expect(await up.getAttribute('aria-pressed')).toBe('false');
    const comment = page.getByRole('textbox', { name: 'Add a comment to your rating (optional)' });
    await comment.fill('Too short');
    await comment.press('Enter');
    await comment.waitFor({ state: 'detached' });

    await page.reload();
    await answer('An answer to rate').waitFor();
    const reloaded = answer('An answer to rate');
    expect(await reloaded.getByRole('button', { name: 'Bad answer' }).getAttribute('aria-pressed')).toBe('true');
    expect(await reloaded.getByRole('button', { name: 'Good answer' }).getAttribute('aria-pressed')).toBe('false');

    // The thumb that is on, pressed again, removes the rating.
    await reloaded.getByRole('button', { name: 'Bad answer' }).click();
    await page.waitForFunction(() => document.querySelector('nono-message.assistant button[aria-label="Bad answer"]')?.getAttribute('aria-pressed') === 'false');
    await page.reload();
    await answer('An answer to rate').waitFor();
    for (const name of ['Good answer', 'Bad answer']) {
      expect(await answer('An answer to rate').getByRole('button', { name }).getAttribute('aria-pressed')).toBe('false');
    }
  });

  it('fork opens a new session at its address; delete removes a message with what follows', async () => {
    await turn('Keep this', 'Kept answer');
    await turn('Drop this', 'Dropped answer');
    const before = new URL(page.url()).pathname;

    await user('Drop this').getByRole('button', { name: 'Delete message' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await answer('Dropped answer').waitFor({ state: 'detached' });
    expect(await messages(page).count()).toBe(2);

    await answer('Kept answer').getByRole('button', { name: /Fork from here/ }).click();
    await page.waitForFunction((old) => (globalThis as any).location.pathname !== old, before);
    expect(new URL(page.url()).pathname).toMatch(/^\/s\//);
    await page.locator('.session-name').filter({ hasText: '(fork)' }).waitFor();
    await answer('Kept answer').waitFor();
    expect(await messages(page).count()).toBe(2);
  });
});
