/**
 * Accounts in the browser (AUTH_MODE=accounts): register, work in a session, sign out, sign in
 * again and find the session; a wrong password is answered in place on the sign-in form.
 */
import { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, messages, newPage, openSessions, screenshotPath, send, settleAnimations, waitAnswered, waitReady } from './support/browser';
import { startStack, Stack } from './support/stack';

const PASSWORD = 'correct horse battery';

describe('accounts in the browser', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack({ env: { AUTH_MODE: 'accounts' } }), launchBrowser()]);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ({ page, errors } = await newPage(context));
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  afterEach(() => expect(errors).toEqual([]));

  const form = () => page.getByRole('form');

  async function fillCredentials(username: string, password: string): Promise<void> {
    await form().getByLabel('Username').fill(username);
    await form().getByLabel('Password').fill(password);
  }

  it('opens on the sign-in screen, without guest access', async () => {
    await page.goto(stack.url);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByRole('button', { name: 'Continue as guest' }).count()).toBe(0);
    expect(await page.locator('nono-chat-panel').count()).toBe(0);
  });

  it('registers, and the new account gets a session to work in', async () => {
    await page.getByRole('button', { name: 'Create account' }).click();
    await fillCredentials('alice', PASSWORD);
    await form().getByRole('button', { name: 'Create account' }).click();
    await waitReady(page);
    await page.getByRole('button', { name: 'Account: alice' }).waitFor();
    stack.fake!.script({ text: 'Noted: the whale is blue.' });
    await send(page, 'Remember the blue whale');
    await waitAnswered(page);
    await messages(page).filter({ hasText: 'Noted: the whale is blue.' }).waitFor();
  });

  it('signs out back to the sign-in screen', async () => {
    await page.getByRole('button', { name: 'Account: alice' }).click();
    const dialog = page.getByRole('dialog', { name: 'alice' });
    await dialog.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate(() => (globalThis as any).localStorage.getItem('nono.identity'))).toBeNull();
    expect(await page.locator('.session-name').count()).toBe(0);
  });

  it('shows a wrong password in place on the form', async () => {
    await fillCredentials('alice', 'not the password');
    await form().getByRole('button', { name: 'Sign in' }).click();
    await form().getByRole('alert').filter({ hasText: 'Wrong username or password' }).waitFor();
    await settleAnimations(page);
    await page.screenshot({ path: screenshotPath('desktop-sign-in-wrong-password') });
    expect(await page.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
  });

  it('signs in again and finds the session with its history', async () => {
    await fillCredentials('alice', PASSWORD);
    await form().getByRole('button', { name: 'Sign in' }).click();
    await waitReady(page);
    await messages(page).filter({ hasText: 'Remember the blue whale' }).waitFor();
    const dialog = await openSessions(page);
    expect(await dialog.locator('nono-session-row').count()).toBe(1);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('"Sign out everywhere" ends the session in another browser too', async () => {
    const otherContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const { page: other, errors: otherErrors } = await newPage(otherContext);
      await other.goto(stack.url);
      await other.getByRole('form').getByLabel('Username').fill('alice');
      await other.getByRole('form').getByLabel('Password').fill(PASSWORD);
      await other.getByRole('form').getByRole('button', { name: 'Sign in' }).click();
      await waitReady(other);

      await page.getByRole('button', { name: 'Account: alice' }).click();
      await page.getByRole('dialog', { name: 'alice' }).getByRole('button', { name: 'Sign out everywhere' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();

      await other.getByRole('button', { name: 'Sessions' }).click();
      await other.getByText('Your session has ended; sign in again.').waitFor();
      await other.getByRole('heading', { name: 'Sign in' }).waitFor();
      await other.getByRole('dialog').waitFor({ state: 'detached' });
      expect(otherErrors).toEqual([]);
    } finally {
      await otherContext.close();
    }
  });
});

describe('a guest on an accounts server that allows guests', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack({ env: { AUTH_MODE: 'accounts', ALLOW_GUESTS: 'true' } }), launchBrowser()]);
    ({ page, errors } = await newPage(await browser.newContext({ viewport: { width: 1280, height: 800 } })));
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  afterEach(() => expect(errors).toEqual([]));

  const storedUserId = () => page.evaluate(() => JSON.parse((globalThis as any).localStorage.getItem('nono.identity') ?? '{}').user_id);

  it('continues as a guest, then creates an account from the hint and keeps the session', async () => {
    await page.goto(stack.url);
    await page.getByRole('button', { name: 'Continue as guest' }).click();
    await waitReady(page);
    await page.getByText('Your sessions are only in this browser.').waitFor();
    await page.screenshot({ path: screenshotPath('desktop-guest-on-accounts-server') });
    stack.fake!.script({ text: 'Kept.' });
    await send(page, 'A note from my guest days');
    await waitAnswered(page);
    const guestId = await storedUserId();

    await page.getByRole('button', { name: 'Create an account to keep them' }).click();
    await page.getByRole('heading', { name: 'Create account' }).waitFor();
    await page.getByRole('form').getByLabel('Username').fill('bob');
    await page.getByRole('form').getByLabel('Password').fill(PASSWORD);
    await page.getByRole('form').getByRole('button', { name: 'Create account' }).click();
    await waitReady(page);
    await page.getByRole('button', { name: 'Account: bob' }).waitFor();
    await messages(page).filter({ hasText: 'A note from my guest days' }).waitFor();
    expect(await storedUserId()).toBe(guestId);
    expect(await page.getByText('Your sessions are only in this browser.').count()).toBe(0);
  });
});
