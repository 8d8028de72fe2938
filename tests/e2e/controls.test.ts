/**
 * The Run/Stop/Edit/Reset/Copy controls in a real browser: Stop raises KeyboardInterrupt (finally
 * runs) and kills what ignores it; output is text, never HTML; the keyboard alone is enough;
 * Pyodide is not loaded before the reader shows intent; a page read once still runs offline.
 */
import type { Page } from 'playwright-core';
import { describe, expect, inject, test } from 'vitest';
import { readFile } from 'node:fs/promises';
import { editCode, readLive, run, useBrowser, waitForEnd } from './helpers.ts';
import { ROOT } from './paths.ts';

const baseURL = inject('baseURL');
const plainURL = inject('plainURL');
const PAGE = '/finally/';
const { version: PYODIDE_VERSION } = JSON.parse(await readFile(`${ROOT}/node_modules/pyodide/package.json`, 'utf8')) as { version: string };

const session = useBrowser();
const open = (url = baseURL + PAGE) => session.open(url);

const firstExample = (page: Page) => page.locator('div.example[data-code]').first();

const LOOP_WITH_FINALLY = 'try:\n    print("looping")\n    while True:\n        pass\nfinally:\n    print("finally ran")\n';

/** Run `while True: pass` (inside try/finally) in the page's first example; resolves once it is looping. */
async function startLoop(page: Page) {
  const example = firstExample(page);
  await editCode(page, example, LOOP_WITH_FINALLY);
  await example.locator('.example-run-button').click();
  await example.locator('pre.example-run-transcript', { hasText: 'looping' }).waitFor({ timeout: 60_000 });
  return example;
}

