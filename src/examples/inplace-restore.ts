/**
 * In-place restore (prototype): put an interpreter back to the state it had right after the
 * runner prepared it, without a new WebAssembly instance. After `os._exit` the runner otherwise
 * restores a new interpreter from the memory snapshot (`loadPyodide({_loadSnapshot})`, ≈120 ms of
 * CPU, most of it Emscripten's dynamic-linking bookkeeping for the new instance); here the same
 * instance gets back a copy of its linear memory (`HEAP8.set`) and the JavaScript-side state that
 * memory refers to:
 *
 * - Pyodide's hiwire table (JavaScript values Python holds, a WebAssembly table outside linear
 *   memory: `_hiwire_get`/`_hiwire_set`, as Pyodide's own `serializeHiwireState` and
 *   `syncUpSnapshotLoad2` walk it);
 * - the Emscripten stack pointer (`stackSave`/`stackRestore`), which an exception thrown through
 *   WebAssembly frames (`ExitStatus`) leaves where the exit happened;
 * - Pyodide's JSPI flags (`validSuspender`, `suspenderGlobal`), which a call that threw leaves set;
 * - the file system: open streams (`FS.streams`), the working directory, the scratch folders'
 *   contents and modes (nothing else may have changed: isolation.ts `filesChange`);
 * - PyProxies and other finalizer registrations made after the save point: their pointers refer
 *   to memory that no longer holds those objects, so their finalizers must never decref it and
 *   the proxies must be dead (`Module.finalizationRegistry`, `gc_register_proxy`).
 *
 * Anything it cannot put back is a reason to fall back to the full restore: memory grown past
 * the limit, a dynamic library loaded, the function table grown, a finalizer registration that
 * is not a PyProxy still alive.
 *
 * `os._exit` itself: Pyodide turns the `ExitStatus` Emscripten throws into a fatal error
 * (`API.fatal_error`) that sets a flag no one can clear (so a later fatal error is only logged)
 * and makes the public API throw. {@link installInPlaceRestore} routes `ExitStatus` past it:
 * the error still propagates through every JavaScript layer up to the caller (flagged
 * `pyodide_fatal_error`, as Pyodide flags it), but the interpreter object stays usable for the
 * restore.
 */

/** The parts of Pyodide's and Emscripten's module objects used here (private: `py._module`, `py._api`). */
interface EmModule {
  HEAP8: Int8Array;
  __hiwire_get(index: number): unknown;
  __hiwire_set(index: number, value: unknown): number;
  stackSave(): number;
  stackRestore(pointer: number): void;
  validSuspender: { value: unknown };
  suspenderGlobal: { value: unknown };
  wasmTable: WebAssembly.Table;
  LDSO: { loadedLibsByName: Record<string, unknown> };
  finalizationRegistry: {
    register(target: object, held: { ptr: number; cache?: unknown }, token?: object): void;
    unregister(token: object): boolean;
  };
  FS: EmFs;
  API: { fatal_error(error: unknown): never };
}

interface EmStream {
  position: number;
}

interface EmFs {
  streams: (EmStream | undefined | null)[];
  cwd(): string;
  chdir(path: string): void;
  closeStream(fd: number): void;
  readdir(path: string): string[];
  stat(path: string): { mode: number };
  chmod(path: string, mode: number): void;
  isDir(mode: number): boolean;
  lstat(path: string): { mode: number };
  unlink(path: string): void;
  rmdir(path: string): void;
}

/** What {@link saveInPlace} keeps: the state an in-place restore returns to. */
export interface SavePoint {
  /** A copy of the whole linear memory, bytes. */
  memory: Uint8Array;
  stack: number;
  hiwire: unknown[];
  validSuspender: unknown;
  suspenderGlobal: unknown;
  tableLength: number;
  libraries: number;
  streams: (EmStream | undefined | null)[];
  positions: number[];
  cwd: string;
  scratch: Map<string, number>;
}

/** Finalizer registrations since the save point, per module (see {@link installInPlaceRestore}). */
interface Registrations {
  /** `held` objects of registrations made since the save point (their `ptr` is zeroed on restore). */
  held: { ptr: number; cache?: unknown }[];
  /** Functions registered (once-callables, promise handles): their closures hold raw pointers. */
  others: WeakRef<object>[];
}

const registrations = new WeakMap<object, Registrations>();

/** Pyodide's `Module` behind an interpreter. */
function moduleOf(py: unknown): EmModule {
  return (py as { _module: EmModule })._module;
}

/**
 * Prepare `py` for in-place restores: route `ExitStatus` past Pyodide's fatal-error handling and
 * record every finalizer registration from now on. Call once, before {@link saveInPlace}.
 * @param py an interpreter from `loadPyodide`.
 */
