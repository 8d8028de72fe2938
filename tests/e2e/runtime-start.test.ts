/**
 * Python starts from the build's memory snapshot (src/integrations/snapshot.ts), made in Node and
 * restored in Chromium: the first Run of a reader's first page restores it (no cold load, no
 * snapshot taken in the browser) and reproduces the recorded output. On a later page, and after a
 * reload, Python was started in the background from what the service worker cached
 * (src/client/prestart.ts), with no Pyodide byte from the network, so the first Run is a warm run.
 */
import type { Page } from 'playwright-core';
import { expect, inject, test } from 'vitest';
import { readLive, useBrowser, waitForEnd } from './helpers.ts';

const baseURL = inject('baseURL');
const session = useBrowser();

/** Record, in the page, what the runner frame posts: progress stages and whether `ready` carried a snapshot. */
async function watchFrame(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen = { stages: [] as string[], ready: 0, readyWithSnapshot: 0 };
    (window as unknown as { __frame: typeof seen }).__frame = seen;
    addEventListener('message', (event) => {
      const data = event.data as { type?: string; stage?: string; snapshot?: unknown };
      // The runner frame's messages: its origin is opaque.
      if (event.origin !== 'null') return;
      if (data?.type === 'progress' && data.stage) seen.stages.push(data.stage);
      if (data?.type === 'ready') {
        seen.ready++;
        if (data.snapshot) seen.readyWithSnapshot++;
      }
    });
  });
}

const frameSeen = (page: Page) =>
  page.evaluate(() => (window as unknown as { __frame: { stages: string[]; ready: number; readyWithSnapshot: number } }).__frame);

/** Click Run on the first runnable example; resolves with click → first output in ms and the verdict. */
async function firstRun(page: Page): Promise<{ ms: number; verdict: string | null }> {
  const example = page.locator('div.example[data-code]:not(.example-norun)').first();
  await example.scrollIntoViewIfNeeded();
  await example.evaluate((node) => {
    const w = window as unknown as { __run: { start: number; first: number } };
    w.__run = { start: 0, first: 0 };
    node.querySelector('.example-run-button')!.addEventListener('click', () => (w.__run.start = performance.now()), { capture: true });
    new MutationObserver((mutations, observer) => {
      if (w.__run.start && mutations.some((m) => m.addedNodes.length && (m.target as Element).closest?.('.example-run-transcript'))) {
        w.__run.first = performance.now();
        observer.disconnect();
      }
    }).observe(node, { subtree: true, childList: true });
  });
  await example.locator('.example-run-button').click();
  await waitForEnd(example, 120_000);
  const t = await page.evaluate(() => (window as unknown as { __run: { start: number; first: number } }).__run);
  return { ms: t.first - t.start, verdict: (await readLive(example)).verdict };
}

test('the first start restores the build snapshot; a later page and a reload start Python before the first Run, from the cache', async () => {
  const context = await session.newContext();
  const page = await context.newPage();
  await watchFrame(page);
  const runtimeFile = (url: string) => url.includes('/pyodide/') || url.endsWith('.snapshot');
  // What the page asked for, and what the service worker had to fetch from the network (Chromium
  // reports a service worker's own requests with `serviceWorker()` set).
  const requested: string[] = [];
  const pyodideFromNetwork: string[] = [];
  page.on('request', (request) => runtimeFile(request.url()) && requested.push(request.url()));
  context.on('request', (request) => request.serviceWorker() && runtimeFile(request.url()) && pyodideFromNetwork.push(request.url()));

  await page.goto(`${baseURL}/finally/`);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 15_000 });
  // A page never run on: nothing started in the background.
  await page.waitForTimeout(1500);
  expect(await page.locator('iframe.example-runner-frame').count()).toBe(0);
  const cold = await firstRun(page);
  expect(cold.verdict).toBe('match');
  const first = await frameSeen(page);
  // A restore: the worker never loaded Pyodide cold ('start') nor sent a snapshot of its own.
  expect(first).toMatchObject({ ready: 1, readyWithSnapshot: 0 });
  expect(first.stages).not.toContain('start');
  expect(requested.some((url) => url.endsWith('.snapshot'))).toBe(true);
  // The service worker has stored the runtime (the page asked it to once Python was ready).
  await page.waitForFunction(
    async () => {
      const keys = await Promise.all((await caches.keys()).map(async (name) => (await caches.open(name)).keys()));
      return keys.flat().some((request) => request.url.endsWith('.snapshot'));
    },
    undefined,
    { timeout: 30_000, polling: 250 },
  );
  // Stored from the bytes the page fetched: the service worker fetched none of them itself.
  expect(pyodideFromNetwork).toEqual([]);

  for (const later of [`${baseURL}/finally-vs-with/`, 'reload']) {
    pyodideFromNetwork.length = 0;
    if (later === 'reload') await page.reload();
    else await page.goto(later);
    // Started in the background: the frame's `ready` arrives with no click.
    await page.waitForFunction(() => (window as unknown as { __frame: { ready: number } }).__frame.ready === 1, undefined, {
      timeout: 60_000,
    });
    const warm = await firstRun(page);
    expect(warm.verdict, later).toBe('match');
    expect(pyodideFromNetwork, later).toEqual([]);
    // A warm run against a start from scratch: an order of magnitude apart, so a loose bound.
    expect(warm.ms, later).toBeLessThan(cold.ms * 0.5);
  }
});
