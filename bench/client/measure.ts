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
  /** Where the time went: named steps of the load, ms from navigation start (see startupSteps). */
  steps: Record<string, number>;
}

/** What the page reports about its own load: navigation and resource timing, and the app's `nono:` marks. */
interface LoadTimings {
  htmlEnd: number;
  domInteractive: number;
  marks: Record<string, number>;
  resources: { path: string; start: number; end: number }[];
}

function collectTimings(): LoadTimings {
  const nav = performance.getEntriesByType('navigation')[0];
  const marks: Record<string, number> = {};
  for (const mark of performance.getEntriesByType('mark')) if (mark.name.startsWith('nono:')) marks[mark.name.slice(5)] = mark.startTime;
  const resources = performance
    .getEntriesByType('resource')
    .map((r: any) => ({ path: new URL(r.name).pathname, start: r.startTime, end: r.responseEnd }));
  return { htmlEnd: nav.responseEnd, domInteractive: nav.domInteractive, marks, resources };
}

/** Start-up API calls, by the path they ask for. */
const API_STEPS: [string, RegExp][] = [
  ['GET /api/auth/config', /^\/api\/auth\/config$/],
  ['GET /api/me', /^\/api\/me$/],
  ['GET /api/personas', /^\/api\/personas$/],
  ['GET /api/sessions/{id}', /^\/api\/sessions\/[^/]+$/],
  ['GET /api/sessions/{id}/messages', /^\/api\/sessions\/[^/]+\/messages$/],
];

/**
 * The load as named steps (ms from navigation start; `a → b` rows give the start and end of a
 * request): document, scripts, the app's own marks, each start-up API call, fonts, paints.
 * Only what happened before the newest messages were painted counts.
 */
function startupSteps(t: LoadTimings, painted: number, fcp: number): Record<string, number> {
  const steps: Record<string, number> = {};
  const before = t.resources.filter((r) => r.start < painted);
  const mainAt = t.marks['main'] ?? painted;
  const initialJs = before.filter((r) => r.path.endsWith('.js') && r.start < mainAt);
  const lazyJs = before.filter((r) => r.path.endsWith('.js') && r.start >= mainAt);
  const fonts = before.filter((r) => /\.(woff2?|ttf|otf)$/.test(r.path));
  const css = before.filter((r) => r.path.endsWith('.css'));
  steps['HTML received'] = t.htmlEnd;
  if (css.length) steps['stylesheet received'] = Math.max(...css.map((r) => r.end));
  if (initialJs.length) {
    steps['initial scripts: last request sent'] = Math.max(...initialJs.map((r) => r.start));
    steps['initial scripts: last received'] = Math.max(...initialJs.map((r) => r.end));
  }
  steps['first contentful paint'] = fcp;
  for (const [name, label] of [
    ['main', 'app code evaluated (mark main)'],
    ['requests', 'start-up requests sent (mark requests)'],
    ['bootstrapped', 'app bootstrapped (mark bootstrapped)'],
  ]) {
    if (t.marks[name] !== undefined) steps[label] = t.marks[name];
  }
  for (const [label, pattern] of API_STEPS) {
    // The first call of its kind: later ones (a refresh after the page is up) are not start-up.
    const first = before.filter((r) => pattern.test(r.path)).sort((a, b) => a.start - b.start)[0];
    if (first) {
      steps[`${label}: sent`] = first.start;
      steps[`${label}: answered`] = first.end;
    }
  }
  if (lazyJs.length) steps[`lazy scripts (${lazyJs.length}) received`] = Math.max(...lazyJs.map((r) => r.end));
  if (fonts.length) {
    steps[`fonts (${fonts.length}): first sent`] = Math.min(...fonts.map((r) => r.start));
    steps[`fonts: last received`] = Math.max(...fonts.map((r) => r.end));
  }
  if (t.marks['history'] !== undefined) steps['history page in the state (mark history)'] = t.marks['history'];
  if (t.marks['messages-rendered'] !== undefined) steps['messages in the DOM (mark messages-rendered)'] = t.marks['messages-rendered'];
  steps['newest messages painted'] = painted;
  return steps;
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
    const timings = await page.evaluate(collectTimings);
    return {
      messagesPainted: probe.painted,
      firstContentfulPaint: probe.fcp,
      largestContentfulPaint: probe.lcp,
      messagesInDom: probe.count,
      steps: startupSteps(timings, probe.painted, probe.fcp),
    };
  } finally {
    await context.close();
    // What the page still had going (idle work, requests the server is answering) ends before the
    // next measurement starts: in an A/B run, neither build pays for the other's leftovers.
    await new Promise((resolve) => setTimeout(resolve, 500));
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
        loading: !!document.querySelector('.older mat-progress-bar'),
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
