/**
 * Without WebAssembly JSPI (Safari, browsers that have not shipped it) the runner still runs
 * every block that does not wait on the event loop, and a block that calls asyncio.run() fails
 * with Python's own RuntimeError instead of the whole runner failing.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../support/no-jspi-run.ts', import.meta.url));

function runWithoutJspi(blocks: string[]): Promise<{ stackSwitching: boolean; results: Record<string, unknown>[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}: ${out.slice(0, 500)}`))));
    child.stdin.end(JSON.stringify(blocks));
  });
}

test('runs plain blocks, finally and SystemExit without JSPI; asyncio.run() fails with a RuntimeError traceback', async () => {
  const { stackSwitching, results } = await runWithoutJspi([
    'print("hi")\n',
    'try:\n    raise SystemExit(3)\nfinally:\n    print("finally ran")\n',
    'import asyncio\nasync def main():\n    await asyncio.sleep(0)\nasyncio.run(main())\n',
    'print("after asyncio")\n',
  ]);
  expect(stackSwitching).toBe(false);
  expect(results[0]).toEqual({ stdout: 'hi\n', stderr: '', exitStatus: 0, fault: null });
  expect(results[1]).toEqual({ stdout: 'finally ran\n', stderr: '', exitStatus: 3, fault: null });
  expect(results[2]).toMatchObject({ stdout: '', exitStatus: 1, fault: null });
  expect(results[2]!.stderr).toMatch(/^Traceback[\s\S]*\nRuntimeError: .*stack switching/);
  expect(results[3]).toEqual({ stdout: 'after asyncio\n', stderr: '', exitStatus: 0, fault: null });
}, 60_000);
