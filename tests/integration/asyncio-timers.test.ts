/**
 * Event-loop callbacks an example leaves scheduled must die with it, as they do when CPython
 * exits: otherwise a cancelled `asyncio.sleep` or a `call_later` fires into the next example
 * (printing into its output, or breaking the interpreter by entering a promising call mid-run).
 */
import { beforeAll, expect, test } from 'vitest';
import { createNodeRunner } from '../../src/examples/runner-node.ts';
import type { ExampleRunner } from '../../src/examples/runner.ts';

let runner: ExampleRunner;
beforeAll(async () => {
  runner = await createNodeRunner();
});

const text = async (code: string) => {
  const r = await runner.run(code);
  return { out: r.chunks.map((c) => c.text).join(''), status: r.exitStatus, fault: r.fault };
};

const LEAVES_TIMERS = `import asyncio

async def main():
    task = asyncio.create_task(asyncio.sleep(0.2))
    await asyncio.sleep(0)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        print("cancelled")
    asyncio.get_running_loop().call_later(0.1, print, "late callback")

asyncio.run(main())
`;

test('drops callbacks an example left scheduled, so they never reach the next example', async () => {
  expect(await text(LEAVES_TIMERS)).toEqual({ out: 'cancelled\n', status: 0, fault: null });
  // The next example awaits past the moment the leftover timers were due.
  const next = await text(
    'import asyncio\n\nasync def main():\n    try:\n        await asyncio.sleep(0.4)\n    finally:\n        print("slept")\n\nasyncio.run(main())\n',
  );
  expect(next).toEqual({ out: 'slept\n', status: 0, fault: null });
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await text('print("plain")\n')).toEqual({ out: 'plain\n', status: 0, fault: null });
});
