/**
 * Every session has its URL (/s/{id}): back and forward move between the sessions opened in a tab,
 * a reload or a link opens the same one, two tabs keep their own, and wide screens keep the session
 * list open beside the conversation.
 */
import { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, newPage, openApp, openSessions, waitReady } from './support/browser';
import { startStack, Stack } from './support/stack';

declare const document: any;

const sessionName = (page: Page) => page.locator('.session-name').innerText();
const idIn = (url: string) => /\/s\/([^/?#]+)/.exec(new URL(url).pathname)?.[1] ?? null;

async function createSession(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name: 'New session' }).click();
  const dialog = page.getByRole('dialog', { name: 'New session' });
  await dialog.getByLabel('Display name').fill(name);
  await dialog.getByRole('button', { name: 'Create Session' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.waitForFunction((expected) => document.querySelector('.session-name')?.textContent === expected, name);
}

async function showsSession(page: Page, name: string): Promise<void> {
  await page.waitForFunction((expected) => document.querySelector('.session-name')?.textContent === expected, name);
}

describe('a URL per session', () => {
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

  it('gives the open session its URL and the tab its name; back and forward move between sessions', async () => {
    await openApp(page, stack.url);
    const firstId = idIn(page.url());
    expect(firstId).toMatch(/^s_/);
    const firstName = await sessionName(page);
    expect(await page.title()).toBe(`${firstName} · nono-chat`);

    await createSession(page, 'Second one');
    const secondId = idIn(page.url());
    expect(secondId).not.toBe(firstId);
    expect(await page.title()).toBe('Second one · nono-chat');

    await page.goBack();
    await showsSession(page, firstName);
    expect(idIn(page.url())).toBe(firstId);
    expect(await page.title()).toBe(`${firstName} · nono-chat`);

    await page.goForward();
    await showsSession(page, 'Second one');
    expect(idIn(page.url())).toBe(secondId);
  });

  it('a reload and a link open the session of the URL', async () => {
    const secondId = idIn(page.url());
    await page.reload();
    await waitReady(page);
    expect(await sessionName(page)).toBe('Second one');
    expect(idIn(page.url())).toBe(secondId);

    const { page: linked, errors: linkedErrors } = await newPage(context);
    const [firstRow] = await page.evaluate(async (id) => {
      const token = JSON.parse((globalThis as any).localStorage.getItem('nono.identity')).token;
      const response = await fetch('/api/sessions', { headers: { Authorization: `Bearer ${token}` } });
      return (((await response.json()) as any).sessions as Array<{ session_id: string; display_name: string }>).filter((s) => s.session_id !== id);
    }, secondId);
    await linked.goto(`${stack.url}/s/${firstRow.session_id}`);
    await waitReady(linked);
    expect(await sessionName(linked)).toBe(firstRow.display_name);
    expect(linkedErrors).toEqual([]);
    await linked.close();
  });

  it('a link to a session that does not exist opens another and says so; /api stays JSON', async () => {
    const { page: other, errors: otherErrors } = await newPage(context);
    await other.goto(`${stack.url}/s/s_doesnotexist000000000000`);
    await waitReady(other);
    await other.getByText('That session no longer exists').waitFor();
    expect(idIn(other.url())).not.toBe('s_doesnotexist000000000000');
    const api = await fetch(`${stack.url}/api/s/whatever`);
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toMatch(/json/);
    expect(otherErrors).toEqual([]);
    await other.close();
  });

  it('two tabs keep their own session, also across reloads', async () => {
    const { page: tabA } = await newPage(context);
    const { page: tabB } = await newPage(context);
    await openApp(tabA, stack.url);
    await openApp(tabB, stack.url);
    await createSession(tabA, 'Only in tab A');
    await createSession(tabB, 'Only in tab B');
    await tabA.reload();
    await tabB.reload();
    await waitReady(tabA);
    await waitReady(tabB);
    expect(await sessionName(tabA)).toBe('Only in tab A');
    expect(await sessionName(tabB)).toBe('Only in tab B');
    // "/" in a tab goes back to that tab's session.
    await tabA.goto(stack.url);
    await waitReady(tabA);
    expect(await sessionName(tabA)).toBe('Only in tab A');
    await tabA.close();
    await tabB.close();
  });

  it('on a wide screen the session list stays open beside the conversation, grouped by day, the open one marked', async () => {
    const nav = page.getByRole('navigation', { name: 'Session list' });
    await nav.waitFor();
    await nav.getByRole('heading', { name: 'Today' }).waitFor();
    const current = nav.locator('a[aria-current="page"]');
    expect(await current.innerText()).toContain(await sessionName(page));
    const other = nav.getByRole('link', { name: /Only in tab A/ });
    await other.click();
    await showsSession(page, 'Only in tab A');
    expect(await nav.locator('a[aria-current="page"]').innerText()).toContain('Only in tab A');
    expect(await other.getAttribute('href')).toBe(new URL(page.url()).pathname);
    // Narrow screens have no panel; the Sessions dialog lists the sessions.
    await page.setViewportSize({ width: 480, height: 800 });
    await nav.waitFor({ state: 'detached' });
    const dialog = await openSessions(page);
    expect(await dialog.locator('nono-session-row').count()).toBeGreaterThan(1);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});
