/**
 * What the runner gives Python for waiting and for deep recursion (runner.py `prepare` installs
 * them): `time.sleep`, the wait of the asyncio event loop, and `sys.setrecursionlimit` /
 * `sys.getrecursionlimit` with a ceiling.
 *
 * Waiting blocks the thread, as CPython's `time.sleep` and `select()` do, with `Atomics.wait` on
 * the run's interrupt buffer, so an interrupt written there (the time limit, Stop) ends the wait
 * at once when the host calls `Atomics.notify`, and within {@link WAIT_SLICE_MS} when it does not.
 * With Python's default SIGINT handler the wait returns and the signal is handed to Python
 * (`PyErr_SetInterruptEx`), whose handler raises KeyboardInterrupt as the call returns: the
 * traceback points at `time.sleep(60)` and nothing else, as after Ctrl-C in a terminal. Another
 * handler (asyncio's `Runner`, which cancels its main task, or the example's) runs inside the wait
 * through `pyodide.checkInterrupt()` (`PyErr_CheckSignals`), and the sleep goes on if it returns
 * (PEP 475). Nothing here needs WebAssembly JSPI, so blocks run on the
 * thread's own stack, whose size the host chooses (see {@link RECURSION_CEILING}).
 */
import type { PyCallable } from 'pyodide/ffi';

/** The interpreter API the waits use (a subset of Pyodide's; `_module` is Emscripten's, private). */
interface PyodideLike {
  checkInterrupt(): void;
  _module: { _PyErr_SetInterruptEx(signum: number): number };
}

/** Longest single `Atomics.wait`, in ms: the delay to see an interrupt whose writer did not `Atomics.notify`. */
export const WAIT_SLICE_MS = 20;

/**
 * Default ceiling of the effective recursion limit: Python frames past it raise RecursionError.
 * CPython 3.14 keeps Python frames off the C stack, and freeing a chain of them (a traceback)
 * recurses in C; on WebAssembly that uses the JavaScript stack, which CPython does not see, so a
 * limit of 10**6 would overflow it before RecursionError. In Chromium's worker 3,000 plain frames
 * unwind and 3,500 do not (tests/e2e/exit-waits.test.ts); 2,000 leaves room for frames that
 * recurse through C. Hosts with a bigger stack pass more.
 */
export const RECURSION_CEILING = 2000;

/**
 * Stack of a verifier worker thread, in MiB (Node's `resourceLimits.stackSizeMb`, its default).
 * Not bigger: V8 slows down sharply on a deep stack (a 10**6-deep `repr` on a 64 MiB stack runs
 * past the time limit instead of failing at once).
 */
export const WORKER_STACK_MB = 4;

/**
 * Recursion ceiling of the verifier's workers, in frames: with {@link WORKER_STACK_MB}, 16,000
 * plain Python frames unwind; 10,000 leaves room for frames that recurse through C.
 */
export const WORKER_RECURSION_CEILING = 10_000;

/** The functions runner.py's `prepare` receives; each is called from Python. */
export interface HostWaits {
  /** `time.sleep(seconds)`: blocks; raises what Python's SIGINT handler raises when interrupted. */
  sleep(seconds: unknown): void;
  /** The asyncio loop's `select(timeout)`: blocks `seconds` (negative: until interrupted), then runs a pending SIGINT handler. */
  wait(seconds: number): void;
  /** `sys.setrecursionlimit(limit)` with the ceiling applied (see {@link RECURSION_CEILING}). */
  setrecursionlimit(limit: unknown): void;
  /** `sys.getrecursionlimit()`: what the example set, even above the ceiling. */
  getrecursionlimit(): unknown;
  /**
   * Called by runner.py before the C functions are replaced: the originals (for argument errors),
   * and a function that tells whether SIGINT's handler is Python's default one.
   */
  originals(sleep: PyCallable, setrecursionlimit: PyCallable, getrecursionlimit: PyCallable, defaultSigint: PyCallable): void;
}

/** Where the run being executed keeps its interrupt buffer (set per run by runner.ts). */
export interface InterruptCell {
  buffer?: Int32Array | Uint8Array;
}

const INT_MAX = 2 ** 31 - 1;

/**
 * Make the host functions of one interpreter.
 * @param py the interpreter (for `checkInterrupt`).
 * @param cell the interrupt buffer of the current run (none: waits are never interrupted).
 * @param ceiling effective recursion limit ceiling (frames), default {@link RECURSION_CEILING}.
 */
export function hostWaits(py: PyodideLike, cell: InterruptCell, ceiling = RECURSION_CEILING): HostWaits {
  // A cell nobody notifies, to wait on when the run has no Int32Array interrupt buffer.
  const idle = typeof SharedArrayBuffer === 'function' ? new Int32Array(new SharedArrayBuffer(4)) : null;
  let original: { sleep: PyCallable; set: PyCallable; get: PyCallable; defaultSigint: PyCallable } | null = null;
  let requested: unknown;
  const pending = () => cell.buffer !== undefined && cell.buffer[0] !== 0;
  /** Deliver the pending signal; returns true when the wait must end (the default handler will raise). */
  const deliver = (): boolean => {
    const buffer = cell.buffer!;
    if (original!.defaultSigint() === true) {
      const signum = Atomics.exchange(buffer, 0, 0);
      py._module._PyErr_SetInterruptEx(signum);
      return true;
    }
    py.checkInterrupt();
    return false;
  };
  /** Block until `ms` have passed or an interrupt is pending. */
  const block = (ms: number) => {
    const deadline = performance.now() + ms;
    for (;;) {
      if (pending()) return;
      const left = deadline - performance.now();
      if (left <= 0) return;
      const slice = Math.min(left, WAIT_SLICE_MS);
      const buffer = cell.buffer;
      if (buffer instanceof Int32Array && buffer.buffer instanceof SharedArrayBuffer) Atomics.wait(buffer, 0, 0, slice);
      else if (idle) Atomics.wait(idle, 0, 0, slice);
      else {
        // No SharedArrayBuffer (a page that is not cross-origin isolated): nothing can interrupt; spin.
        const until = performance.now() + slice;
        while (performance.now() < until);
      }
    }
  };
  function sleep(seconds: unknown): void {
    const value = typeof seconds === 'boolean' ? Number(seconds) : seconds;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      // CPython's own argument errors (TypeError, ValueError, OverflowError), from its C sleep.
      original!.sleep(seconds);
      return;
    }
    const deadline = performance.now() + value * 1000;
    for (;;) {
      block(deadline - performance.now());
      // A handler that returns resumes the sleep for what is left (PEP 475).
      if (pending() && deliver()) return;
      if (performance.now() >= deadline) return;
    }
  }
  return {
    // Bound: Python shows a JavaScript function by its source text; a bound one shows none.
    sleep: sleep.bind(undefined),
    wait(seconds) {
      block(seconds < 0 ? Number.POSITIVE_INFINITY : seconds * 1000);
      if (pending()) deliver();
    },
    setrecursionlimit(limit) {
      if (typeof limit === 'number' && Number.isInteger(limit) && limit > ceiling && limit <= INT_MAX) {
        original!.set(ceiling);
        requested = limit;
      } else {
        original!.set(limit);
        requested = undefined;
      }
    },
    getrecursionlimit() {
      return requested ?? original!.get();
    },
    originals(sleep, set, get, defaultSigint) {
      // Arguments of a call from Python are borrowed proxies, destroyed when it returns: keep copies.
      const keep = (fn: PyCallable) => fn.copy() as PyCallable;
      original = { sleep: keep(sleep), set: keep(set), get: keep(get), defaultSigint: keep(defaultSigint) };
    },
  };
}
