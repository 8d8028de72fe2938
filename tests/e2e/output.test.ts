/**
 * Any output, without freezing (issue 13, part 3): a run that prints 200,000 lines keeps the page
 * responsive (a long-task observer sees no task near the 11.8 s freeze this replaced), the panel's
 * DOM and height stay bounded (the first and last lines, and a note counting those between), Stop
 * clicked while output floods in raises KeyboardInterrupt, and the note about dropped output gives
 * KiB/MiB.
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, inject, test } from 'vitest';
import { editCode, readLive, useBrowser, waitForEnd } from './helpers.ts';

const baseURL = inject('baseURL');
const session = useBrowser();

/**
 * The longest main-thread task the page has seen since {@link watchLongTasks}, in ms (0: none over
 * 50 ms, the Long Tasks API's threshold).
 */
const longestTask = (page: Page) => page.evaluate(() => (window as unknown as { __longest: number }).__longest);

/** What the transcript's DOM did in one redraw: one MutationObserver callback (session.ts redraws in a task of its own). */
interface Redraw {
  /** performance.now() of the callback, ms. */
  at: number;
  /** Nodes added or removed in the transcript (childList records). */
  nodes: number;
  /** Text nodes whose data changed in the transcript (characterData records). */
  texts: number;
  /** The "lines hidden" note was in the transcript. */
  gap: boolean;
}

/** Start recording what each redraw changes in the transcript of `example`'s run. */
async function watchRedraws(example: Locator): Promise<void> {
  await example.evaluate((node) => {
    const w = window as unknown as { __redraws: Redraw[] };
    w.__redraws = [];
    new MutationObserver((records) => {
      const inTranscript = records.filter((r) =>
        (r.target instanceof Element ? r.target : r.target.parentElement)?.closest('pre.example-run-transcript'),
      );
      if (inTranscript.length === 0) return;
      w.__redraws.push({
        at: performance.now(),
        nodes: inTranscript.filter((r) => r.type === 'childList').length,
        texts: inTranscript.filter((r) => r.type === 'characterData').length,
        gap: node.querySelector('.example-run-gap') !== null,
      });
    }).observe(node, { subtree: true, childList: true, characterData: true });
  });
}

/** Start recording long tasks (PerformanceObserver 'longtask'). */
async function watchLongTasks(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __longest: number };
    w.__longest = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) w.__longest = Math.max(w.__longest, entry.duration);
    }).observe({ type: 'longtask' });
  });
}

/**
 * The longest task allowed. The issue's goal is 100 ms; npm run bench:client prints the figure
 * (0–127 ms over 20 floods with the 2 cores' load average at 3.5–8, since the panel redraws at most
 * every 100 ms and in place; 64–400 ms before, up to 517 ms at 7–9 before output was batched).
 * A task's duration is CPU time it could not get as much as work it did, and a test on 2 shared
 * cores must not fail because another job took the CPU during one task: so the test guards against
 * a freeze (the bug: 11.8 s) and against the redraw's cost growing back, with a bound four times
 * the longest task measured under that load. The redraws themselves are checked exactly below.
 */
const FREEZE_MS = 500;

async function firstExample(page: Page) {
  const example = page.locator('div.example[data-code]').first();
  await example.locator('example-runner').waitFor();
  return example;
}

