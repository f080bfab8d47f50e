/**
 * Browser hardening in a real browser: the app and the API docs run under their
 * Content-Security-Policy with no violation, and an image a model answer points at another server
 * is shown as a link and never requested.
 */
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, newPage, openApp, send, waitAnswered } from './support/browser';
import { startStack, Stack } from './support/stack';

declare const document: any;
declare const window: any;

/** Collects CSP violation reports of every document the page loads, in `window.__violations`. */
async function watchViolations(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e: any) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return () => page.evaluate(() => window.__violations as string[]);
}

describe('browser hardening', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  /** Another origin standing in for an attacker's server: records every request it gets. */
  let tracker: Server;
  let trackerUrl: string;
  const trackerHits: string[] = [];

  beforeAll(async () => {
    tracker = createServer((req, res) => {
      trackerHits.push(req.url ?? '');
      res.writeHead(200, { 'Content-Type': 'image/gif' }).end(Buffer.from('R0lGODlhAQABAAAAACw=', 'base64'));
    });
    await new Promise<void>((resolve) => tracker.listen(0, '127.0.0.1', resolve));
    trackerUrl = `http://127.0.0.1:${(tracker.address() as AddressInfo).port}`;
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    tracker?.closeAllConnections();
    await new Promise((resolve) => tracker?.close(resolve));
  });

  it('runs the chat under its Content-Security-Policy without a single violation', async () => {
    const { page, errors } = await newPage(context);
    const violations = await watchViolations(page);
    const response = await page.goto(stack.url);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await openApp(page, stack.url);
    stack.fake!.script({ text: 'A table and code:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```ts\nconst x = 1;\n```' });
    await send(page, 'Show me markdown');
    await waitAnswered(page);
    await page.locator('nono-message.assistant').last().locator('pre .hljs-keyword', { hasText: 'const' }).waitFor();
    await page.getByRole('button', { name: 'Sessions' }).click();
    await page.getByRole('dialog', { name: 'Sessions' }).waitFor();
    await page.keyboard.press('Escape');
    expect(await violations()).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows an image hosted elsewhere as a link and never requests it', async () => {
    const { page, errors } = await newPage(context);
    const violations = await watchViolations(page);
    await openApp(page, stack.url);
    const chart = `${trackerUrl}/chart.png?q=the-secret`;
    const bare = `${trackerUrl}/bare.png`;
    stack.fake!.script({ text: `Here is the chart: ![the chart](${chart})\n\nAnd another: ![](${bare})` });
    await send(page, 'Draw me a chart');
    await waitAnswered(page);
    const answer = page.locator('nono-message.assistant').last().locator('nono-markdown');
    await answer.getByRole('link', { name: 'the chart' }).waitFor();
    expect(await answer.getByRole('link', { name: 'the chart' }).getAttribute('href')).toBe(chart);
    expect(await answer.getByRole('link', { name: bare }).getAttribute('href')).toBe(bare);
    expect(await answer.locator('img').count()).toBe(0);
    // The history view renders stored answers again: still no image there.
    await page.reload();
    await page.locator('nono-message.assistant').last().getByRole('link', { name: 'the chart' }).waitFor();
    expect(await page.locator('nono-markdown img').count()).toBe(0);

    expect(trackerHits).toEqual([]);
    expect(await violations()).toEqual([]);
    expect(errors).toEqual([]);
    // The tracker does answer when asked, so its silence above means the page never asked.
    await fetch(`${trackerUrl}/control`);
    expect(trackerHits).toEqual(['/control']);
    await page.close();
  });

  it('serves the API docs (Swagger UI) working under the policy', async () => {
    const { page, errors } = await newPage(context);
    const violations = await watchViolations(page);
    await page.goto(`${stack.url}/api/docs`);
    await page.getByRole('heading', { name: /nono-chat API/ }).waitFor();
    await page.getByText('/api/personas', { exact: true }).first().waitFor();
    expect(await violations()).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
