/**
 * Issue 10, behaviour 8, recursion through C in the reader's browser: `repr` of a list nested
 * 10**6 deep. CPython 3.14 raises RecursionError from its C-stack check
 * (`_Py_ReachedRecursionLimit`, Python/ceval.c), which on WebAssembly measures the linear-memory
 * shadow stack, while the frames that overflow are the JavaScript engine's; so the run cannot
 * raise RecursionError (README, Known limits). What must hold: the run ends within seconds as a
 * reported fault, never a hang, and the next Run gets a working interpreter.
 *
 * Known failure today (test.fails, remove the mark once fixed): in Chromium's worker the run is
 * still running after 30 s (the verifier's Node workers report the fault in ≈1-3 s).
 */
import { expect, inject, test } from 'vitest';
import { editCode, run, useBrowser } from './helpers.ts';

const baseURL = inject('baseURL');
const session = useBrowser();

test.fails('repr of a list nested 10**6 deep ends within seconds as a reported fault, and the next Run works', async () => {
  const page = await session.open(`${baseURL}/finally/`);
  const example = page.locator('div.example[data-code]').first();
  await editCode(
    page,
    example,
    'import sys\nsys.setrecursionlimit(10**6)\nx = []\nfor _ in range(10**6):\n    x = [x]\ntry:\n    repr(x)\nexcept RecursionError:\n    print("RecursionError caught")\n',
  );
  const started = performance.now();
  // 30 s: far above the ≈1-3 s the fault takes, far below the 60 s hang issue 10 reported.
  const live = await run(example, 30_000);
  const elapsed = performance.now() - started;
  expect(elapsed).toBeLessThan(30_000);
  expect(live.state).not.toBe('running');
  expect(`${live.note}\n${live.text}`).toMatch(/Maximum call stack size exceeded|too much recursion|stack overflow/i);
  await editCode(page, example, 'print("after the fault")\n');
  const next = await run(example, 30_000);
  expect({ text: next.text, exitStatus: next.exitStatus }).toEqual({ text: 'after the fault\n', exitStatus: 0 });
});
