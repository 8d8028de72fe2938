/**
 * The browser twin of build verification: on every page, every runnable example is run with its
 * Run button (Pyodide in a Web Worker, the shared runner), and what the live panel shows must match
 * the output recorded in the MDX source, compared by the verifier's own code (a `stdout=pipe` block
 * runs as `> out.txt 2>&1` in the browser too, and says so). Not-run examples show their reason and
 * have no Run button; native ones have none either.
 */
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { diffOutputs, outputsMatch } from '../../src/examples/compare.ts';
import { transcriptFromChunks } from '../../src/examples/output.ts';
import { stdioLabel } from '../../src/examples/stdio-options.ts';
import { contentPages, exampleAt, launch, readLive, waitForEnd, openDisclosures } from './helpers.ts';

const baseURL = inject('baseURL');
const pages = await contentPages();
let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
});

describe.each(pages.filter((p) => p.blocks.length > 0))('$file', ({ file, path, blocks }) => {
  test('every runnable example reproduces its recorded output in the browser', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(baseURL + path);
    await openDisclosures(page);
    const drifts: string[] = [];
    let ran = 0;
    for (const block of blocks) {
      const example = exampleAt(page, block.line);
      await expect(example.count(), `${file}:${block.line} is on the page`).resolves.toBe(1);
      if (block.meta.norun !== null) {
        await expect(example.locator('.example-run-button').count()).resolves.toBe(0);
        await expect(example.locator('.example-note').textContent()).resolves.toBe(`Not run: ${block.meta.norun}`);
        continue;
      }
      if (!block.output) continue; // not recorded yet: `npm run verify` fails on it, nothing to compare here
      if (block.meta.runtime === 'native') {
        // Verified with native CPython at build time: no visible Run here, only its recorded output.
        await expect(example.locator('.example-run-button:visible').count()).resolves.toBe(0);
        await expect(example.locator('.example-native-note').count()).resolves.toBe(1);
        continue;
      }
      // stdout=pipe / env=: the recorded output says how the block ran; the run then says it too.
      const mode = stdioLabel(block.meta.stdout, block.meta.env);
      if (mode) await expect(example.locator('figure.example-output figcaption').textContent()).resolves.toBe(`Output (${mode})`);
      await example.locator('.example-run-button').click();
      await waitForEnd(example, 60_000 + (block.meta.timeoutMs ?? 0));
      const live = await readLive(example);
      ran++;
      if (mode) await expect(example.locator('.example-run-mode').textContent()).resolves.toBe(`(${mode})`);
      const label = `${file}:${block.line}`;
      if (live.state !== 'done' || live.exitStatus === null) {
        drifts.push(`${label}: the run ended as "${live.state}": ${live.note}`);
        continue;
      }
      const actual = transcriptFromChunks(live.chunks, live.exitStatus);
      if (!outputsMatch(block.output.recorded, actual, block.meta))
        drifts.push(diffOutputs(label, block.output.recorded, actual, block.meta));
      else if (live.verdict !== 'match') drifts.push(`${label}: output matches, but the page's verdict is "${live.verdict}"`);
    }
    expect(drifts.join('\n\n')).toBe('');
    expect(errors).toEqual([]);
    expect(ran).toBeGreaterThan(0);
    await page.close();
  }, 300_000);
});
