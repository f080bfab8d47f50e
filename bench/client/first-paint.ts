/**
 * In headless Chromium: a first visit's time until a new guest can type (budget: 1 s from
 * navigation), first paint of a 2,000-message session (budget: 500 ms from navigation to the
 * newest messages painted), how smoothly the whole history scrolls once loaded, and how the
 * Sessions dialog scrolls through thousands of sessions.
 *   npm run bench:client            (BENCH_SKIP_BUILD=1 reuses existing builds)
 * BENCH_BASELINE_CLIENT=<dir of an earlier client build> also serves that build (same server, same
 * data) and measures both first paints in alternation, printing the ratio: on a shared, noisy
 * machine the ratio holds where absolute times do not. BENCH_PAINT_ONLY=1 skips the scrolling parts.
 * Runs its own redis-server and fake model; builds the server into a private folder.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { startFakeOpenAI } from '../../test/support/fake-openai';
import { buildServer, startNono, startRedis } from '../common/processes';
import { percentile, table } from '../common/stats';
import { measureFirstOpen, measureFirstPaint, measureScrolling, measureSessionsDialog, PaintSample } from './measure';
import { seedSession, seedSessions } from './seed';

const ROOT = resolve(__dirname, '../..');
const CLIENT_DIR = resolve(ROOT, 'dist/client/browser');
const TURNS = Number(process.env.BENCH_TURNS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 2000);
const BUDGET_MS = 500;
const READY_BUDGET_MS = 1000;
const INITIAL_JS_BUDGET_KB = 150;
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

function buildClient(): void {
  if (process.env.BENCH_SKIP_BUILD === '1' && existsSync(resolve(CLIENT_DIR, 'index.html'))) return;
  process.stdout.write('building the client (ng build) …\n');
  execFileSync(process.execPath, ['node_modules/@angular/cli/bin/ng.js', 'build'], { cwd: ROOT, stdio: 'inherit', timeout: 300_000 });
}

const f = (n: number) => n.toFixed(0);

/**
 * The JavaScript the page loads before it can start, gzipped: the scripts and module preloads named
 * in index.html and everything they import statically (the build names at most ten preloads; the
 * rest are found by the browser in the entry's imports, but are no less initial).
 */
function initialJavaScriptKb(): { files: number; kb: number; preloaded: number } {
  const html = readFileSync(resolve(CLIENT_DIR, 'index.html'), 'utf8');
  const named = new Set<string>();
  for (const match of html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="([^"]+\.js)"/g)) named.add(match[1].replace(/^\//, ''));
  const names = new Set<string>();
  const visit = (name: string) => {
    if (names.has(name)) return;
    names.add(name);
    const code = readFileSync(resolve(CLIENT_DIR, name), 'utf8');
    // Static imports only (`import"./x.js"`, `from"./x.js"`); `import("./x.js")` loads later.
    for (const match of code.matchAll(/(?:\bfrom|\bimport)\s*["']\.\/([^"']+\.js)["']/g)) visit(match[1]);
  };
  for (const name of named) visit(name);
  let bytes = 0;
  for (const name of names) bytes += gzipSync(readFileSync(resolve(CLIENT_DIR, name))).length;
  return { files: names.size, kb: bytes / 1024, preloaded: named.size };
}

/** One row per load step, in the order the p50s fall; the baseline's p50 beside it when measured. */
function breakdown(samples: PaintSample[], baseline: PaintSample[] | null): string {
  const p50Step = (list: PaintSample[], step: string) => {
    const values = list.map((s) => s.steps[step]).filter((v) => v !== undefined);
    return values.length ? percentile(values, 50) : undefined;
  };
  const names = new Set(samples.flatMap((s) => Object.keys(s.steps)));
  const rows = [...names].map((name) => ({ name, p50: p50Step(samples, name)! })).sort((a, b) => a.p50 - b.p50);
  const header = baseline ? ['step', 'p50', 'baseline p50'] : ['step', 'p50'];
  return table([
    header,
    ...rows.map(({ name, p50 }) => {
      const row = [name, f(p50)];
      if (baseline) {
        const other = p50Step(baseline, name);
        row.push(other === undefined ? '-' : f(other));
      }
      return row;
    }),
  ]);
}

