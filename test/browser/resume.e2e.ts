/**
 * Answers run on the server, whatever the page does: a refresh mid-answer picks the answer up again
 * (replayed, then live, each word once), and a second tab of the same identity keeps its session
 * list and open conversation in step with the first, without reloading.
 */
import { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, newPage, openApp, openSessions, send, waitAnswered } from './support/browser';
import { startStack, Stack } from './support/stack';

declare const window: any;
declare const document: any;
declare const localStorage: any;
declare const sessionStorage: any;
declare const MutationObserver: any;

const words = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(' ');

/** Every text the streaming answer showed, recorded in the page from its first script on. */
async function recordDrafts(page: Page): Promise<void> {
  await page.addInitScript(() => {
    window.__drafts = [];
    const note = () => {
      const draft = document.querySelector('nono-message[aria-busy="true"] nono-markdown');
      const text = draft?.innerText?.trim();
      if (text && window.__drafts.at(-1) !== text) window.__drafts.push(text);
    };
    new MutationObserver(note).observe(document, { childList: true, subtree: true, characterData: true });
  });
}

async function apiOf(page: Page, url: string) {
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('nono.identity') ?? '{}').token);
  const sessionId = await page.evaluate(() => sessionStorage.getItem('nono.session'));
  const headers = { Authorization: `Bearer ${token}` };
  return {
    sessionId: sessionId as string,
    async history(): Promise<Array<{ role: string; content: string; status?: string }>> {
      const response = await fetch(`${url}/api/sessions/${sessionId}/messages?limit=50`, { headers });
      expect(response.status).toBe(200);
      return ((await response.json()) as { messages: Array<{ role: string; content: string; status?: string }> }).messages;
    },
  };
}

describe('answers that outlive the page', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let tabA: Page;
  let errorsA: string[];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ({ page: tabA, errors: errorsA } = await newPage(context));
    await recordDrafts(tabA);
    await openApp(tabA, stack.url);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  afterEach(() => expect(errorsA).toEqual([]));

  it('goes on with the answer after a refresh, each word once, and stores it complete', async () => {
    const full = words('word', 40);
    stack.fake!.script({ text: full, chunkDelayMs: 150 });
    await send(tabA, 'Write forty words slowly');
    await tabA.locator('nono-message[aria-busy="true"]').getByText(/word3/).waitFor();

    await tabA.reload();
    // The reloaded page follows the running answer: replayed from its start, then live.
    const draft = tabA.locator('nono-message[aria-busy="true"] nono-markdown');
    await draft.getByText(/word0/).waitFor();
    await waitAnswered(tabA);

    const answers = tabA.locator('nono-message.assistant');
    await answers.last().locator('nono-markdown').getByText(/word39/).waitFor();
    expect(await answers.count()).toBe(1);
    expect((await answers.last().locator('nono-markdown').innerText()).trim()).toBe(full);
    expect(await tabA.locator('nono-message.user', { hasText: 'Write forty words slowly' }).count()).toBe(1);

    // What the page showed while streaming only ever grew along the answer: no gap, nothing twice.
    const drafts: string[] = await tabA.evaluate(() => window.__drafts);
    expect(drafts.length).toBeGreaterThan(0);
    for (const shown of drafts) expect(full.startsWith(shown)).toBe(true);

    const history = await (await apiOf(tabA, stack.url)).history();
    expect(history.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(history[1]).toMatchObject({ content: full, status: 'complete' });
  });

  describe('a second tab', () => {
    let tabB: Page;
    let errorsB: string[];

    beforeAll(async () => {
      ({ page: tabB, errors: errorsB } = await newPage(context));
      await openApp(tabB, stack.url);
    });

    afterEach(() => expect(errorsB).toEqual([]));

    it('opens the same session and shows a message sent in the first tab with its answer', async () => {
      expect(await tabB.locator('.session-name').innerText()).toBe(await tabA.locator('.session-name').innerText());
      const full = words('echo', 12);
      stack.fake!.script({ text: full, chunkDelayMs: 50 });
      await send(tabA, 'Sent from the first tab');
      await waitAnswered(tabA);

      const answerB = tabB.locator('nono-message.assistant').last().locator('nono-markdown');
      await answerB.getByText(/echo11/).waitFor();
      await waitAnswered(tabB);
      expect((await answerB.innerText()).trim()).toBe(full);
      expect(await tabB.locator('nono-message.user', { hasText: 'Sent from the first tab' }).count()).toBe(1);
      expect(await tabB.locator('nono-message').count()).toBe(4);

      const history = await (await apiOf(tabA, stack.url)).history();
      expect(history.at(-1)).toMatchObject({ role: 'assistant', content: full, status: 'complete' });
    });

    it('shows a rename and a new session from the first tab in its open session list', async () => {
      const listB = await openSessions(tabB);
      const oldName = await tabA.locator('.session-name').innerText();

      const listA = await openSessions(tabA);
      await listA.getByRole('button', { name: `Rename ${oldName}` }).click();
      const input = listA.getByRole('textbox', { name: 'New name' });
      await input.fill('Renamed in tab A');
      await listA.getByRole('button', { name: 'Save name' }).click();
      await listA.locator('nono-session-row', { hasText: 'Renamed in tab A' }).waitFor();
      await tabA.keyboard.press('Escape');
      await listA.waitFor({ state: 'detached' });

      await listB.locator('nono-session-row', { hasText: 'Renamed in tab A' }).waitFor();
      expect(await listB.locator('nono-session-row', { hasText: oldName }).count()).toBe(0);
      // The open session's header follows too.
      await tabB.locator('.session-name', { hasText: 'Renamed in tab A' }).waitFor();

      await tabA.getByRole('button', { name: 'New session' }).click();
      const create = tabA.getByRole('dialog', { name: 'New session' });
      await create.getByRole('textbox', { name: 'Display name' }).fill('Created in tab A');
      await create.getByRole('combobox', { name: 'Persona' }).click();
      await tabA.getByRole('option').first().click();
      await create.getByRole('button', { name: 'Create Session' }).click();
      await tabA.locator('.session-name', { hasText: 'Created in tab A' }).waitFor();

      await listB.locator('nono-session-row', { hasText: 'Created in tab A' }).waitFor();
      expect(await listB.locator('nono-session-row').count()).toBe(2);
      // Tab B keeps its own open session.
      expect(await tabB.locator('.session-name').innerText()).toBe('Renamed in tab A');
    });
  });
});
