/**
 * wasm-cache.ts `cacheKey`: the key of a module's bytes is their length and a hash of evenly
 * spaced windows, so it tells apart modules that differ in length or in any window, and costs a
 * fraction of hashing Pyodide's whole 9.6 MB module.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { expect, test } from 'vitest';
import { cacheKey } from '../../src/examples/wasm-cache.ts';

const wasmPath = join(dirname(createRequire(import.meta.url).resolve('pyodide/package.json')), 'pyodide.asm.wasm');

test('the same bytes give the same key; another length or a byte changed in a window another', () => {
  const bytes = new Uint8Array(readFileSync(wasmPath));
  const key = cacheKey(bytes);
  expect(cacheKey(bytes.slice())).toBe(key);
  expect(key.startsWith(`${bytes.length}:`)).toBe(true);
  expect(cacheKey(bytes.subarray(0, bytes.length - 1))).not.toBe(key);
  // The first and last bytes lie in the first and last windows, the middle one in the middle
  // window (32 windows: window 16 starts past the middle, window 15 ends before it; so test 15's).
  for (const at of [0, bytes.length - 1, Math.round((15 * (bytes.length - 16 * 1024)) / 31)]) {
    const changed = bytes.slice();
    changed[at]! ^= 1;
    expect(cacheKey(changed), `byte ${at}`).not.toBe(key);
  }
});

test('short modules are hashed whole', () => {
  const a = new Uint8Array(1000).fill(7);
  const b = a.slice();
  b[500] = 8;
  expect(cacheKey(a)).not.toBe(cacheKey(b));
  expect(cacheKey(a)).toBe(cacheKey(a.slice()));
});
