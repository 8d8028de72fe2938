/**
 * The WebAssembly memory cap (src/examples/memory-cap.ts) with real Pyodide in a child process:
 * memory bombs get Python's MemoryError instead of gigabytes, the interpreter keeps working,
 * and the example cannot lift the cap through the `js` module.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { capWasmMemory, DEFAULT_MEMORY_CAP_BYTES } from '../../src/examples/memory-cap.ts';

const SCRIPT = fileURLToPath(new URL('../support/memory-cap-run.ts', import.meta.url));
const MiB = 2 ** 20;

interface BlockOutcome {
  stdout: string;
  stderr: string;
  error: string | null;
  heapBytes: number;
}
interface CappedRun {
  results: BlockOutcome[];
  refusals: number;
  secondCapRefused: boolean;
  sameCapAgain: boolean;
  maxRssBytes: number;
}

function runCapped(capBytes: number, blocks: string[]): Promise<CappedRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, String(capBytes)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}: ${out.slice(0, 500)}`))));
    child.stdin.end(JSON.stringify(blocks));
  });
}

const BOMB = 'blocks = []\nwhile True:\n    blocks.append(bytearray(2**30))\n';
const SLOW_BOMB = 'blocks = []\nwhile True:\n    blocks.append(bytearray(10 * 2**20))\n';
const CAUGHT_SLOW_BOMB =
  'blocks = []\ntry:\n    while True:\n        blocks.append(bytearray(10 * 2**20))\nexcept MemoryError:\n    print("MemoryError after", len(blocks) * 10, "MiB")\n    del blocks\n';

test('memory bombs get MemoryError at the default cap; the interpreter keeps working; the process stays small', async () => {
  const run = await runCapped(DEFAULT_MEMORY_CAP_BYTES, [BOMB, SLOW_BOMB, CAUGHT_SLOW_BOMB, 'print(sum(range(10)))\n']);
  const [bomb, slow, caught, after] = run.results;
  expect(bomb!.error).toBe('MemoryError');
  expect(slow!.error).toBe('MemoryError');
  const mib = Number(/MemoryError after (\d+) MiB/.exec(caught!.stdout)?.[1]);
  // Most of the cap is usable (30 MiB is the interpreter's own), and nothing past it.
  expect(mib).toBeGreaterThanOrEqual(DEFAULT_MEMORY_CAP_BYTES / MiB / 2);
  expect(mib).toBeLessThan(DEFAULT_MEMORY_CAP_BYTES / MiB);
  expect(after).toMatchObject({ stdout: '45\n', error: null });
  for (const r of run.results) expect(r.heapBytes).toBeLessThanOrEqual(DEFAULT_MEMORY_CAP_BYTES);
  expect(run.refusals).toBeGreaterThanOrEqual(3);
  // Without the cap the first bomb alone takes 4 GiB of WebAssembly memory.
  expect(run.maxRssBytes).toBeLessThan(DEFAULT_MEMORY_CAP_BYTES + 512 * MiB);
}, 120_000);

test('an example cannot lift the cap through the js module; a second, different cap is refused', async () => {
  const lift = 'import js\njs.WebAssembly.Memory.prototype.grow = js.Function.new("d", "return 0")\n';
  const run = await runCapped(64 * MiB, [lift, SLOW_BOMB]);
  expect(run.results[0]!.error).toMatch(/TypeError|read[- ]only|Cannot assign/i);
  expect(run.results[1]!.error).toBe('MemoryError');
  expect(run.results[1]!.heapBytes).toBeLessThanOrEqual(64 * MiB);
  expect(run.secondCapRefused).toBe(true);
  expect(run.sameCapAgain).toBe(true);
}, 120_000);

test('a cap that is not a positive whole number of 64 KiB pages is a RangeError (nothing installed)', () => {
  for (const bad of [0, -65_536, 1000, 65_536.5, Number.NaN, 2 ** 60]) expect(() => capWasmMemory(bad)).toThrow(RangeError);
});
