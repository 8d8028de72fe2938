/**
 * Lockdown of a verifier worker thread: what an example can reach of the host through Pyodide's
 * `js` and `pyodide_js` modules. Examples are untrusted; the verifier's promise is that one block
 * cannot change another block's result or the report. Three layers, weakest first:
 *
 * 1. `jsglobals` (Pyodide's `loadPyodide` option, https://pyodide.org/en/stable/usage/api/js-api.html#globalThis.loadPyodide):
 *    the `js` module is a small object with the intrinsics Pyodide's own Python code imports, not
 *    the worker's `globalThis`, so `js.process`, `js.TextDecoder` and friends do not exist.
 * 2. This thread's process methods that act on the whole process (`process.kill`,
 *    `process._rawDebug`, `process.binding`, `process.dlopen`, `process.getBuiltinModule`) are
 *    replaced by functions that throw, non-writable and non-configurable, before Pyodide loads.
 *    The worker's own code keeps the real `process.reallyExit` (module scope) to end its thread
 *    quietly after an uncaught error ({@link endThread}); in a worker it ends that thread only.
 * 3. The sandbox process (sandbox.ts) runs every worker under Node's permission model (no file
 *    writes, no child processes, no addons) with code generation from strings disabled, so a
 *    path to `globalThis` or `Function` that layer 1 missed still writes nothing on the host.
 *
 * And timers: every host timer (`setTimeout`, `setInterval`, `setImmediate`) created while a block
 * runs is cancelled when it ends, as CPython's exit drops whatever was scheduled, so a callback an
 * example left behind can never fire into the next block.
 */
