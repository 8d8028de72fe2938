/**
 * The interrupt buffer as Pyodide's interpreter sees it, with an atomic read-and-clear.
 *
 * CPython's Emscripten signal check (Python/emscripten_signal.c,
 * `_Py_CheckEmscriptenSignals_Helper`, run every 50 eval-breaker checks while a block runs)
 * reads `Module.Py_EmscriptenSignalBuffer[0]` and then writes 0 there: two plain accesses, not
 * one atomic one. A SIGINT that another thread stores between the two (the pool's time limit,
 * the page's Stop button) is overwritten by that 0 and lost: the block runs on, and the writer,
 * which sees 0, takes the interrupt for delivered. Measured before this wrapper: 2 and 7 of 300 loops
 * interrupted 5–24 ms after their start were never interrupted (scripts/stress-interrupts.ts).
 *
 * The wrapper handed to `pyodide.setInterruptBuffer` turns the clear into a compare-and-swap:
 * the 0 is written only if the slot still holds what the check just read, so a SIGINT stored in
 * between survives until the next check. Reads stay plain loads (Pyodide's `checkInterrupt`
 * reads the slot without clearing it). The real typed array stays what the writer and
 * host-waits.ts use.
 */

/** What Pyodide's `setInterruptBuffer` accepts and its signal check indexes. */
export type InterruptBuffer = Int32Array | Uint8Array;

/**
 * Wrap `buffer` (its element 0 is the signal number to raise, 0 for none; see
 * https://pyodide.org/en/stable/usage/keyboard-interrupts.html) so that Pyodide's
 * read-then-clear of element 0 cannot lose a value stored between the read and the clear.
 * @param buffer an Int32Array or Uint8Array, normally on a SharedArrayBuffer (Atomics also work on
 *   a non-shared one: a page that is not cross-origin isolated).
 * @returns an object to pass to `pyodide.setInterruptBuffer` in place of `buffer`; its element 0
 *   reads as `buffer[0]`, a write of 0 clears only what the last read saw, any other write stores.
 */
export function atomicInterruptBuffer(buffer: InterruptBuffer): InterruptBuffer {
  let seen = 0;
  const slot = {
    get 0(): number {
      seen = Atomics.load(buffer, 0);
      return seen;
    },
    set 0(value: number) {
      // Clearing a slot that read 0 has nothing to clear, and skipping it keeps the common
      // case (no interrupt pending, every 50 checks) a single load.
      if (value !== 0) Atomics.store(buffer, 0, value);
      else if (seen !== 0) Atomics.compareExchange(buffer, 0, seen, 0);
    },
    length: 1,
  };
  // Pyodide only indexes element 0 and tests the buffer for truthiness (pyodide.asm.mjs).
  return slot as unknown as InterruptBuffer;
}