export function installInPlaceRestore(py: unknown): void {
  const module = moduleOf(py);
  const api = module.API;
  const fatal = api.fatal_error.bind(api);
  api.fatal_error = (error: unknown) => {
    const e = error as { name?: string; status?: unknown; pyodide_fatal_error?: boolean } | null;
    if (e && typeof e === 'object' && e.name === 'ExitStatus' && typeof e.status === 'number') {
      e.pyodide_fatal_error = true;
      throw e;
    }
    return fatal(error);
  };
  const record: Registrations = { held: [], others: [] };
  registrations.set(module, record);
  const registry = module.finalizationRegistry;
  const register = registry.register.bind(registry);
  registry.register = (target, held, token) => {
    record.held.push(held);
    // gc_register_proxy registers the proxy's `shared` object, which has `ptr` and `cache`.
    // (Iterators over a PyProxy, the other registrations, are generators only the JavaScript
    // that iterated holds: their finalizer is all that can reach the pointer.)
    if (typeof target === 'function') record.others.push(new WeakRef(target));
    if (record.held.length > 4096) record.held = record.held.filter((h) => h.ptr !== 0);
    register(target, held, token);
  };
}

/**
 * Take the save point of `py` now (≈memory size copied).
 * @param scratchDirs folders whose contents are emptied on restore (their modes are kept).
 */
export function saveInPlace(py: unknown, scratchDirs: readonly string[]): SavePoint {
  const module = moduleOf(py);
  const hiwire: unknown[] = [];
  for (let i = 0; ; i++) {
    try {
      hiwire.push(module.__hiwire_get(i));
    } catch {
      break;
    }
  }
  const record = registrations.get(module);
  if (record) {
    record.held = [];
    record.others = [];
  }
  const fs = module.FS;
  return {
    memory: new Uint8Array(module.HEAP8.buffer).slice(),
    stack: module.stackSave(),
    hiwire,
    validSuspender: module.validSuspender.value,
    suspenderGlobal: module.suspenderGlobal.value,
    tableLength: module.wasmTable.length,
    libraries: Object.keys(module.LDSO.loadedLibsByName).length,
    streams: fs.streams.slice(),
    positions: fs.streams.map((s) => s?.position ?? 0),
    cwd: fs.cwd(),
    scratch: new Map(scratchDirs.map((dir) => [dir, fs.stat(dir).mode])),
  };
}

function emptyFolder(fs: EmFs, dir: string): void {
  for (const name of fs.readdir(dir)) {
    if (name === '.' || name === '..') continue;
    const path = `${dir}/${name}`;
    const { mode } = fs.lstat(path);
    if (fs.isDir(mode)) {
      fs.chmod(path, 0o777);
      emptyFolder(fs, path);
      fs.rmdir(path);
    } else fs.unlink(path);
  }
}

/**
 * Put `py` back to `save`. The caller has checked the files outside the scratch folders.
 * @returns null when done, else why it cannot be done (then `py` must be discarded; nothing
 *   was changed unless the reason says so).
 */
export function restoreInPlace(py: unknown, save: SavePoint, memoryLimitBytes: number): string | null {
  const module = moduleOf(py);
  const record = registrations.get(module);
  if (!record) return 'in-place restore not installed';
  const heap = new Uint8Array(module.HEAP8.buffer);
  if (heap.length > memoryLimitBytes) return `memory grew to ${heap.length >> 20} MiB`;
  if (module.wasmTable.length !== save.tableLength) return 'the function table grew';
  if (Object.keys(module.LDSO.loadedLibsByName).length !== save.libraries) return 'a dynamic library was loaded';
  for (const ref of record.others) if (ref.deref()) return 'a Python callable handed to JavaScript is alive';
  // From here on the interpreter is changed.
  for (const held of record.held) {
    held.ptr = 0;
    held.cache = undefined;
  }
  record.held = [];
  record.others = [];
  heap.set(save.memory);
  if (heap.length > save.memory.length) heap.fill(0, save.memory.length);
  module.stackRestore(save.stack);
  module.validSuspender.value = save.validSuspender;
  module.suspenderGlobal.value = save.suspenderGlobal;
  // Every slot the saved memory knows of gets its saved value back (as syncUpSnapshotLoad2
  // does after a snapshot's HEAP8.set); slots past them are free in the saved memory.
  for (let i = 0; i < save.hiwire.length; i++) {
    if (module.__hiwire_set(i, save.hiwire[i]) < 0) return 'hiwire table set failed';
  }
  const fs = module.FS;
  for (let fd = 0; fd < Math.max(fs.streams.length, save.streams.length); fd++) {
    const saved = save.streams[fd];
    const live = fs.streams[fd];
    if (live && live !== saved) {
      try {
        fs.closeStream(fd);
      } catch {
        // a stream whose close fails is dropped anyway
      }
    }
    if (saved) {
      fs.streams[fd] = saved;
      saved.position = save.positions[fd] ?? 0;
    } else delete fs.streams[fd];
  }
  fs.chdir(save.cwd);
  for (const [dir, mode] of save.scratch) {
    fs.chmod(dir, mode);
    emptyFolder(fs, dir);
  }
  return null;
}