describe('Stop', () => {
  test('raises KeyboardInterrupt in `while True: pass` within 2 s; the finally line and traceback show', async () => {
    const page = await open();
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const example = await startLoop(page);
    const started = Date.now();
    await example.locator('.example-stop-button').click();
    await waitForEnd(example, 5_000);
    const elapsed = Date.now() - started;
    const live = await readLive(example);
    expect(elapsed).toBeLessThan(2_000);
    expect(live.state).toBe('stopped');
    expect(live.exitStatus).toBe(130);
    expect(live.text).toContain('looping\nfinally ran\n');
    expect(live.text).toMatch(/Traceback \(most recent call last\):[\s\S]*KeyboardInterrupt/);
    expect(live.chunks.find((c) => c.text.includes('KeyboardInterrupt'))?.stream).toBe('stderr');
    expect(await example.locator('.example-run-status').textContent()).toMatch(/Stopped: KeyboardInterrupt/);
    // The next run works, from fresh state.
    await editCode(page, example, 'print("again")');
    expect((await run(example)).text).toBe('again\n');
  });

  test('kills a run that ignores KeyboardInterrupt after the grace period, says so, and starts a fresh Python', async () => {
    const page = await open();
    const example = firstExample(page);
    await editCode(
      page,
      example,
      'while True:\n    try:\n        while True:\n            pass\n    except KeyboardInterrupt:\n        print("ignored")\n    finally:\n        print("inner finally")\n',
    );
    await example.locator('.example-run-button').click();
    await example.locator('.example-run-status', { hasText: 'Running' }).waitFor({ timeout: 60_000 });
    await page.waitForTimeout(200);
    await example.locator('.example-stop-button').click();
    await waitForEnd(example, 10_000);
    const live = await readLive(example);
    expect(live.state).toBe('killed');
    expect(live.exitStatus).toBeNull();
    expect(live.note).toMatch(/Killed after .*the Python worker was killed\. No finally block ran after that point/);
    await editCode(page, example, 'print("fresh")');
    const restarted = await run(example, 30_000);
    expect(restarted.state).toBe('done');
    expect(restarted.text).toBe('fresh\n');
  }, 60_000);

  test('without cross-origin isolation, kills at once and says why', async () => {
    const page = await open(plainURL + PAGE);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
    const example = await startLoop(page);
    const started = Date.now();
    await example.locator('.example-stop-button').click();
    await waitForEnd(example, 5_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    const live = await readLive(example);
    expect(live.state).toBe('killed');
    expect(live.text).not.toContain('finally ran');
    expect(live.note).toContain('not cross-origin isolated');
    expect(live.note).toContain('No finally block ran');
    await editCode(page, example, 'print("fresh")');
    expect((await run(example)).text).toBe('fresh\n');
  });
});

test('a second Run waits for the running example, then runs from fresh state', async () => {
  const page = await open();
  const [first, second] = [firstExample(page), page.locator('div.example[data-code]').nth(1)];
  await editCode(page, first, LOOP_WITH_FINALLY);
  await first.locator('.example-run-button').click();
  await first.locator('pre.example-run-transcript', { hasText: 'looping' }).waitFor({ timeout: 60_000 });
  await second.locator('.example-run-button').click();
  await second.locator('.example-run-status', { hasText: 'Waiting for another example' }).waitFor();
  await first.locator('.example-stop-button').click();
  await waitForEnd(first, 5_000);
  await waitForEnd(second, 30_000);
  expect((await readLive(first)).state).toBe('stopped');
  expect((await readLive(second)).verdict).toBe('match');
});

test('leaving a page mid-run raises no page error', async () => {
  const page = await open();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const example = firstExample(page);
  await editCode(page, example, LOOP_WITH_FINALLY);
  await example.locator('.example-run-button').click();
  await example.locator('pre.example-run-transcript', { hasText: 'looping' }).waitFor({ timeout: 60_000 });
  await page.reload();
  expect(errors).toEqual([]);
});

test('output is inserted as text: printed HTML shows literally and runs nothing', async () => {
  const page = await open();
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  const example = firstExample(page);
  const payload = '<img src=x onerror=alert(1)>';
  await editCode(page, example, `import sys\nprint(${JSON.stringify(payload)})\nprint("<script>alert(2)</script>", file=sys.stderr)\n`);
  const live = await run(example);
  expect(live.text).toBe(`${payload}\nstderr: <script>alert(2)</script>\n`);
  expect(live.chunks).toEqual([
    { stream: 'stdout', text: `${payload}\n` },
    { stream: 'stderr', text: '<script>alert(2)</script>\n' },
  ]);
  expect(await example.locator('.example-run img, .example-run script').count()).toBe(0);
  await page.waitForTimeout(500);
  expect(dialogs).toEqual([]);
  expect(live.verdict).toBe('edited');
});

test('keyboard only: Tab to Run, Enter runs; Edit, type, Ctrl+Enter runs the edit; Esc leaves the editor', async () => {
  const page = await open();
  const example = firstExample(page);
  const focusedClass = () => page.evaluate(() => document.activeElement?.className ?? '');
  for (let i = 0; i < 300 && !(await focusedClass()).includes('example-run-button'); i++) await page.keyboard.press('Tab');
  expect(await focusedClass()).toContain('example-run-button');
  // The first Run button reached by Tab is the first example's.
  expect(await example.locator('.example-run-button').evaluate((b) => b === document.activeElement)).toBe(true);
  await page.keyboard.press('Enter');
  await waitForEnd(example);
  expect((await readLive(example)).verdict).toBe('match');
  // Focus stayed on Run: Tab reaches Step, then Edit (Stop is gone once the run ended).
  await page.keyboard.press('Tab');
  expect(await focusedClass()).toContain('example-step-button');
  await page.keyboard.press('Tab');
  expect(await focusedClass()).toContain('example-edit-button');
  await page.keyboard.press('Enter');
  await example.locator('.cm-content').waitFor();
  await page.waitForFunction(() => document.activeElement?.classList.contains('cm-content'));
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText('print("typed")');
  await page.keyboard.press('Control+Enter');
  await waitForEnd(example);
  const live = await readLive(example);
  expect(live.text).toBe('typed\n');
  expect(live.verdict).toBe('edited');
  await page.keyboard.press('Escape');
  expect(await focusedClass()).toContain('example-run-button');
  // Reset (reached by Tab, after Step) restores the original code and removes the edited run's output.
  await page.keyboard.press('Tab');
  expect(await focusedClass()).toContain('example-step-button');
  await page.keyboard.press('Tab');
  expect(await focusedClass()).toContain('example-reset-button');
  await page.keyboard.press('Enter');
  expect(await example.locator('.cm-editor').count()).toBe(0);
  expect(await example.locator(':scope > .expressive-code').isVisible()).toBe(true);
  expect(await example.locator('.example-run').count()).toBe(0);
  // Reset is gone: focus went to Edit; Shift+Tab is Step, then Run.
  await page.keyboard.press('Shift+Tab');
  expect(await focusedClass()).toContain('example-step-button');
  await page.keyboard.press('Shift+Tab');
  expect(await focusedClass()).toContain('example-run-button');
  await page.keyboard.press('Enter');
  await waitForEnd(example);
  expect((await readLive(example)).verdict).toBe('match');
});

test('after a traceback, the editor marks the line it points at and the status says it; editing clears the mark', async () => {
  const page = await open();
  const example = firstExample(page);
  await editCode(page, example, 'x = 1\nprint(y)\nprint("never")\n');
  await example.locator('.example-run-button').click();
  await waitForEnd(example);
  const marked = example.locator('.cm-line.example-editor-error-line');
  await expect(marked.count()).resolves.toBe(1);
  await expect(marked.textContent()).resolves.toBe('print(y)');
  await expect(marked.getAttribute('title')).resolves.toBe("NameError: name 'y' is not defined");
  await expect(example.locator('.example-run-status').textContent()).resolves.toMatch(/The traceback points at line 2 of your code\.$/);
  await example.locator('.cm-content').focus();
  await page.keyboard.press('End');
  await page.keyboard.type(' ');
  await expect(marked.count()).resolves.toBe(0);
});

test('controls have accessible names, status is in text, norun blocks have no Run button', async () => {
  const page = await open();
  const example = firstExample(page);
  const names = await example.locator('example-runner button:visible').evaluateAll((buttons) => buttons.map((b) => b.textContent));
  expect(names).toEqual(['Run example 1', 'Step through example 1', 'Edit example 1', 'Copy the code of example 1']);
  expect(await example.locator('[role="status"]').count()).toBe(1);
  const norun = page.locator('div.example-norun');
  for (const block of await norun.all()) {
    expect(await block.locator('button.example-button').count()).toBe(0);
    expect(await block.locator('.example-note').textContent()).toMatch(/^Not run: ./);
  }
});

test('Copy puts the code on the clipboard; a share link reopens the edited code', async () => {
  const context = await session.newContext();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
  const page = await context.newPage();
  await page.goto(baseURL + PAGE);
  const example = firstExample(page);
  const code = await example.getAttribute('data-code');
  await example.locator('.example-copy-button').click();
  await example.locator('.example-run-status', { hasText: 'copied' }).waitFor();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(code);
  await editCode(page, example, 'print("shared")');
  await example.locator('.example-share-button').click();
  await example.locator('.example-run-status', { hasText: 'Link' }).waitFor();
  const link = await page.evaluate(() => navigator.clipboard.readText());
  // Keyed by the example's stable id, not its line (tests/e2e/links.test.ts).
  expect(link).toContain(`#example-${await example.getAttribute('data-example-id')}=`);
  const other = await context.newPage();
  await other.goto(link);
  const id = /#example-([a-z0-9-]+)=/.exec(link)![1];
  const shared = other.locator(`div.example[data-example-id="${id}"]`);
  await shared.locator('.cm-content', { hasText: 'print("shared")' }).waitFor();
  expect((await run(shared)).text).toBe('shared\n');
});

test('no Pyodide bytes before intent; hover on Run warms up; the editor loads only on Edit', async () => {
  const page = await open();
  const requests: string[] = [];
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  page.context().on('request', (r) => requests.push(new URL(r.url()).pathname));
  await page.waitForLoadState('networkidle');
  const loaded = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname));
  expect([...loaded, ...requests].filter((p) => p.includes('/pyodide/') || /\/(session|editor|worker)[.-]/.test(p))).toEqual([]);
  await firstExample(page).locator('.example-run-button').hover();
  await expect.poll(() => requests.some((p) => p.endsWith('pyodide.asm.wasm')), { timeout: 10_000 }).toBe(true);
  expect(requests.some((p) => /\/editor\./.test(p))).toBe(false);
  await firstExample(page).locator('.example-edit-button').click();
  await expect.poll(() => requests.some((p) => /\/editor\./.test(p))).toBe(true);
});

