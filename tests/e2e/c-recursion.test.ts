/**
 * Issue 10, behaviour 8, and issue 13, point 6: recursion through C in the reader's browser, `repr`
 * of a list nested 10**6 deep with the recursion limit raised. CPython 3.14 raises RecursionError
 * from its C-stack check (`_Py_ReachedRecursionLimit`, Python/ceval.c), which on WebAssembly
 * measures the linear-memory shadow stack, while the frames that overflow are the JavaScript
 * engine's; so the run cannot raise RecursionError (README, Known limits). What must hold: the run
 * ends within seconds as a reported interpreter fault (not a hang, not "KeyboardInterrupt"), the
 * worker that held the failed interpreter is replaced (it would keep its memory, ≈60-90 MB), and
 * the next Run works.
 */
import { expect, inject, test } from 'vitest';
import { editCode, run, useBrowser } from './helpers.ts';

const baseURL = inject('baseURL');
const session = useBrowser();

test('repr of a list nested 10**6 deep ends within seconds as a reported fault, the worker is replaced, and the next Run works', async () => {
  const page = await session.open(`${baseURL}/finally/`);
  const example = page.locator('div.example[data-code]').first();
  // A first run, so that the frame and its worker exist and the fault's run is measured alone.
  await editCode(page, example, 'print("before")\n');
  expect((await run(example, 60_000)).text).toBe('before\n');
  const frames = page.locator('iframe.example-runner-frame');
  await expect.poll(() => frames.count()).toBe(1);
  await frames.evaluate((frame) => (frame.dataset.testFirst = ''));
  // The runner frame's worker (Playwright lists the workers of every frame of the page).
  expect(page.workers()).toHaveLength(1);
  const first = page.workers()[0]!;
  const firstClosed = new Promise<void>((resolve) => first.on('close', () => resolve()));

  await editCode(
    page,
    example,
    'import sys\nsys.setrecursionlimit(10**6)\nx = []\nfor _ in range(10**6):\n    x = [x]\ntry:\n    repr(x)\nexcept RecursionError:\n    print("RecursionError caught")\n',
  );
  const started = performance.now();
  // 30 s: far above the ≈1-2 s the fault takes here, far below a hang.
  const live = await run(example, 30_000);
  expect(performance.now() - started).toBeLessThan(30_000);
  expect(live.state).toBe('done');
  expect(live.note).toMatch(/^The interpreter failed: RangeError: Maximum call stack size exceeded\./);
  expect(live.note).not.toMatch(/KeyboardInterrupt/);
  // No process ended: no exit status is claimed, and the output is not judged.
  expect({ exitStatus: live.exitStatus, verdict: live.verdict }).toEqual({ exitStatus: null, verdict: 'failed' });
  expect(await example.locator('.example-run-exit').textContent()).toMatch(/^no exit status · /);

  // The frame (and its worker) that held the failed interpreter is gone; a new one starts at once.
  await firstClosed;
  await page.locator('iframe.example-runner-frame[data-ready-ms]:not([data-test-first])').waitFor({ state: 'attached', timeout: 30_000 });
  expect(await frames.count()).toBe(1);

  await editCode(page, example, 'print("after the fault")\n');
  const next = await run(example, 30_000);
  expect({ text: next.text, exitStatus: next.exitStatus, note: next.note }).toEqual({ text: 'after the fault\n', exitStatus: 0, note: '' });
});
