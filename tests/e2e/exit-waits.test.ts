/**
 * Issue 10, behaviours 6-8 in the reader's browser (the same runner.ts/runner.py the build uses):
 * asyncio.run's shutdown runs a pending task's finally before it returns; Stop interrupts
 * `time.sleep(60)` (its finally runs, 130); unbounded recursion under a raised limit ends within
 * seconds (RecursionError, or a reported fault), never a hang.
 */
import type { Page } from 'playwright-core';
import { expect, inject, test } from 'vitest';
import { editCode, readLive, run, useBrowser, waitForEnd } from './helpers.ts';

const baseURL = inject('baseURL');
const session = useBrowser();
const firstExample = (page: Page) => page.locator('div.example[data-code]').first();

test('asyncio.run cancels a pending task and its finally prints before asyncio.run returns (issue 10 example)', async () => {
  const page = await session.open(`${baseURL}/finally/`);
  const example = firstExample(page);
  await editCode(
    page,
    example,
    [
      'import asyncio',
      'async def pending():',
      '    try:',
      '        await asyncio.sleep(10)',
      '    finally:',
      '        print("pending task: finally")',
      'async def main():',
      '    asyncio.create_task(pending())',
      '    await asyncio.sleep(0)',
      '    print("main: done")',
      'asyncio.run(main())',
      'print("after asyncio.run")',
    ].join('\n'),
  );
  const live = await run(example, 60_000);
  expect({ text: live.text, exitStatus: live.exitStatus }).toEqual({
    text: 'main: done\npending task: finally\nafter asyncio.run\n',
    exitStatus: 0,
  });
  // Nothing of it reaches the next run.
  await editCode(page, example, 'print("next")');
  expect((await run(example)).text).toBe('next\n');
});

test('Stop interrupts time.sleep(60): KeyboardInterrupt in the sleep, the finally line, exit 130', async () => {
  const page = await session.open(`${baseURL}/finally/`);
  const example = firstExample(page);
  await editCode(
    page,
    example,
    'import time\ntry:\n    print("sleeping")\n    time.sleep(60)\nfinally:\n    print("finally after the interrupt")\n',
  );
  await example.locator('.example-run-button').click();
  await example.locator('pre.example-run-transcript', { hasText: 'sleeping' }).waitFor({ timeout: 60_000 });
  await example.locator('.example-stop-button').click();
  await waitForEnd(example, 10_000);
  const live = await readLive(example);
  expect(live.exitStatus).toBe(130);
  expect(live.text).toContain('sleeping\nfinally after the interrupt\n');
  expect(live.text).toMatch(
    /Traceback \(most recent call last\):\n {2}File "example\.py", line 4, in <module>\n {4}time\.sleep\(60\)\n[\s\S]*KeyboardInterrupt/,
  );
});

test('unbounded recursion under sys.setrecursionlimit(10**6) ends within seconds with RecursionError', async () => {
  const page = await session.open(`${baseURL}/finally/`);
  const example = firstExample(page);
  await editCode(
    page,
    example,
    'import sys\nsys.setrecursionlimit(10**6)\ndef f(n):\n    return f(n + 1)\ntry:\n    f(0)\nexcept RecursionError:\n    print("RecursionError caught")\n',
  );
  const live = await run(example, 30_000);
  expect({ text: live.text, exitStatus: live.exitStatus }).toEqual({ text: 'RecursionError caught\n', exitStatus: 0 });
});
