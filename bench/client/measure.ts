import { Browser, Page } from 'playwright-core';
import { Seeded } from './seed';

declare const window: any;
declare const document: any;
declare const localStorage: any;
declare const performance: any;
declare const PerformanceObserver: any;
declare const MutationObserver: any;
declare const requestAnimationFrame: any;

export interface PaintSample {
  /** ms from navigation start until the frame after the first page of messages entered the DOM was painted. */
  messagesPainted: number;
  firstContentfulPaint: number;
  largestContentfulPaint: number;
  messagesInDom: number;
}

/**
 * Runs before the app: puts the seeded identity in localStorage (the session comes from the
 * address, /s/{id}, as after a refresh or from a link) and records when the newest message is on screen: the first task after the frame that
 * contained it, i.e. after it was painted.
 */
function installProbe(args: { identity: string; sessionId: string; newest: string }): void {
  localStorage.setItem('nono.identity', args.identity);
  // Clients built before sessions had URLs read the open session from here.
  localStorage.setItem('nono.session', args.sessionId);
  const probe: any = (window.__paintProbe = { lcp: 0, fcp: 0 });
  new PerformanceObserver((list: any) => {
    for (const entry of list.getEntries()) {
      if (entry.entryType === 'largest-contentful-paint') probe.lcp = entry.startTime;
      if (entry.name === 'first-contentful-paint') probe.fcp = entry.startTime;
    }
  }).observe({ type: 'largest-contentful-paint', buffered: true });
  new PerformanceObserver((list: any) => {
    for (const entry of list.getEntries()) if (entry.name === 'first-contentful-paint') probe.fcp = entry.startTime;
  }).observe({ type: 'paint', buffered: true });
  const observer = new MutationObserver(() => {
    const messages = document.querySelectorAll('nono-message');
    const last = messages[messages.length - 1];
    if (!last || !last.textContent.includes(args.newest)) return;
    observer.disconnect();
    probe.count = messages.length;
    requestAnimationFrame(() => setTimeout(() => (probe.painted = performance.now()), 0));
  });
  observer.observe(document, { childList: true, subtree: true, characterData: true });
}

export async function measureFirstPaint(browser: Browser, url: string, seeded: Seeded, newest: string): Promise<PaintSample> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    const identity = JSON.stringify({ user_id: seeded.userId, token: seeded.token });
    await page.addInitScript(installProbe, { identity, sessionId: seeded.sessionId, newest });
    await page.goto(`${url}/s/${seeded.sessionId}`);
    await page.waitForFunction(() => window.__paintProbe?.painted !== undefined, null, { timeout: 20_000 });
    await page.waitForTimeout(100);
    const probe = await page.evaluate(() => window.__paintProbe);
    return { messagesPainted: probe.painted, firstContentfulPaint: probe.fcp, largestContentfulPaint: probe.lcp, messagesInDom: probe.count };
  } finally {
    await context.close();
  }
}

/**
 * A first visit (fresh browser context, no identity stored): ms from navigation start until a
 * session is open and the message box takes input, as the browser tests' waitReady checks it.
 */
export async function measureFirstOpen(browser: Browser, url: string): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    await page.goto(url);
    const ready = await page.waitForFunction(
      () => {
        const box = document.querySelector('#message-input');
        return document.querySelector('.session-name') && box && !box.disabled ? performance.now() : false;
      },
      null,
      { timeout: 20_000 },
    );
    return (await ready.jsonValue()) as number;
  } finally {
    await context.close();
  }
}

export interface ScrollSample {
  loadAllMs: number;
  messagesInDom: number;
  frames: number[];
}

/** Loads every page by scrolling up, then scrolls the whole history back down, timing each frame. */
export async function measureScrolling(page: Page, total: number): Promise<ScrollSample> {
  const started = Date.now();
  let count = 0;
  while ((count = await page.locator('nono-message').count()) < total) {
    await page.locator('nono-message-list .scroller').evaluate((el: any) => (el.scrollTop = -el.scrollHeight));
    await page.waitForTimeout(30);
    if (Date.now() - started > 120_000) {
      const state = await page.evaluate(() => ({
        spinner: !!document.querySelector('.older mat-spinner'),
        button: !!document.querySelector('.load-older'),
        scroll: document.querySelector('nono-message-list .scroller').scrollTop,
        height: document.querySelector('nono-message-list .scroller').scrollHeight,
        notice: document.querySelector('.banner')?.textContent ?? null,
      }));
      throw new Error(`older pages did not all load within 2 minutes (${count} of ${total} loaded; ${JSON.stringify(state)})`);
    }
  }
  const loadAllMs = Date.now() - started;
  const frames: number[] = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const scroller = document.querySelector('nono-message-list .scroller');
        scroller.scrollTop = -scroller.scrollHeight;
        const times: number[] = [];
        let last = performance.now();
        const step = () => {
          const now = performance.now();
          times.push(now - last);
          last = now;
          // 600 px a frame: a fast fling through the whole history.
          scroller.scrollTop = Math.min(0, scroller.scrollTop + 600);
          if (scroller.scrollTop >= 0 || times.length > 2000) resolve(times.slice(1));
          else requestAnimationFrame(step);
        };
        requestAnimationFrame(step);
      }),
  );
  return { loadAllMs, messagesInDom: await page.locator('nono-message').count(), frames };
}

export interface ListSample {
  loadAllMs: number;
  rowsInDom: number;
  frames: number[];
}

/** Opens the Sessions dialog, scrolls until every page is loaded, then flings back to the top timing each frame. */
export async function measureSessionsDialog(page: Page, total: number): Promise<ListSample> {
  await page.getByRole('button', { name: 'Sessions' }).click();
  const viewport = page.locator('cdk-virtual-scroll-viewport');
  await page.locator('nono-session-row').first().waitFor();
  const started = Date.now();
  const status = page.locator('nono-sessions-dialog .status');
  while (!(await status.innerText()).startsWith(`${total} sessions.`)) {
    await viewport.evaluate((el: any) => (el.scrollTop = el.scrollHeight));
    await page.waitForTimeout(30);
    if (Date.now() - started > 120_000) throw new Error(`sessions did not all load within 2 minutes: ${await status.innerText()}`);
  }
  const loadAllMs = Date.now() - started;
  const frames: number[] = await viewport.evaluate(
    (el: any) =>
      new Promise((resolve) => {
        const times: number[] = [];
        let last = performance.now();
        const step = () => {
          const now = performance.now();
          times.push(now - last);
          last = now;
          el.scrollTop = Math.max(0, el.scrollTop - 1200);
          if (el.scrollTop <= 0 || times.length > 2000) resolve(times.slice(1));
          else requestAnimationFrame(step);
        };
        requestAnimationFrame(step);
      }),
  );
  return { loadAllMs, rowsInDom: await page.locator('nono-session-row').count(), frames };
}
