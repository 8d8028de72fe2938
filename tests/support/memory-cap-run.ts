/**
 * Child-process script for tests/integration/memory-cap.test.ts: caps this process's WebAssembly
 * memory with `capWasmMemory(Number(argv[2]))`, loads Pyodide, runs each Python block given as a
 * JSON array on stdin, and prints one JSON object on stdout: per block `{ stdout, stderr, error,
 * heapBytes }` (heapBytes: the interpreter's WebAssembly memory after the block), then the cap's
 * `refusals`, whether a second, different cap was refused, and `maxRssBytes` (the process's peak
 * resident memory). Must stay a separate process: the cap is permanent for its thread.
 */
import { text } from 'node:stream/consumers';
import { loadPyodide } from 'pyodide';
import { capWasmMemory } from '../../src/examples/memory-cap.ts';

const cap = capWasmMemory(Number(process.argv[2]));
let secondCapRefused = false;
try {
  capWasmMemory(cap.maxBytes * 2);
} catch (error) {
  secondCapRefused = error instanceof RangeError;
}
const sameCapAgain = capWasmMemory(cap.maxBytes) === cap;

const blocks = JSON.parse(await text(process.stdin)) as string[];
const py = await loadPyodide();
const heap = () => (py as unknown as { _module: { HEAP8: Int8Array } })._module.HEAP8.length;
let out = { stdout: '', stderr: '' };
py.setStdout({ batched: (s) => void (out.stdout += `${s}\n`) });
py.setStderr({ batched: (s) => void (out.stderr += `${s}\n`) });
const results = [];
for (const code of blocks) {
  out = { stdout: '', stderr: '' };
  let error: string | null = null;
  try {
    py.runPython(code);
  } catch (e) {
    error =
      String((e as Error).message)
        .trim()
        .split('\n')
        .at(-1) ?? '';
  }
  results.push({ ...out, error, heapBytes: heap() });
}
process.stdout.write(
  JSON.stringify({
    results,
    refusals: cap.refusals,
    secondCapRefused,
    sameCapAgain,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  }),
);
