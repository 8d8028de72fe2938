/**
 * `npm run bench:client` — a benchmark of the Run buttons in Chromium, not a test: prints what a
 * reader's browser loads and waits for on the built site (dist/, built first when missing or stale),
 * served locally with the production headers (tests/e2e/server.ts).
 *
 *   - bytes loaded before the first Run (page load, no interaction) and bytes the first Run adds;
 *   - cold first-Run latency: click → first output on screen, and click → verdict;
 *   - warm Run latency: median (and p90) of 20 runs, click → first output and click → verdict;
 *   - the first Run on a later page (`--later`, another page, after the first page's runs) and after
 *     a reload of the first page: click → first output, and its ratio to the cold first Run;
 *   - page JavaScript before any interaction, gzip bytes (what a static host would send).
 *   - the longest main-thread task while an example prints 200,000 lines (PerformanceObserver 'longtask').
 *
 * `--screenshots` also writes docs/screenshots/example-before-run.png and example-after-run.png.
 * `--page /finally/` picks the page (default /finally/). `--cold N` measures only the cold first
 * Run, N times, each in a fresh browser context, with when each file of the start reached the page
 * and when the frame's messages came (ms after the click); with `--block-sw`, without the site's
 * service worker (to see what it costs).
 */
import { readFile, mkdir } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import type { Locator, Page } from 'playwright-core';
import { buildSite, distIsStale } from '../tests/e2e/global-setup.ts';
import { editCode, launch } from '../tests/e2e/helpers.ts';
import { DIST, ROOT } from '../tests/e2e/paths.ts';
import { serveStatic, type StaticServer } from '../tests/e2e/server.ts';

const { values } = parseArgs({
  options: {
    screenshots: { type: 'boolean', default: false },
    page: { type: 'string', default: '/finally/' },
    runs: { type: 'string', default: '20' },
    later: { type: 'string' },
    cold: { type: 'string' },
    'block-sw': { type: 'boolean', default: false },
  },
});
const PAGE = values.page!;
const WARM_RUNS = Number(values.runs);

const kB = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const MB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;
const ms = (x: number) => `${x.toFixed(0)} ms`;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

async function gzipSize(path: string): Promise<number> {
  return gzipSync(await readFile(`${DIST}${path}`), { level: 9 }).length;
}

async function bytesOf(
  server: StaticServer,
  from: number,
  to = server.log.length,
): Promise<{ raw: number; gzip: number; files: string[] }> {
  const entries = server.log.slice(from, to).filter((e) => e.status === 200);
  let gzip = 0;
  for (const e of entries) gzip += await gzipSize(e.path);
  return { raw: entries.reduce((n, e) => n + e.bytes, 0), gzip, files: entries.map((e) => e.path) };
}

/**
 * Click Run on `example` and time, in the page, click → first transcript text, and click → the end
 * of the run (the verdict shown).
 */