test('offline: a page read once (and run once) still runs its examples with the network cut', async () => {
  const page = await open();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 10_000 });
  const live = await run(firstExample(page));
  expect(live.verdict).toBe('match');
  // The service worker stores the runtime as it is fetched, plus what was loaded before it took control.
  await page
    .waitForFunction(
      async (version) => {
        const files = ['pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide.asm.mjs', 'pyodide.mjs', 'pyodide-lock.json'];
        const hits = await Promise.all(files.map((f) => caches.match(new URL(`/pyodide/${version}/${f}`, location.href).href)));
        return hits.every(Boolean) && (await caches.match(location.href)) !== undefined;
      },
      PYODIDE_VERSION,
      { timeout: 20_000 },
    )
    .catch(async () => {
      throw new Error(
        `runtime not cached: ${JSON.stringify(await page.evaluate(async () => Promise.all((await caches.keys()).map(async (k) => [k, (await (await caches.open(k)).keys()).map((r) => r.url)]))))}`,
      );
    });
  await page.context().setOffline(true);
  const offline = await page.context().newPage();
  await offline.goto(baseURL + PAGE);
  expect(await offline.evaluate(() => crossOriginIsolated)).toBe(true);
  const again = await run(firstExample(offline), 60_000);
  expect(again.state).toBe('done');
  expect(again.verdict).toBe('match');
  // A reload of the first page works too.
  await page.reload();
  expect((await run(firstExample(page), 60_000)).verdict).toBe('match');
});
