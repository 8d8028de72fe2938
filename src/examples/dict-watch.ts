/**
 * Which of the baseline's dicts a block changed, so that the reset compares only those
 * (reset.py `watched_dicts`, `reset(..., dirty)`): ~900 module namespaces and containers and
 * ~1,600 class dicts, ≈45,000 names, took ≈5 ms per run to compare in WebAssembly.
 *
 * CPython 3.12+ can call a function on every change to a watched dict: `PyDict_AddWatcher`,
 * `PyDict_Watch` ("Dictionary Objects" in the C API reference). The callback here is a
 * JavaScript function put into the WebAssembly function table (Emscripten's `addFunction`),
 * so no Python frame runs on a change: an example's `sys.settrace` or `sys.setprofile` sees
 * nothing of it, and no recursion limit applies. It only notes the dict's address, which is its
 * `id()` in CPython.
 *
 * A watcher lives in one interpreter's memory and function table: it is installed after each
 * restore from the snapshot, never before one is taken (a snapshot restores memory, not the
 * table, so a watcher in it would point at no function).
 */

/** The Emscripten module fields used (Pyodide 314's `_module`; C exports are prefixed with `_`). */
export interface WatchModule {
  addFunction(fn: (...args: number[]) => number, signature: string): number;
  _PyDict_AddWatcher(callback: number): number;
  _PyDict_Watch(watcher: number, dict: number): number;
  _PyErr_Clear(): void;
}

/** An interpreter's dict watcher. */
export interface DictWatch {
  /** Addresses of the watched dicts changed since {@link takeDirty} last ran; null: no watcher. */
  readonly dirty: Set<number> | null;
}

/**
 * Watch `dicts` in the interpreter of `module`.
 * @param module the interpreter's Emscripten module (`pyodide._module`).
 * @param dicts addresses (`id()`) of live dicts, from reset.py `watched_dicts()`.
 * @returns the watch; its `dirty` is null when no watcher could be installed (all of CPython's
 *   8 watcher ids taken, or a dict refused), and then the reset compares everything.
 */
export function watchDicts(module: WatchModule, dicts: Iterable<number>): DictWatch {
  const dirty = new Set<number>();
  // PyDict_WatchCallback: int (*)(PyDict_WatchEvent, PyObject *dict, PyObject *key, PyObject *new_value).
  const callback = module.addFunction((_event: number, dict: number) => {
    dirty.add(dict);
    return 0;
  }, 'iiiii');
  const watcher = module._PyDict_AddWatcher(callback);
  if (watcher < 0) {
    module._PyErr_Clear();
    return { dirty: null };
  }
  for (const dict of dicts) {
    if (module._PyDict_Watch(watcher, dict) < 0) {
      module._PyErr_Clear();
      return { dirty: null };
    }
  }
  return { dirty };
}

/**
 * The changed dicts, for reset.py, and (with `clear`) start a new count.
 * @returns the addresses changed since the count started, comma-separated (a string crosses
 *   into Python as a plain `str`: a JavaScript array would become a JsProxy, whose type Pyodide
 *   registers with `collections.abc` on first use, which the reset counts as a change), or null
 *   when nothing is watched (the reset then compares every dict).
 */
export function takeDirty(watch: DictWatch, clear = true): string | null {
  if (!watch.dirty) return null;
  const ids = [...watch.dirty].join(',');
  if (clear) watch.dirty.clear();
  return ids;
}
