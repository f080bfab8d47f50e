/**
 * The conversation in a real browser: stop, regenerate, failures with retry, untrusted markdown,
 * long histories paging in on scroll-up, and the "no model configured" hint.
 */
import { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, messages, newPage, openApp, screenshotPath, send, settleAnimations, waitAnswered } from './support/browser';
import { startStack, Stack } from './support/stack';

declare const window: any;
declare const document: any;
declare const navigator: any;
declare const localStorage: any;
declare const sessionStorage: any;

describe('chat in the browser', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    ({ page, errors } = await newPage(context));
    await openApp(page, stack.url);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  afterEach(() => expect(errors).toEqual([]));

  it('stops an answer mid-stream and keeps the part written so far', async () => {
    const words = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    stack.fake!.script({ text: words, chunkDelayMs: 100 });
    await send(page, 'Write sixty words');
    const draft = page.locator('nono-message[aria-busy="true"]');
    await draft.getByText(/word3/).waitFor();
    await page.getByRole('button', { name: 'Stop the answer' }).click();
    await waitAnswered(page);
    const answer = page.locator('nono-message.assistant').last();
    await answer.getByText('stopped').waitFor();
    await page.screenshot({ path: screenshotPath('desktop-stopped') });
    const kept = await answer.locator('nono-markdown').innerText();
    expect(kept).toMatch(/word3/);
    expect(kept).not.toMatch(/word59/);

    await page.reload();
    await page.locator('nono-message.assistant').last().getByText('stopped').waitFor();
    // The text may paint a moment after the "stopped" tag: wait for its last word, then compare.
    const reloaded = page.locator('nono-message.assistant').last().locator('nono-markdown');
    await reloaded.getByText(kept.split(' ').at(-1)!).waitFor();
    expect(await reloaded.innerText()).toBe(kept);
  });

  it('regenerates the last answer in place', async () => {
    stack.fake!.script({ text: 'Second thoughts.' });
    const before = await messages(page).count();
    await page.getByRole('button', { name: 'Regenerate the last answer' }).click();
    await waitAnswered(page);
    await page.locator('nono-message.assistant').last().getByText('Second thoughts.').waitFor();
    expect(await messages(page).count()).toBe(before);
  });

  it('never runs a script, an event handler or a javascript: link from a model answer', async () => {
    stack.fake!.script({
      text: [
        'Here you go:',
        '<script>window.__xssScript = true</script>',
        '<img src=x onerror="window.__xssImg = true">',
        '[click me](javascript:window.__xssLink=true)',
        '<a href="javascript:window.__xssRawLink=true">raw link</a>',
        '<svg><animate onbegin="window.__xssSvg = true" attributeName="x" dur="1s"></animate></svg>',
      ].join('\n\n'),
    });
    await send(page, 'Show me something dangerous');
    await waitAnswered(page);
    const answer = page.locator('nono-message.assistant').last();
    await answer.getByText('Here you go:').waitFor();
    const before = page.url();
    expect(new URL(before).pathname).toMatch(/^\/s\/s_/);
    const links = answer.locator('nono-markdown a');
    for (let i = 0; i < (await links.count()); i++) await links.nth(i).click({ force: true }).catch(() => undefined);
    await page.waitForTimeout(300);
    const fired = await page.evaluate(() => ({
      script: window.__xssScript,
      img: window.__xssImg,
      link: window.__xssLink,
      rawLink: window.__xssRawLink,
      svg: window.__xssSvg,
    }));
    expect(fired).toEqual({ script: undefined, img: undefined, link: undefined, rawLink: undefined, svg: undefined });
    const dangerous = await answer.evaluate((el: any) => ({
      scripts: el.querySelectorAll('script').length,
      handlers: Array.from(el.querySelectorAll('*')).filter((n: any) => Array.from(n.attributes).some((a: any) => a.name.startsWith('on'))).length,
      jsLinks: Array.from(el.querySelectorAll('[href]')).filter((n: any) => /^\s*javascript:/i.test(n.getAttribute('href'))).length,
    }));
    expect(dangerous).toEqual({ scripts: 0, handlers: 0, jsLinks: 0 });
    // What the model wrote stays readable as text.
    expect(await answer.innerText()).toContain('<script>window.__xssScript = true</script>');
    // No link took the page anywhere: it is still at the open session's address.
    expect(page.url()).toBe(before);
  });

  it('renders markdown with highlighted code and a working copy button', async () => {
    stack.fake!.script({ text: 'Use this:\n\n```python\ndef greet(name):\n    return f"Hello {name}"\n```' });
    await send(page, 'A python function please');
    await waitAnswered(page);
    const answer = page.locator('nono-message.assistant').last();
    await answer.locator('pre .hljs-keyword', { hasText: 'def' }).waitFor();
    await answer.getByRole('button', { name: 'Copy code' }).click();
    await answer.getByText('Copied').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toContain('def greet(name):');
  });

  it('shows a failed turn with its error and retries it', async () => {
    stack.fake!.script({ status: 500, errorMessage: 'upstream exploded' }, { status: 500, errorMessage: 'upstream exploded' }, { status: 500, errorMessage: 'upstream exploded' });
    await send(page, 'This one fails first');
    await waitAnswered(page);
    const failed = page.locator('nono-message.assistant.failed').last();
    await failed.getByRole('alert').waitFor();
    expect(await failed.getByRole('alert').innerText()).toMatch(/\w/);
    await settleAnimations(page);
    await page.screenshot({ path: screenshotPath('desktop-failed-turn') });
    stack.fake!.reset();
    stack.fake!.script({ text: 'Worked on the second try.' });
    await failed.getByRole('button', { name: 'Retry' }).click();
    await waitAnswered(page);
    await page.locator('nono-message.assistant').last().getByText('Worked on the second try.').waitFor();
    expect(await page.locator('nono-message.failed').count()).toBe(0);
  });

  it('opens a long history at the newest page and loads older pages on scroll-up', async () => {
    const sessionId = await page.evaluate(() => sessionStorage.getItem('nono.session'));
    const token = await page.evaluate(() => JSON.parse(localStorage.getItem('nono.identity') ?? '{}').token);
    const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    const clear = await fetch(`${stack.url}/api/sessions/${sessionId}/messages`, { method: 'DELETE', headers });
    expect(clear.status).toBe(200);
    stack.fake!.setDefault((request) => ({ text: `answer to ${String(request.messages.at(-1)?.content)}` }));
    for (let i = 0; i < 60; i++) {
      const response = await fetch(`${stack.url}/api/sessions/${sessionId}/messages`, { method: 'POST', headers, body: JSON.stringify({ content: `question ${i}` }) });
      expect(response.status).toBe(201);
    }
    await page.reload();
    await page.locator('nono-message.user', { hasText: 'question 59' }).waitFor();
    // The newest messages paint first; the rest of the first page is added above them right after.
    await page.waitForFunction(() => document.querySelectorAll('nono-message').length === 50);
    await page.waitForTimeout(200);
    expect(await messages(page).count()).toBe(50);
    expect(await page.locator('nono-message.user', { hasText: /^question 0$/ }).count()).toBe(0);

    // Scroll to the top: the next page arrives above, and the message being read stays where it was.
    const oldestShown = page.locator('nono-message.user', { hasText: /question 35$/ });
    await page.locator('nono-message-list .scroller').evaluate((el: any) => (el.scrollTop = -el.scrollHeight));
    const before = (await oldestShown.boundingBox())!.y;
    await page.waitForFunction(() => document.querySelectorAll('nono-message').length === 100);
    await page.waitForTimeout(100);
    expect(Math.abs((await oldestShown.boundingBox())!.y - before)).toBeLessThan(2);

    for (let i = 0; i < 10 && (await messages(page).count()) < 120; i++) {
      await page.locator('nono-message-list .scroller').evaluate((el: any) => (el.scrollTop = -el.scrollHeight));
      await page.waitForTimeout(150);
    }
    expect(await messages(page).count()).toBe(120);
    await page.locator('nono-message.user', { hasText: /^You.*question 0$/s }).first().waitFor({ state: 'attached' });
    expect(await page.getByRole('button', { name: 'Load older messages' }).count()).toBe(0);
  });
});

describe('chat with no model configured', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack({ model: false }), launchBrowser()]);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('says chat is not set up and whom to tell, and keeps the message for a retry', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const { page, errors } = await newPage(context);
    await openApp(page, stack.url);
    await send(page, 'Hello?');
    const banner = page.locator('nono-chat-panel .banner[role="alert"]');
    await banner.waitFor();
    expect(await banner.innerText()).toContain('Tell the administrator');
    expect(await banner.innerText()).not.toMatch(/OPENAI_|LLM_/);
    const unsent = page.locator('nono-message.user.failed');
    await unsent.getByText('not sent', { exact: true }).waitFor();
    expect(await unsent.getByRole('alert').innerText()).toContain('chat is not set up yet');
    await unsent.getByRole('button', { name: 'Retry' }).waitFor();
    await settleAnimations(page);
    await page.screenshot({ path: screenshotPath('desktop-no-model') });
    expect(errors).toEqual([]);
    await context.close();
  });
});