async function timedRun(page: Page, example: Locator): Promise<{ firstOutput: number; done: number; verdict: string | null }> {
  await example.evaluate((node) => {
    const w = window as unknown as { __bench: { start: number; first: number; done: number } };
    w.__bench = { start: 0, first: 0, done: 0 };
    const button = node.querySelector<HTMLButtonElement>('.example-run-button')!;
    button.addEventListener('click', () => (w.__bench.start = performance.now()), { capture: true, once: true });
    const observer = new MutationObserver((mutations) => {
      if (!w.__bench.start) return;
      const panel = node.querySelector<HTMLElement>('.example-run');
      // First output: text added to the live transcript after the click (a reset only removes nodes).
      const wrote = mutations.some(
        (m) => m.type === 'childList' && m.addedNodes.length > 0 && (m.target as Element).closest?.('.example-run-transcript'),
      );
      if (!w.__bench.first && wrote) w.__bench.first = performance.now();
      if (panel && panel.dataset.state !== 'running' && node.querySelector('example-runner')?.getAttribute('data-state') === 'idle') {
        w.__bench.done = performance.now();
        observer.disconnect();
      }
    });
    observer.observe(node, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  await example.locator('.example-run-button').click();
  await page.waitForFunction(() => (window as unknown as { __bench: { done: number } }).__bench.done > 0, undefined, { timeout: 120_000 });
  const t = await page.evaluate(() => (window as unknown as { __bench: { start: number; first: number; done: number } }).__bench);
  const verdict = await example.locator('.example-run-verdict').getAttribute('data-verdict');
  return { firstOutput: (t.first || t.done) - t.start, done: t.done - t.start, verdict };
}

/**
 * Wait for the page's background start of Python (src/client/prestart.ts) to end: its runner frame
 * marked ready (host.ts sets `data-ready-ms`, the start's duration).
 * @returns the start's duration in ms (from the host's start to `ready`).
 */
async function backgroundStart(page: Page): Promise<number> {
  const frame = page.locator('iframe.example-runner-frame[data-ready-ms]');
  await frame.waitFor({ state: 'attached', timeout: 60_000 });
  return Number(await frame.getAttribute('data-ready-ms'));
}

/**
 * The first start's stages, from a trace holding the page's `bench:click` mark and the worker's
 * `python:*` marks (worker.ts): ms from the click to each mark, in the order they came.
 */
function startStages(trace: Buffer): string {
  const events = (JSON.parse(trace.toString('utf8')) as { traceEvents: { name: string; ts: number }[] }).traceEvents;
  const click = events.find((e) => e.name === 'bench:click')?.ts;
  if (click === undefined) return 'no click mark in the trace';
  return events
    .filter((e) => e.name.startsWith('python:'))
    .sort((a, b) => a.ts - b.ts)
    .map((e) => `${e.name.slice('python:'.length)} ${ms((e.ts - click) / 1000)}`)
    .join(', ');
}

/**
 * Arm the page to note, after the click, when each message of the runner frame came (by type,
 * the first of each) so that {@link pageTimeline} can list them. Call before the click.
 */
async function watchFrameMessages(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __frame: Record<string, number> };
    w.__frame = {};
    addEventListener('message', (event: MessageEvent) => {
      const type = (event.data as { type?: unknown } | null)?.type;
      if (typeof type === 'string' && !(type in w.__frame)) w.__frame[type] = performance.now();
    });
  });
}

/**
 * The page's side of the first start: ms after the click when each file fetched since the click was
 * whole in the page (Resource Timing `responseEnd`) and when each message type of the frame came.
 */
async function pageTimeline(page: Page): Promise<string> {
  const { files, frame, click } = await page.evaluate(() => {
    const click = performance.getEntriesByName('bench:click')[0]?.startTime ?? 0;
    const files = (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
      .filter((e) => e.startTime >= click - 1000 && e.responseEnd >= click)
      .map((e) => ({ name: e.name.slice(e.name.lastIndexOf('/') + 1), start: e.startTime, end: e.responseEnd }));
    return { files, frame: (window as unknown as { __frame: Record<string, number> }).__frame ?? {}, click };
  });
  const at = (t: number) => ms(t - click);
  return [
    ...files.map((f) => `${f.name} ${at(f.start)}→${at(f.end)}`),
    ...Object.entries(frame).map(([type, t]) => `frame:${type} ${at(t)}`),
  ].join(', ');
}

/**
 * `--cold N`: the cold first Run only, `runs` times, each in a fresh context (empty HTTP cache, no
 * service worker); prints click → first output, the worker's stages and the page's timeline.
 */
async function coldOnly(browser: Awaited<ReturnType<typeof launch>>, server: StaticServer, runs: number): Promise<void> {
  const figures: number[] = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ colorScheme: 'dark', serviceWorkers: values['block-sw'] ? 'block' : 'allow' });
    const page = await context.newPage();
    await page.goto(server.url + PAGE, { waitUntil: 'networkidle' });
    await page.waitForTimeout(500);
    const example = page.locator('div.example[data-code]').first();
    await example.scrollIntoViewIfNeeded();
    await browser.startTracing(page, { categories: ['blink.user_timing'] });
    await page.evaluate(() => {
      addEventListener('click', () => performance.mark('bench:click'), { capture: true, once: true });
    });
    await watchFrameMessages(page);
    const cold = await timedRun(page, example);
    const stages = startStages(await browser.stopTracing());
    figures.push(cold.firstOutput);
    console.log(`cold first Run ${i + 1}: click → first output ${ms(cold.firstOutput)} (verdict ${cold.verdict})`);
    console.log(`  worker: ${stages}`);
    console.log(`  page: ${await pageTimeline(page)}`);
    await context.close();
  }
  console.log(`cold first Run, click → first output: ${figures.map(ms).join(', ')}`);
}

