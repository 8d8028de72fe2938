/**
 * The counter behind asyncio's default task names ("Task-1", "Task-2", ...), put back after each
 * block. CPython keeps it in C, in the `_asyncio` module's state (Modules/_asynciomodule.c,
 * `asyncio_state.task_name_counter`, a uint64 incremented by every unnamed `asyncio.Task`), where
 * no namespace comparison of the reset sees it: without this, a block that printed a task showed
 * "Task-7" because earlier blocks had made six tasks, where `python3 example.py` shows "Task-1"
 * (the verifier's fresh-interpreter check caught it and failed the block; in the browser it was
 * a false "differs" once the reader had run other asyncio examples).
 *
 * The field's offset depends on the CPython build, so it is found, not assumed: reset.py's
 * `probe_task_counter` makes one unnamed Task, and the counter is the one 32-bit word of the
 * module state that moved by exactly one (the low half of the uint64, little-endian). If no
 * single word did, nothing is put back, and the verifier's fresh-interpreter check still fails a
 * block that depends on the count.
 */

/** The Emscripten module fields used (Pyodide 314's `_module`; C exports are prefixed with `_`). */
export interface CounterModule {
  HEAPU32: Uint32Array;
  _PyModule_GetState(module: number): number;
}

/** Where the counter is and what it held at the baseline. */
export interface TaskCounter {
  /** Index of the counter's low word in `HEAPU32` (its byte address / 4). */
  readonly word: number;
  /** The counter's low and high words at the baseline. */
  readonly baseline: readonly [number, number];
}

/** Bytes of `_asyncio`'s module state searched for the counter (its struct is ≈100-200 bytes). */
const SEARCH_BYTES = 512;

/**
 * Find the task-name counter of one interpreter, right after its restore and before any block.
 * @param module the interpreter's Emscripten module (`pyodide._module`).
 * @param probe reset.py `probe_task_counter`: makes one unnamed Task; returns `id(_asyncio)` or 0.
 * @returns the counter, set back to its value before the probe; null when `_asyncio` is not
 *   loaded or no single word moved by one.
 */
export function findTaskCounter(module: CounterModule, probe: () => number): TaskCounter | null {
  // A Pyodide build without the export: no reset of the counter (the leak check still runs).
  if (typeof module._PyModule_GetState !== 'function') return null;
  const heap = () => module.HEAPU32; // re-read: a memory growth replaces the view
  // The module's address is stable across calls; the state is malloc'd when the module is made.
  const address = probe();
  if (!address) return null;
  const state = module._PyModule_GetState(address);
  if (!state || state % 8) return null;
  const first = state / 4;
  const before = heap().slice(first, first + SEARCH_BYTES / 4);
  probe();
  const after = heap().subarray(first, first + SEARCH_BYTES / 4);
  const moved: number[] = [];
  for (let i = 0; i < before.length; i++) if (after[i] !== before[i]) moved.push(i);
  // Exactly one word, one more than before, at an 8-byte boundary (a uint64's low half).
  if (moved.length !== 1) return null;
  const i = moved[0]!;
  if (after[i] !== (before[i]! + 1) >>> 0 || (first + i) % 2) return null;
  const word = first + i;
  // The first probe moved it too: the baseline is one less than `before`.
  const low = (before[i]! - 1) >>> 0;
  const high = before[i + 1]! - (low === 0xffffffff ? 1 : 0);
  const counter: TaskCounter = { word, baseline: [low, high >>> 0] };
  restoreTaskCounter(module, counter);
  return counter;
}

/**
 * Put the counter back to its baseline value (after a block, before the next one).
 * @param module the interpreter's Emscripten module.
 * @param counter what {@link findTaskCounter} found.
 */
export function restoreTaskCounter(module: CounterModule, counter: TaskCounter): void {
  const heap = module.HEAPU32;
  heap[counter.word] = counter.baseline[0];
  heap[counter.word + 1] = counter.baseline[1];
}