import { constants as fsConstants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { isMainThread } from 'node:worker_threads';

/** Thrown by every locked process method. */
export class LockedError extends Error {
  constructor(what: string) {
    super(`${what} is not available to examples (the verifier's worker is locked down)`);
    this.name = 'LockedError';
  }
}

/** Process methods that act on the whole process (or load native code), locked by {@link lockDownProcess}. */
const LOCKED_PROCESS_METHODS = [
  'kill',
  '_kill',
  '_rawDebug',
  'dlopen',
  'getBuiltinModule',
  'reallyExit',
  'abort',
  '_linkedBinding',
] as const;

/** This thread's own `process.reallyExit`, kept by the first {@link lockDownProcess} for {@link endThread}. */
let reallyExit: ((code: number) => void) | undefined;

/**
 * Lock this thread's process methods that reach beyond the thread. `process.binding` keeps the
 * one use Pyodide makes of it (`process.binding("constants")`, Emscripten's NODEFS start-up),
 * answered from `fs.constants`/`os.constants`, since the permission model forbids the real one.
 * Call once, before Pyodide loads. Idempotent.
 */
export function lockDownProcess(): void {
  // Kept in this module's scope, which no example reaches (it sees neither `process` nor this
  // module): only the worker's own code can end its thread, through endThread.
  reallyExit ??= (process as unknown as { reallyExit: (code: number) => void }).reallyExit.bind(process);
  const lock = (name: string, value: unknown) => {
    const descriptor = Object.getOwnPropertyDescriptor(process, name);
    if (descriptor && !descriptor.configurable) return; // locked already
    Object.defineProperty(process, name, { value, writable: false, configurable: false, enumerable: false });
  };
  for (const name of LOCKED_PROCESS_METHODS) {
    lock(name, () => {
      throw new LockedError(`process.${name}`);
    });
  }
  lock('binding', (name: string) => {
    if (name === 'constants') return { fs: fsConstants, os: osConstants };
    throw new LockedError(`process.binding("${name}")`);
  });
}

/**
 * End this worker thread at once and quietly, with exit status `code`: for the worker's own
 * handler of an uncaught error (worker-node.ts). Node's own way out of such an error is
 * `process.exit()`, which calls the locked `process.reallyExit`: the LockedError it throws there
 * is an error inside Node's fatal-exception handler, which Node prints to the process's real
 * stderr (not the worker's piped one). The original `reallyExit` of a worker thread ends that
 * thread only (Node's worker exit handler), never the process, and messages the thread posted
 * before it are still delivered (the parent drains the port before its `exit` event).
 * @param code the thread's exit status (the pool's `exit` event receives it).
 * @throws Error on the main thread (it would end the process) or before {@link lockDownProcess}.
 */
export function endThread(code: number): void {
  if (isMainThread) throw new Error('endThread ends a worker thread; on the main thread it would end the process');
  if (!reallyExit) throw new Error('endThread needs lockDownProcess() first');
  reallyExit(code);
}

type TimerHandle = ReturnType<typeof setTimeout> | ReturnType<typeof setImmediate>;

/** The host timers created since {@link TimerTracker.begin}, cancelled by {@link TimerTracker.end}. */
export interface TimerTracker {
  /** Start tracking for a block: timers created from now on belong to it. */
  begin(): void;
  /** Cancel every timer the block created that has not fired (or every interval); returns how many. */
  end(): number;
}

/**
 * Replace this thread's global `setTimeout`, `setInterval` and `setImmediate` (and their clear
 * functions) by tracking versions, non-writable, so that neither Pyodide's event loop nor an
 * example's `js.setTimeout` can schedule past the end of a block. Call once, before Pyodide loads.
 * @returns the tracker the worker calls around each block.
 */
export function trackTimers(): TimerTracker {
  const native = {
    setTimeout: globalThis.setTimeout,
    clearTimeout: globalThis.clearTimeout,
    setInterval: globalThis.setInterval,
    clearInterval: globalThis.clearInterval,
    setImmediate: globalThis.setImmediate,
    clearImmediate: globalThis.clearImmediate,
  };
  let live = new Map<TimerHandle, 'timeout' | 'interval' | 'immediate'>();
  let tracking = false;
  const track = <H extends TimerHandle>(kind: 'timeout' | 'interval' | 'immediate', handle: H): H => {
    if (tracking) live.set(handle, kind);
    return handle;
  };
  const wrapped = {
    setTimeout: (callback: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) => {
      const handle: ReturnType<typeof setTimeout> = native.setTimeout(
        (...a: unknown[]) => {
          live.delete(handle);
          callback(...a);
        },
        delay,
        ...args,
      );
      return track('timeout', handle);
    },
    setInterval: (callback: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) =>
      track('interval', native.setInterval(callback, delay, ...args)),
    setImmediate: (callback: (...args: unknown[]) => void, ...args: unknown[]) => {
      const handle: ReturnType<typeof setImmediate> = native.setImmediate(
        (...a: unknown[]) => {
          live.delete(handle);
          callback(...a);
        },
        ...args,
      );
      return track('immediate', handle);
    },
    clearTimeout: (handle: ReturnType<typeof setTimeout> | undefined) => {
      if (handle !== undefined) live.delete(handle);
      native.clearTimeout(handle);
    },
    clearInterval: (handle: ReturnType<typeof setInterval> | undefined) => {
      if (handle !== undefined) live.delete(handle);
      native.clearInterval(handle);
    },
    clearImmediate: (handle: ReturnType<typeof setImmediate> | undefined) => {
      if (handle !== undefined) live.delete(handle);
      native.clearImmediate(handle);
    },
  };
  for (const [name, value] of Object.entries(wrapped)) {
    Object.defineProperty(globalThis, name, { value, writable: false, configurable: false });
  }
  return {
    begin() {
      live = new Map();
      tracking = true;
    },
    end() {
      tracking = false;
      const count = live.size;
      for (const [handle, kind] of live) {
        if (kind === 'immediate') native.clearImmediate(handle as ReturnType<typeof setImmediate>);
        else native.clearTimeout(handle as ReturnType<typeof setTimeout>);
      }
      live = new Map();
      return count;
    },
  };
}

/**
 * The object Pyodide's `js` module shows examples (`loadPyodide({ jsglobals })`): the JavaScript
 * intrinsics Pyodide's own Python code imports from `js` (pyodide.ffi.wrappers: the timers;
 * _pyodide._core_docs: WeakRef, Array, Object, Date; conversions: typed arrays, Map, Promise)
 * and nothing of the host: no `process`, no `globalThis`, no `fetch`, no `TextDecoder`.
 * Changes an example makes to it are confined to its interpreter, which is reset or replaced.
 * @returns a fresh null-prototype object (one per interpreter).
 */
export function sandboxGlobals(): Record<string, unknown> {
  const names = [
    'Object',
    'Array',
    'Map',
    'Set',
    'WeakMap',
    'WeakSet',
    'WeakRef',
    'Promise',
    'Error',
    'TypeError',
    'RangeError',
    'Date',
    'JSON',
    'Math',
    'Number',
    'String',
    'Boolean',
    'Symbol',
    'BigInt',
    'ArrayBuffer',
    'DataView',
    'Uint8Array',
    'Int8Array',
    'Uint16Array',
    'Int16Array',
    'Uint32Array',
    'Int32Array',
    'Float32Array',
    'Float64Array',
    'BigInt64Array',
    'BigUint64Array',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
  ] as const;
  const scope: Record<string, unknown> = Object.create(null);
  for (const name of names) scope[name] = (globalThis as Record<string, unknown>)[name];
  return scope;
}