describe('200,000 lines of output', () => {
  test('no main-thread task near a freeze, a bounded panel with head, tail and the count between, sizes in KiB', async () => {
    const page = await session.open(`${baseURL}/finally/`);
    const example = await firstExample(page);
    await editCode(page, example, 'for i in range(200_000):\n    print(i)\n');
    await watchLongTasks(page);
    await watchRedraws(example);
    await example.locator('.example-run-button').click();
    await waitForEnd(example, 120_000);
    const longest = await longestTask(page);
    const redraws = await page.evaluate(() => (window as unknown as { __redraws: Redraw[] }).__redraws);
    const live = await readLive(example);
    expect(live.state).toBe('done');
    expect(live.exitStatus).toBe(0);
    expect(longest).toBeLessThan(FREEZE_MS);

    // The redraws while the flood lasts: once the panel is full (the note shown), they replace
    // text in place and add or remove no node (a node inserted restyles the whole example), and
    // they come at most every 100 ms (session.ts REDRAW_INTERVAL_MS; timers never fire early).
    const full = redraws.findIndex((r) => r.gap);
    expect(full).toBeGreaterThanOrEqual(0);
    const later = redraws.slice(full + 1);
    expect(later.length).toBeGreaterThan(0);
    expect(later.filter((r) => r.nodes > 0)).toEqual([]);
    expect(later.every((r) => r.texts > 0)).toBe(true);
    // The last redraw is the end of the run's, shown at once.
    const paced = redraws.slice(0, -1);
    for (let i = 1; i < paced.length; i++) expect(paced[i]!.at - paced[i - 1]!.at).toBeGreaterThanOrEqual(90);

    // The runner keeps 1 MiB: 200,000 lines are 1,288,890 bytes, so 240,314 bytes were dropped.
    expect(live.note).toContain('234.7 KiB of output past the 1.0 MiB limit were dropped');
    const kept = Array.from({ length: 200_000 }, (_, i) => `${i}\n`)
      .join('')
      .slice(0, 1 << 20);
    const head = live.chunks
      .slice(0, 1)
      .map((c) => c.text)
      .join('');
    const tail = live.chunks
      .slice(1)
      .map((c) => c.text)
      .join('');
    // The head: the first 200 lines, whole; the tail: the last lines the limit kept (a partial one at the very end).
    expect(head).toBe(kept.split('\n').slice(0, 200).join('\n') + '\n');
    expect(kept.endsWith(tail)).toBe(true);
    const tailLines = tail.split('\n').length - 1;
    expect(tailLines).toBeGreaterThanOrEqual(50);
    expect(tailLines).toBeLessThan(1_000);
    const gap = await example.locator('.example-run-gap').textContent();
    const hidden = Number(/… ([\d,]+) lines hidden/.exec(gap ?? '')?.[1]?.replace(/,/g, ''));
    // Every line kept is shown or counted.
    expect(200 + hidden + tailLines).toBe(kept.split('\n').length - 1);

    // The panel's height is capped and it scrolls, reachable from the keyboard.
    const box = await example.locator('pre.example-run-transcript').evaluate((pre) => ({
      height: pre.getBoundingClientRect().height,
      scrolls: pre.scrollHeight > pre.clientHeight,
      tabIndex: pre.tabIndex,
      nodes: pre.querySelectorAll('*').length,
    }));
    expect(box.height).toBeLessThan(800);
    expect(box.scrolls).toBe(true);
    expect(box.tabIndex).toBe(0);
    expect(box.nodes).toBeLessThan(100);
  }, 180_000);

  /** Start a run that floods output, click Stop once the head is full, and wait for the end. */
  async function stopMidFlood(page: Page) {
    const example = await firstExample(page);
    await editCode(page, example, 'try:\n    for i in range(10**8):\n        print(i)\nfinally:\n    print("finally ran")\n');
    await watchLongTasks(page);
    await example.locator('.example-run-button').click();
    // Output is streaming (the head is full and lines are being hidden): stop now.
    await example.locator('.example-run-gap').waitFor({ timeout: 120_000 });
    const status = example.locator('.example-run-status');
    await example.locator('.example-stop-button').click();
    // The click is handled at once: the status says the interrupt was sent, or (the worker now
    // takes it within milliseconds) already that it was raised.
    expect(await status.textContent()).toMatch(/^(Stopping: KeyboardInterrupt sent|Stopped: KeyboardInterrupt raised)/);
    await waitForEnd(example, 60_000);
    return example;
  }

  test('Stop clicked while output floods in ends the run, and the page stays responsive', async () => {
    const page = await session.open(`${baseURL}/finally/`);
    const example = await stopMidFlood(page);
    const live = await readLive(example);
    expect(['stopped', 'killed']).toContain(live.state);
    expect(await longestTask(page)).toBeLessThan(FREEZE_MS);
    // The next run works.
    await editCode(page, example, 'print("next")\n');
    await example.locator('.example-run-button').click();
    await waitForEnd(example, 60_000);
    expect((await readLive(example)).text).toBe('next\n');
  }, 240_000);

  // The worker merges writes (chunk-batch.ts): 200,000 prints no longer queue 200,000 messages
  // ahead of Stop's `interrupt`, so the interrupt arrives within the grace period.
  test('Stop clicked while output floods in raises KeyboardInterrupt (finally runs)', async () => {
    const page = await session.open(`${baseURL}/finally/`);
    const example = await stopMidFlood(page);
    const live = await readLive(example);
    expect(live.state).toBe('stopped');
    expect(live.exitStatus).toBe(130);
    expect(live.text).toContain('finally ran');
  }, 240_000);
});

describe('sizes people read', () => {
  test('a single 1.5 MB line: its dropped part in KiB, and the panel keeps only its ends', async () => {
    const page = await session.open(`${baseURL}/finally/`);
    const example = await firstExample(page);
    await editCode(page, example, 'print("x" * 1_500_000)\n');
    await example.locator('.example-run-button').click();
    await waitForEnd(example, 120_000);
    const live = await readLive(example);
    // 1,500,001 bytes written, 1,048,576 kept: 451,425 bytes = 440.8 KiB dropped.
    expect(live.note).toContain('440.8 KiB of output past the 1.0 MiB limit were dropped');
    expect(live.note).not.toMatch(/\d bytes/);
    expect(live.text.length).toBeLessThan(60_000);
    expect(await example.locator('.example-run-gap').textContent()).toMatch(/^… [\d,]+ characters hidden \([\d.]+ KiB of text\)/);
  }, 180_000);
});