/** Lines printed for the long-task figure: `for i in range(200_000): print(i)` (issue 13). */
const FLOOD_LINES = 200_000;

/**
 * Run `for i in range(lines): print(i)` in `example` (edited in its editor) and observe the page's
 * main thread with a PerformanceObserver for 'longtask' entries (tasks over 50 ms) until the run ends.
 * @returns the longest task (ms, 0 when none passed 50 ms), every task over 50 ms (ms, longest first),
 *   click → end of run (ms), and the 1-minute load average when the run ended (other jobs on the
 *   cores lengthen every task).
 */
async function printLines(
  page: Page,
  example: Locator,
  lines: number,
): Promise<{ longestTask: number; longTasks: number[]; done: number; load: number }> {
  await editCode(page, example, `for i in range(${lines}):\n    print(i)\n`);
  await page.evaluate(() => {
    const w = window as unknown as { __tasks: number[] };
    w.__tasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) w.__tasks.push(entry.duration);
    }).observe({ type: 'longtask' });
  });
  const { done } = await timedRun(page, example);
  const tasks = await page.evaluate(() => (window as unknown as { __tasks: number[] }).__tasks);
  return { longestTask: Math.max(0, ...tasks), longTasks: tasks.sort((a, b) => b - a), done, load: loadavg()[0]! };
}

