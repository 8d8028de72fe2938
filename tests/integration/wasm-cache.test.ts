/**
 * wasm-cache.ts: the interpreters a thread restores share one compilation of Pyodide's
 * WebAssembly, and each still runs Python on its own memory.
 */
import { expect, test } from 'vitest';
import { cacheWasmCompilation, wasmCacheStats } from '../../src/examples/wasm-cache.ts';

test('a second interpreter reuses the compiled module, and both run independently', async () => {
  // This test file runs in its own vitest worker, so replacing WebAssembly.instantiate here
  // touches no other test.
  cacheWasmCompilation();
  const { createNodeRunner } = await import('../../src/examples/runner-node.ts');
  const runner = await createNodeRunner();
  const text = async (code: string) => (await runner.run(code)).chunks.map((c) => c.text).join('');
  expect(await text('x = 41\nprint(x + 1)\n')).toBe('42\n');
  const before = { ...wasmCacheStats };
  // os._exit ends the interpreter: the next run restores a new one from the snapshot.
  expect((await runner.run('import os\nos._exit(3)\n')).exitStatus).toBe(3);
  expect(await text('print("x" in globals())\n')).toBe('False\n');
  expect(wasmCacheStats.compiled).toBe(before.compiled);
  expect(wasmCacheStats.reused).toBe(before.reused + 1);
});
