/**
 * Issue 10, behaviours 6-8, through the real runner pool (as the verifier runs a block), beyond
 * the cases of the CPython oracle (cpython-oracle.test.ts: pending tasks, async generators,
 * Ctrl-C in asyncio.run and in time.sleep, deep recursion). Expected outputs are native
 * CPython's (`env -u PYTHONUNBUFFERED python3 example.py`, 3.11, where the behaviour is the same
 * in 3.14) or the document cited.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type PoolRunOptions, RunnerPool } from '../../src/examples/pool.ts';

let pool: RunnerPool;

beforeAll(async () => {
  pool = await RunnerPool.create({ size: 1 });
}, 300_000);

afterAll(async () => {
  await pool?.close();
});

async function run(lines: string[], options: PoolRunOptions = {}) {
  const r = await pool.run(`${lines.join('\n')}\n`, { timeoutMs: 20_000, ...options });
  const text = (stream: string) =>
    r.chunks
      .filter((c) => c.stream === stream)
      .map((c) => c.text)
      .join('');
  return { ...r, stdout: text('stdout'), stderr: text('stderr') };
}

test('asyncio.run closes its loop and shuts the default executor down; no loop runs afterwards (native CPython)', async () => {
  const r = await run([
    'import asyncio',
    'async def main():',
    '    loop = asyncio.get_running_loop()',
    '    print(await loop.run_in_executor(None, sum, [1, 2]))',
    '    return loop',
    'loop = asyncio.run(main())',
    'print(loop.is_closed())',
    'try:',
    '    loop.run_in_executor(None, print)',
    'except RuntimeError as e:',
    '    print(e)',
    'try:',
    '    asyncio.get_running_loop()',
    'except RuntimeError as e:',
    '    print(e)',
  ]);
  expect({ stdout: r.stdout, stderr: r.stderr, exitStatus: r.exitStatus }).toEqual({
    stdout: '3\nTrue\nEvent loop is closed\nno running event loop\n',
    stderr: '',
    exitStatus: 0,
  });
});

test('the time limit interrupts time.sleep; a SIGINT handler that returns lets the sleep go on (PEP 475)', async () => {
  const r = await run(
    [
      'import signal, time',
      'signal.signal(signal.SIGINT, lambda signum, frame: print("handler", signum))',
      'start = time.monotonic()',
      'time.sleep(1.5)',
      'print("slept in full:", time.monotonic() - start >= 1.5)',
    ],
    { timeoutMs: 300 },
  );
  expect({ stdout: r.stdout, stderr: r.stderr, exitStatus: r.exitStatus, killed: r.killed, timedOut: r.timedOut }).toEqual({
    stdout: 'handler 2\nslept in full: True\n',
    stderr: '',
    exitStatus: 0,
    killed: false,
    timedOut: true,
  });
});

test("time.sleep keeps CPython's argument errors (native CPython)", async () => {
  const r = await run([
    'import time',
    'for arg in (-1, float("nan")):',
    '    try:',
    '        time.sleep(arg)',
    '    except ValueError as e:',
    '        print(type(e).__name__, e)',
    'time.sleep(0.01)',
    'print("slept")',
  ]);
  expect(r.stdout).toBe('ValueError sleep length must be non-negative\nValueError Invalid value NaN (not a number)\nslept\n');
  expect(r.exitStatus).toBe(0);
});

test('sys.setrecursionlimit(10**6): unbounded recursion raises RecursionError, and the limit reads back as set (native CPython)', async () => {
  const r = await run([
    'import sys',
    'sys.setrecursionlimit(10**6)',
    'print(sys.getrecursionlimit())',
    'def f(n):',
    '    return f(n + 1)',
    'try:',
    '    f(0)',
    'except RecursionError as e:',
    '    print("RecursionError:", e)',
    'sys.setrecursionlimit(2000)',
    'print(sys.getrecursionlimit())',
  ]);
  expect({ stdout: r.stdout, stderr: r.stderr, exitStatus: r.exitStatus, fault: r.fault }).toEqual({
    stdout: '1000000\nRecursionError: maximum recursion depth exceeded\n2000\n',
    stderr: '',
    exitStatus: 0,
    fault: null,
  });
});