if (await distIsStale()) {
  console.log('dist/ is missing or stale: npx astro build …');
  await buildSite();
}
const server = await serveStatic(DIST);
const browser = await launch();
try {
  const version = (await browser.version()).split(' ')[0];
  console.log(`client benchmark: ${PAGE} on ${server.url}, Chromium ${version}`);
  console.log(`machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
  console.log('(served from localhost without compression; gzip figures are what a compressing host would send)\n');
  if (values.cold) {
    await coldOnly(browser, server, Number(values.cold));
    await Promise.all([browser.close(), server.close()]);
    process.exit(0);
  }

  // A fresh context: empty HTTP cache, no service worker.
  const context = await browser.newContext({ colorScheme: 'dark' });
  const page = await context.newPage();
  const start = server.log.length;
  await page.goto(server.url + PAGE, { waitUntil: 'networkidle' });
  await page.waitForTimeout(500);
  const beforeRunIndex = server.log.length;
  const before = await bytesOf(server, start, beforeRunIndex);
  const js = before.files.filter((f) => f.endsWith('.js'));
  let jsGzip = 0;
  let jsRaw = 0;
  for (const f of js) {
    jsGzip += await gzipSize(f);
    jsRaw += (await readFile(`${DIST}${f}`)).length;
  }
  const pyodideBefore = before.files.filter((f) => f.includes('/pyodide/'));

  const examples = page.locator('div.example[data-code]');
  // The example used: the first whose recorded output has an exit status (stderr and status show).
  let index = 0;
  const count = await examples.count();
  for (let i = 0; i < count; i++) {
    if ((await examples.nth(i).locator('figure.example-output').getAttribute('data-exit-status')) !== '0') {
      index = i;
      break;
    }
  }
  const example = examples.nth(index);
  await example.scrollIntoViewIfNeeded();
  if (values.screenshots) {
    await mkdir(`${ROOT}/docs/screenshots`, { recursive: true });
    await example.screenshot({ path: `${ROOT}/docs/screenshots/example-before-run.png` });
  }
  // The worker's start stages (worker.ts `python:*` User Timing marks), from a trace of this Run.
  await browser.startTracing(page, { categories: ['blink.user_timing'] });
  await page.evaluate(() => {
    addEventListener('click', () => performance.mark('bench:click'), { capture: true, once: true });
  });
  const cold = await timedRun(page, example);
  const stages = startStages(await browser.stopTracing());
  await page.waitForTimeout(300);
  const atRun = await bytesOf(server, beforeRunIndex);
  if (values.screenshots) {
    await page.mouse.move(0, 0);
    await example.screenshot({ path: `${ROOT}/docs/screenshots/example-after-run.png` });
  }

  const warm: { firstOutput: number; done: number }[] = [];
  for (let i = 0; i < WARM_RUNS; i++) warm.push(await timedRun(page, example));
  const first = warm.map((w) => w.firstOutput);
  const done = warm.map((w) => w.done);

  // Later pages: the same tab goes to another page, then back and reloads (the service worker and
  // the caches hold what the first page loaded).
  const LATER = values.later ?? (PAGE === '/finally/' ? '/finally-vs-with/' : '/finally/');
  // Not 'networkidle': Playwright never sees it once the runner frame exists (a sandboxed srcdoc frame).
  await page.goto(server.url + LATER, { waitUntil: 'load' });
  const laterStart = await backgroundStart(page);
  const laterExample = page.locator('div.example[data-code]').first();
  await laterExample.scrollIntoViewIfNeeded();
  const later = await timedRun(page, laterExample);
  await page.goto(server.url + PAGE, { waitUntil: 'load' });
  await page.reload({ waitUntil: 'load' });
  const reloadStart = await backgroundStart(page);
  const reloaded = await timedRun(page, examples.nth(index));
  const ratio = (x: number) => `${(x / cold.firstOutput).toFixed(2)}× the cold first Run`;

  const flood = await printLines(page, examples.nth(index), FLOOD_LINES);
  const perFile = await Promise.all(js.map(async (f) => `${f.replace('/_astro/', '')} ${kB(await gzipSize(f))}`));
  const rows: [string, string][] = [
    [
      'bytes loaded before the first Run',
      `${MB(before.raw)} (${before.files.length} files; gzip ${kB(before.gzip)}); Pyodide files: ${pyodideBefore.length}`,
    ],
    ['page JS before any interaction', `${kB(jsGzip)} gzip (${kB(jsRaw)} raw, ${js.length} files)`],
    ['bytes the first Run adds', `${MB(atRun.raw)} (${atRun.files.length} files; gzip ${MB(atRun.gzip)})`],
    ['cold first Run: click → first output', ms(cold.firstOutput)],
    ['cold first Run: click → verdict', `${ms(cold.done)} (verdict: ${cold.verdict})`],
    ['cold first Run: click → worker stage (worker.ts marks)', stages],
    [`warm Run: click → first output (median / p90 of ${WARM_RUNS})`, `${ms(quantile(first, 0.5))} / ${ms(quantile(first, 0.9))}`],
    [`warm Run: click → verdict (median / p90 of ${WARM_RUNS})`, `${ms(quantile(done, 0.5))} / ${ms(quantile(done, 0.9))}`],
    [`later page (${LATER}), first Run: click → first output`, `${ms(later.firstOutput)} (${ratio(later.firstOutput)})`],
    ['after a reload, first Run: click → first output', `${ms(reloaded.firstOutput)} (${ratio(reloaded.firstOutput)})`],
    ['background start on the later page / after the reload', `${ms(laterStart)} / ${ms(reloadStart)}`],
    [
      `printing ${FLOOD_LINES.toLocaleString('en')} lines: longest main-thread task`,
      `${ms(flood.longestTask)} (${flood.longTasks.length} tasks over 50 ms${flood.longTasks.length ? `: ${flood.longTasks.map((t) => t.toFixed(0)).join(', ')}` : ''}; click → end of run ${ms(flood.done)}; load average ${flood.load.toFixed(1)})`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  console.log(`\npage JS before any interaction (gzip): ${perFile.join(', ')}`);
  console.log(`example: ${PAGE} line ${await example.getAttribute('data-example-line')}`);
  console.log('first Run loaded:');
  for (const f of atRun.files) console.log(`  ${f}`);
  if (values.screenshots) console.log('\nscreenshots: docs/screenshots/example-before-run.png, docs/screenshots/example-after-run.png');
  await context.close();
} finally {
  await browser.close();
  await server.close();
}