async function main(): Promise<void> {
  buildClient();
  const main = buildServer();
  const redis = await startRedis();
  const fake = await startFakeOpenAI();
  const app = await startNono(main, redis.url, fake.url, { CLIENT_DIR, LOG_LEVEL: 'warn' });
  const baselineDir = process.env.BENCH_BASELINE_CLIENT;
  const baseline = baselineDir ? await startNono(main, redis.url, fake.url, { CLIENT_DIR: resolve(baselineDir), LOG_LEVEL: 'warn' }) : null;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ARGS });
  let failed = 0;
  const initial = initialJavaScriptKb();
  const jsOver = initial.kb > INITIAL_JS_BUDGET_KB;
  process.stdout.write(
    `initial JavaScript: ${initial.kb.toFixed(1)} KB gzip in ${initial.files} files (${initial.preloaded} named in index.html); budget ${INITIAL_JS_BUDGET_KB} KB: ${jsOver ? 'OVER' : 'met'}\n\n`,
  );
  if (jsOver) failed++;
  try {
    await measureFirstOpen(browser, app.url); // warms the server and the OS file cache
    const ready: number[] = [];
    for (let i = 0; i < RUNS; i++) ready.push(await measureFirstOpen(browser, app.url));
    const readyP50 = percentile([...ready], 50);
    process.stdout.write(
      `first visit, new guest, ready to type (${RUNS} runs, fresh browser context):\n` +
        `${table([['ms from navigation', 'p50', 'max'], ['ready to type', f(readyP50), f(Math.max(...ready))]])}\n` +
        `budget ${READY_BUDGET_MS} ms: ${readyP50 > READY_BUDGET_MS ? 'OVER' : 'met'} (p50 ${f(readyP50)} ms)\n\n`,
    );
    if (readyP50 > READY_BUDGET_MS) failed++;

    process.stdout.write(`seeding ${TURNS * 2} messages through the API …\n`);
    const seeded = await seedSession(app.url, fake, TURNS);
    process.stdout.write(`  ${seeded.messages} messages in ${seeded.seconds.toFixed(1)} s\n`);
    const newest = `Answer ${TURNS - 1}.`;

    await measureFirstPaint(browser, app.url, seeded, newest); // warms the server and the OS file cache
    if (baseline) await measureFirstPaint(browser, baseline.url, seeded, newest);
    const samples: PaintSample[] = [];
    const baselineSamples: PaintSample[] = [];
    for (let i = 0; i < RUNS; i++) {
      samples.push(await measureFirstPaint(browser, app.url, seeded, newest));
      if (baseline) baselineSamples.push(await measureFirstPaint(browser, baseline.url, seeded, newest));
    }
    const p50Of = (list: PaintSample[], pick: (s: PaintSample) => number) => percentile(list.map(pick), 50);
    const rows = [baseline ? ['fresh browser context, ms', 'p50', 'min', 'max', 'baseline p50', 'ratio'] : ['fresh browser context, ms', 'p50', 'min', 'max']];
    for (const [label, pick] of [
      ['first contentful paint', (s: PaintSample) => s.firstContentfulPaint],
      ['largest contentful paint', (s: PaintSample) => s.largestContentfulPaint],
      ['newest messages painted', (s: PaintSample) => s.messagesPainted],
    ] as const) {
      const values = samples.map(pick);
      const row = [label, f(percentile(values, 50)), f(Math.min(...values)), f(Math.max(...values))];
      if (baseline) row.push(f(p50Of(baselineSamples, pick)), (p50Of(samples, pick) / p50Of(baselineSamples, pick)).toFixed(2));
      rows.push(row);
    }
    process.stdout.write(`\nfirst paint of a ${seeded.messages}-message session (${RUNS} runs, ${samples[0].messagesInDom} messages rendered at first):\n${table(rows)}\n`);
    process.stdout.write(`\nwhere the time goes (p50 of each step over the runs, ms from navigation; requests as sent → answered):\n${breakdown(samples, baseline ? baselineSamples : null)}\n`);
    const p50 = p50Of(samples, (s) => s.messagesPainted);
    if (p50 > BUDGET_MS) failed++;
    process.stdout.write(`budget ${BUDGET_MS} ms: ${p50 > BUDGET_MS ? 'OVER' : 'met'} (p50 ${f(p50)} ms)\n`);
    if (process.env.BENCH_PAINT_ONLY !== '1') {

      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await context.addInitScript(
        ({ identity }) => (globalThis as any).localStorage.setItem('nono.identity', identity),
        { identity: JSON.stringify({ user_id: seeded.userId, token: seeded.token }) },
      );
      const page = await context.newPage();
      await page.goto(`${app.url}/s/${seeded.sessionId}`);
      await page.locator('nono-message').first().waitFor();
      const scroll = await measureScrolling(page, seeded.messages);
      const long = scroll.frames.filter((t) => t > 50).length;
      process.stdout.write(
        `\nscrolling all ${scroll.messagesInDom} messages (loaded page by page in ${(scroll.loadAllMs / 1000).toFixed(1)} s), ${scroll.frames.length} frames at 600 px/frame:\n` +
          table([
            ['frame time, ms', 'p50', 'p95', 'max', '> 50 ms'],
            ['', f(percentile(scroll.frames, 50)), f(percentile(scroll.frames, 95)), f(Math.max(...scroll.frames)), String(long)],
          ]) +
          '\n',
      );

      process.stdout.write(`\nadding ${SESSIONS - 1} sessions …\n`);
      await seedSessions(app.url, seeded.token, SESSIONS - 1);
      const list = await measureSessionsDialog(page, SESSIONS);
      process.stdout.write(
        `sessions dialog: ${SESSIONS} sessions loaded page by page in ${(list.loadAllMs / 1000).toFixed(1)} s, ${list.rowsInDom} rows in the DOM, ${list.frames.length} frames at 1200 px/frame:\n` +
          table([
            ['frame time, ms', 'p50', 'p95', 'max', '> 50 ms'],
            ['', f(percentile(list.frames, 50)), f(percentile(list.frames, 95)), f(Math.max(...list.frames)), String(list.frames.filter((t) => t > 50).length)],
          ]) +
          '\n',
      );
      await context.close();
    }
  } finally {
    await browser.close();
    await app.stop();
    await baseline?.stop();
    await fake.close();
    await redis.stop();
  }
  process.stdout.write(`\n${3 - failed} passed, ${failed} failed\n`);
  process.exit(failed > 0 ? 1 : 0);
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
