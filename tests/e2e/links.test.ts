/**
 * Edits that last and links that hold (src/client/edit-store.ts, src/client/share-link.ts): an
 * edit survives a reload with a "Restored your edit · Reset" note; share links and permalinks name
 * an example by its stable id (computed here from the content file alone, with the build's own
 * function), so they do not depend on its line; old line-based links still open their example.
 */
import { readFile } from 'node:fs/promises';
import type { Locator, Page } from 'playwright-core';
import { expect, inject, test } from 'vitest';
import { codeHash } from '../../src/examples/example-id.ts';
import { extractExamples } from '../../src/examples/extract.ts';
import { EDIT_KEY_PREFIX } from '../../src/client/edit-store.ts';
import { encodeCode } from '../../src/client/share-link.ts';
import { contentPages, editCode, exampleAt, run, useBrowser } from './helpers.ts';
import { ROOT } from './paths.ts';

const baseURL = inject('baseURL');
const PAGE = '/finally/';
const FILE = 'content/finally.mdx';
const session = useBrowser();

// The runnable examples of the page, read from its source as the verifier reads them.
const blocks = extractExamples(FILE, await readFile(`${ROOT}/${FILE}`, 'utf8')).blocks.filter(
  (b) => b.meta.norun === null && b.meta.runtime === 'pyodide',
);
const first = blocks[0]!;
const last = blocks.at(-1)!;

/** Keys of the edits this page's origin keeps. */
const storedEdits = (page: Page) =>
  page.evaluate((prefix) => Object.keys(localStorage).filter((key) => key.startsWith(prefix)), EDIT_KEY_PREFIX);

/** Whether the element's top edge is within the viewport (after any scroll). */
const inViewport = (locator: Locator) =>
  locator.evaluate((node) => {
    const { top, bottom } = node.getBoundingClientRect();
    return top >= 0 && top < innerHeight && bottom > 0;
  });

test('an edit survives a reload, shown with a "Restored your edit · Reset" note; Reset brings back the original and forgets it', async () => {
  const page = await session.open(baseURL + PAGE);
  const example = exampleAt(page, first.line);
  await editCode(page, example, 'print("kept across reloads")');
  expect(await storedEdits(page)).toEqual([`${EDIT_KEY_PREFIX}${PAGE}#${codeHash(first.code)}`]);

  await page.reload();
  const restored = exampleAt(page, first.line);
  const note = restored.locator('.example-restored');
  await note.waitFor();
  expect(await note.textContent()).toMatch(/^Restored your edit · Reset/);
  expect(await restored.locator('.cm-content').textContent()).toBe('print("kept across reloads")');
  // Restoring does not take the reader's focus, and the restored code is what runs.
  expect(await page.evaluate(() => document.activeElement?.closest('.example-editor') ?? null)).toBeNull();
  expect((await run(restored)).text).toBe('kept across reloads\n');

  await note.getByRole('button', { name: /^Reset / }).click();
  await restored.locator('.example-editor').waitFor({ state: 'detached' });
  expect(await restored.locator(':scope > .expressive-code').isVisible()).toBe(true);
  expect(await storedEdits(page)).toEqual([]);
  await page.reload();
  await exampleAt(page, first.line).locator('example-runner').waitFor();
  expect(await page.locator('.example-restored, .example-editor').count()).toBe(0);
});

test('editing back to the original code keeps nothing', async () => {
  const page = await session.open(baseURL + PAGE);
  const example = exampleAt(page, first.line);
  await editCode(page, example, 'print("x")');
  expect(await storedEdits(page)).toHaveLength(1);
  await editCode(page, example, first.code);
  expect(await storedEdits(page)).toEqual([]);
});

test('Copy link names the example by its id; a link built from the code alone opens it, whatever its line', async () => {
  const context = await session.newContext();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
  const page = await context.newPage();
  await page.goto(baseURL + PAGE);
  const example = exampleAt(page, last.line);
  await editCode(page, example, 'print("shared by id")');
  await example.locator('.example-share-button').click();
  await example.locator('.example-run-status', { hasText: 'Link' }).waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(new URL(copied).hash).toBe(`#example-${codeHash(last.code)}=${encodeCode('print("shared by id")')}`);

  // No line in the link: only the hash of the example's original code, computed from the source.
  const other = await session.open(`${baseURL}${PAGE}#example-${codeHash(last.code)}=${encodeCode('print(1 + 1)')}`);
  const shared = exampleAt(other, last.line);
  await shared.locator('.cm-content', { hasText: 'print(1 + 1)' }).waitFor();
  expect(await inViewport(shared)).toBe(true);
  expect(await other.locator('.example-editor').count()).toBe(1);
});

test('an old line-based share link still opens the example at that line', async () => {
  const page = await session.open(`${baseURL}${PAGE}#example-${last.line}=${encodeCode('print("old link")')}`);
  const example = exampleAt(page, last.line);
  await example.locator('.cm-content', { hasText: 'print("old link")' }).waitFor();
  expect(await example.getAttribute('data-example-id')).toBe(codeHash(last.code));
});

test('each example has a permalink anchor: the link scrolls to it, and its control is reached with Tab', async () => {
  const anchor = `#example-${codeHash(last.code)}`;
  const page = await session.open(baseURL + PAGE + anchor);
  const target = page.locator(anchor);
  expect(await target.getAttribute('data-example-line')).toBe(String(last.line));
  expect(await page.evaluate(() => scrollY)).toBeGreaterThan(0);
  expect(await inViewport(target)).toBe(true);

  // From the top: Tab from the first example's Copy button reaches its permalink, Enter follows it.
  await page.goto(baseURL + PAGE);
  const example = exampleAt(page, first.line);
  const permalink = example.locator('example-runner a.example-permalink');
  expect(await permalink.getAttribute('href')).toBe(`#example-${codeHash(first.code)}`);
  expect(await permalink.textContent()).toBe('Permalink to example 1');
  await example.locator('.example-copy-button').focus();
  await page.keyboard.press('Tab');
  expect(await permalink.evaluate((node) => node === document.activeElement)).toBe(true);
  await page.keyboard.press('Enter');
  await expect.poll(() => page.evaluate(() => location.hash)).toBe(`#example-${codeHash(first.code)}`);
  expect(await inViewport(example)).toBe(true);
});

test('every example of every page has its anchor and a permalink to it, with the id the verifier computes', async () => {
  const context = await session.newContext();
  const page = await context.newPage();
  for (const { path, blocks: pageBlocks } of await contentPages()) {
    await page.goto(baseURL + path);
    const found = await page.locator('div.example').evaluateAll((nodes) =>
      nodes.map((node) => ({
        line: Number((node as HTMLElement).dataset.exampleLine),
        id: node.id,
        href: node.querySelector('a.example-permalink')?.getAttribute('href') ?? null,
      })),
    );
    expect(found.length, path).toBe(pageBlocks.length);
    for (const block of pageBlocks) {
      expect(
        found.find((f) => f.line === block.line),
        `${path}:${block.line}`,
      ).toEqual({
        line: block.line,
        id: `example-${block.id}`,
        href: `#example-${block.id}`,
      });
    }
  }
});
