/**
 * Searching my sessions from the side panel and from the Sessions dialog: results come as the
 * person types, matched words marked and everything else shown as text, and a result opens its
 * session at the matching message, loading older history until that message is there.
 */
import { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, newPage, openApp } from './support/browser';
import { startStack, Stack } from './support/stack';

declare const document: any;

/** Turns sent after the matching one: enough that it is not in the first page of history (50 messages). */
const LATER_TURNS = 30;

async function tokenOf(page: Page): Promise<string> {
  return page.evaluate(() => JSON.parse((globalThis as any).localStorage.getItem('nono.identity') ?? '{}').token);
}

async function call(url: string, token: string, method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

const idIn = (url: string) => /\/s\/([^/?#]+)/.exec(new URL(url).pathname)?.[1] ?? null;

describe('search', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let longId: string;
  let olderIds: string[];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ({ page, errors } = await newPage(context));
    await openApp(page, stack.url);
    const token = await tokenOf(page);
    longId = (await call(stack.url, token, 'POST', '/api/sessions', { display_name: 'Long talk' })).session_id;
    await call(stack.url, token, 'POST', `/api/sessions/${longId}/messages`, { content: 'The zebrafish regrows its fins <b>quickly</b> & well' });
    for (let turn = 0; turn < LATER_TURNS; turn++) {
      await call(stack.url, token, 'POST', `/api/sessions/${longId}/messages`, { content: `Later turn number ${turn}` });
    }
    const history = await call(stack.url, token, 'GET', `/api/sessions/${longId}/messages?limit=50`);
    expect(history.messages.some((m: { content: string }) => m.content.includes('zebrafish'))).toBe(false);
    const older = await call(stack.url, token, 'GET', `/api/sessions/${longId}/messages?limit=50&before=${encodeURIComponent(history.next_cursor)}`);
    olderIds = older.messages.filter((m: { content: string }) => m.content.includes('zebrafish')).map((m: { id: string }) => m.id);
    expect(olderIds.length).toBeGreaterThan(0);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  afterEach(() => expect(errors).toEqual([]));

  it('finds a message as I type in the side panel, marks the match, and opens the session at that message', async () => {
    expect(idIn(page.url())).not.toBe(longId);
    const box = page.getByRole('searchbox', { name: 'Search sessions' });
    await box.pressSequentially('zebr', { delay: 30 });
    const results = page.getByRole('region', { name: 'Search results' });
    const result = results.getByRole('link', { name: /Long talk/ });
    await result.waitFor();
    expect(await result.locator('mark').first().innerText()).toMatch(/^zebr/i);
    // The rest of the snippet is text: the message's own markup shows as written, never as HTML.
    expect(await results.locator('b').count()).toBe(0);
    expect(await result.innerText()).toContain('<b>quickly</b>');
    expect(await result.getAttribute('href')).toBe(`/s/${longId}`);

    await result.click();
    await page.waitForFunction((id) => (globalThis as any).location.pathname === `/s/${id}`, longId);
    // The result's message (the question or its echoed answer) was on an older page: it is loaded, marked and on screen.
    const highlighted = page.locator('nono-message.highlighted');
    await highlighted.waitFor();
    expect(await highlighted.count()).toBe(1);
    expect(olderIds).toContain(await highlighted.getAttribute('data-message-id'));
    expect(await highlighted.innerText()).toContain('zebrafish');
    await page.waitForFunction(() => {
      const box = document.querySelector('nono-message.highlighted').getBoundingClientRect();
      const list = document.querySelector('nono-message-list .scroller').getBoundingClientRect();
      return box.bottom > list.top && box.top < list.bottom;
    });
  });

  it('shows no result for a word no session holds, and the list again once the box is cleared', async () => {
    const box = page.getByRole('searchbox', { name: 'Search sessions' });
    await box.fill('');
    await box.pressSequentially('xylophonic', { delay: 20 });
    await page.getByText('No session matches “xylophonic”.').waitFor();
    await box.press('Escape');
    await page.getByRole('navigation', { name: 'Session list' }).getByRole('link', { name: /Long talk/ }).waitFor();
  });

  it('searches from the Sessions dialog too; a result closes it on the session', async () => {
    const token = await tokenOf(page);
    const other = (await call(stack.url, token, 'POST', '/api/sessions', { display_name: 'Orchard notes' })).session_id;
    await call(stack.url, token, 'POST', `/api/sessions/${other}/messages`, { content: 'Pruning the quince tree in winter' });
    await page.getByRole('button', { name: 'Sessions' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sessions' });
    await dialog.getByRole('searchbox', { name: 'Search sessions' }).pressSequentially('quin', { delay: 30 });
    await dialog.getByRole('link', { name: /Orchard notes/ }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.waitForFunction((id) => (globalThis as any).location.pathname === `/s/${id}`, other);
    await page.locator('nono-message.highlighted', { hasText: 'quince' }).waitFor();
  });
});
