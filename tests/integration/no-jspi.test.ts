/**
 * Without WebAssembly JSPI (Safari, browsers that have not shipped it) the runner runs every
 * block as with it: it never needs JSPI (blocks run with a plain call; time.sleep and the asyncio
 * loop wait by blocking the thread, host-waits.ts), so asyncio.run() works there too.
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

test('runs plain blocks, finally, SystemExit and asyncio.run() without JSPI', async () => {
  const { stackSwitching, results } = await runWithoutJspi([
    'print("hi")\n',
    'try:\n    raise SystemExit(3)\nfinally:\n    print("finally ran")\n',
    'import asyncio\nasync def main():\n    await asyncio.sleep(0.05)\n    return "main done"\nprint(asyncio.run(main()))\n',
    'print("after asyncio")\n',
  ]);
  expect(stackSwitching).toBe(false);
  expect(results[0]).toEqual({ stdout: 'hi\n', stderr: '', exitStatus: 0, fault: null });
  expect(results[1]).toEqual({ stdout: 'finally ran\n', stderr: '', exitStatus: 3, fault: null });
  expect(results[2]).toEqual({ stdout: 'main done\n', stderr: '', exitStatus: 0, fault: null });
  expect(results[3]).toEqual({ stdout: 'after asyncio\n', stderr: '', exitStatus: 0, fault: null });
}, 60_000);
