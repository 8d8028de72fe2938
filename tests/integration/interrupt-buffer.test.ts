/**
 * interrupt-buffer.ts: a SIGINT stored by another thread between the read and the clear of
 * CPython's Emscripten signal check (Python/emscripten_signal.c) is not lost. The interleaving is
 * forced, not waited for: a Proxy in front of the buffer Pyodide indexes stores SIGINT right
 * after the check's read, as the pool's time limit sometimes did (2–3 % of loops interrupted
 * within their first 25 ms were never interrupted).
 */
import { beforeAll, expect, test } from 'vitest';
import { atomicInterruptBuffer, type InterruptBuffer } from '../../src/examples/interrupt-buffer.ts';
import { createNodeRunner } from '../../src/examples/runner-node.ts';

const SIGINT = 2;

type Interpreter = Awaited<ReturnType<Awaited<ReturnType<typeof createNodeRunner>>['interpreter']>>;
let py: Interpreter;

beforeAll(async () => {
  py = await (await createNodeRunner()).interpreter();
}, 120_000);

/**
 * What Pyodide is handed: `indexed` behind a Proxy that, on the `reads`-th read of element 0,
 * stores SIGINT into `shared` just after the read returned, i.e. before the check's clear.
 */
function racing(shared: Int32Array, indexed: InterruptBuffer, reads: number): { buffer: InterruptBuffer; stored: () => boolean } {
  let count = 0;
  let stored = false;
  const buffer = new Proxy(indexed, {
    get(target, key) {
      const value = (target as unknown as Record<string | symbol, unknown>)[key];
      if (key === '0' && ++count === reads) {
        Atomics.store(shared, 0, SIGINT);
        stored = true;
      }
      return value;
    },
    set(target, key, value) {
      (target as unknown as Record<string | symbol, unknown>)[key] = value;
      return true;
    },
  });
  return { buffer, stored: () => stored };
}

/** Run `code` with `buffer` as the interrupt buffer; the exception's type name, or 'none'. */
function runWith(buffer: InterruptBuffer, code: string): string {
  py.setInterruptBuffer(buffer);
  try {
    py.runPython(code);
    return 'none';
  } catch (error) {
    return (error as Error).message.trim().split('\n').at(-1)!.split(':')[0]!;
  } finally {
    py.setInterruptBuffer(undefined as never);
  }
}

test("a SIGINT stored between the check's read and its clear is taken at the next check", () => {
  const shared = new Int32Array(new SharedArrayBuffer(4));
  const { buffer, stored } = racing(shared, atomicInterruptBuffer(shared), 3);
  // Bounded (≈50 ms): a lost interrupt ends the loop instead of hanging the test.
  expect(runWith(buffer, 'for i in range(10**6):\n    pass\n')).toBe('KeyboardInterrupt');
  expect(stored()).toBe(true);
  expect(Atomics.load(shared, 0)).toBe(0);
});

test('the plain array handed to Pyodide loses that SIGINT: the loop runs to its end (why the wrapper exists)', () => {
  const shared = new Int32Array(new SharedArrayBuffer(4));
  const { buffer, stored } = racing(shared, shared, 3);
  expect(runWith(buffer, 'for i in range(10**5):\n    pass\n')).toBe('none');
  expect(stored()).toBe(true);
  expect(Atomics.load(shared, 0)).toBe(0);
});

test('an interrupt stored before the block starts is still taken, and a clear after a taken one empties the slot', () => {
  const shared = new Int32Array(new SharedArrayBuffer(4));
  Atomics.store(shared, 0, SIGINT);
  expect(runWith(atomicInterruptBuffer(shared), 'for i in range(10**6):\n    pass\n')).toBe('KeyboardInterrupt');
  expect(Atomics.load(shared, 0)).toBe(0);
});
