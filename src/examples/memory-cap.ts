/**
 * A cap on the WebAssembly memory of every Pyodide interpreter of one thread, so that a memory
 * bomb (`while True: blocks.append(bytearray(2**30))`) gets Python's `MemoryError`, as CPython
 * under `ulimit -v` does, instead of taking the machine's memory.
 *
 * How Pyodide 314 gets its memory (node_modules/pyodide/pyodide.asm.mjs): the module exports it
 * (`wasmMemory = wasmExports["memory"]`, 30 MiB at start), so there is no `new WebAssembly.Memory`
 * to give a lower `maximum`. It grows only through Emscripten's `_emscripten_resize_heap`, whose
 * `growMemory` calls `wasmMemory.grow(pages)` inside `try {} catch {}` and reports failure to
 * `sbrk`; `malloc` then returns NULL and CPython raises `MemoryError`. Its own ceiling,
 * `getHeapMax()`, is a constant 4 GiB. So the cap replaces `WebAssembly.Memory.prototype.grow`
 * with one that throws a `RangeError` (what the engine throws past a memory's maximum) when the
 * memory would pass the cap.
 */

/** Bytes in one WebAssembly page (the unit of `WebAssembly.Memory.grow`). */
const PAGE_BYTES = 65_536;

/**
 * Default cap per interpreter: 128 MiB. A fresh interpreter holds 30 MiB and the site's
 * examples stay far below 64 MiB. A bomb fills both interpreters that run it (the verifier runs
 * each block twice, in two interpreters) before its verdict, so it adds ≈2 × 128 MiB to the
 * verify processes' peak. Measured with 2 workers (the CLI and its sandbox process): 1.20 GB
 * with two bombs, 0.90 GB for one plain block; 64 MiB gave 1.04 GB; no cap 6.2 GB and a time-out.
 */
export const DEFAULT_MEMORY_CAP_BYTES = 128 * 2 ** 20;

/** The cap installed in this thread, with how often it refused to grow a memory. */
export interface MemoryCap {
  /** The cap in bytes: no WebAssembly memory of this thread grows past it. */
  readonly maxBytes: number;
  /** Growth requests refused so far (a host can compare before/after a run to see a hit). */
  readonly refusals: number;
}

let installed: { maxBytes: number; refusals: number } | null = null;

/**
 * Cap every WebAssembly memory of the calling thread (a Node worker thread, a Web Worker or the
 * main thread: each has its own `WebAssembly` global) at `maxBytes`. Call it before
 * `loadPyodide`; it applies to every interpreter the thread loads afterwards, each separately.
 * The replaced `grow` is non-writable and non-configurable, so code running inside an
 * interpreter (Python through the `js` module) cannot restore the original.
 *
 * A growth that would pass the cap throws `RangeError`, which Emscripten turns into a failed
 * `malloc`: Python raises `MemoryError`, and the interpreter stays usable. Emscripten grows by at
 * least 5% at a time, so the last ≈5% below the cap may stay unused.
 *
 * @param maxBytes the cap in bytes, a whole number of 64 KiB pages ≥ 64 KiB; default
 *   {@link DEFAULT_MEMORY_CAP_BYTES}.
 * @returns the installed cap, live (`refusals` counts up).
 * @throws RangeError when `maxBytes` is not a positive multiple of 64 KiB, or when a different
 *   cap is already installed in this thread (the same cap again returns the installed one).
 */
export function capWasmMemory(maxBytes: number = DEFAULT_MEMORY_CAP_BYTES): MemoryCap {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < PAGE_BYTES || maxBytes % PAGE_BYTES !== 0)
    throw new RangeError(`memory cap must be a positive multiple of 64 KiB, not ${maxBytes}`);
  if (installed) {
    if (installed.maxBytes !== maxBytes)
      throw new RangeError(`a memory cap of ${installed.maxBytes} bytes is already installed in this thread`);
    return installed;
  }
  const state = { maxBytes, refusals: 0 };
  const grow = WebAssembly.Memory.prototype.grow;
  Object.defineProperty(WebAssembly.Memory.prototype, 'grow', {
    value: function grow_(this: WebAssembly.Memory, delta: number): number {
      // Only a well-formed request is judged here; anything else gets the engine's own error.
      if (typeof delta === 'number' && this.buffer.byteLength + delta * PAGE_BYTES > state.maxBytes) {
        state.refusals++;
        throw new RangeError(`WebAssembly.Memory.grow(): the memory cap of ${state.maxBytes} bytes would be passed`);
      }
      return grow.call(this, delta);
    },
    writable: false,
    configurable: false,
    enumerable: false,
  });
  installed = state;
  return state;
}
