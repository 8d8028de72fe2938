/**
 * The runner: executes one example block in a fresh Pyodide interpreter and returns what a
 * terminal would show. Isomorphic on purpose: the build-time verifier (Node) and the reader's
 * browser worker import this same module, so a Run button reproduces exactly what was verified.
 *
 * Fresh state per block: a warm interpreter is reset in place (runner.py `reset`), and one that
 * cannot be reset faithfully is replaced by a new one restored from a memory snapshot (Pyodide's
 * private `_makeSnapshot`/`_loadSnapshot` options of `loadPyodide`), so no file, module, monkeypatch,
 * warnings registry entry or atexit handler leaks from one block to the next.
 */
import type { loadPyodide as LoadPyodideFn } from 'pyodide';
import type { PyCallable, PyProxy } from 'pyodide/ffi';
import {
  captureFiles,
  captureRealm,
  type FilesSnapshot,
  filesChange,
  type ProxyWatch,
  type RealmSnapshot,
  restoreRealm,
  watchProxies,
} from './isolation.ts';
import { type DictWatch, takeDirty, type WatchModule, watchDicts } from './dict-watch.ts';
import { type HostWaits, hostWaits, type InterruptCell } from './host-waits.ts';
import { installInPlaceRestore, restoreInPlace, type SavePoint, saveInPlace } from './inplace-restore.ts';
import { atomicInterruptBuffer } from './interrupt-buffer.ts';
import { EXITED, type OutputChunk, type Stream } from './output.ts';
import { type CounterModule, findTaskCounter, restoreTaskCounter, type TaskCounter } from './task-counter.ts';
import type { Trace } from './trace-types.ts';
import { type StdoutMode, startupEnvProblem } from './stdio-options.ts';

/** `loadPyodide` from the `pyodide` package, or the same function loaded from a self-hosted URL. */
export type LoadPyodide = typeof LoadPyodideFn;

/** The interpreter object `loadPyodide` resolves to. */
export type Interpreter = Awaited<ReturnType<LoadPyodide>>;

/**
 * Environment every interpreter starts with: no ANSI colour in tracebacks (Python 3.14 colours
 * them on a tty), a fixed hash seed so `set` orders of str keys are reproducible (0 by default;
 * {@link RunnerOptions.hashSeed} sets another, and runner.py removes it from `os.environ`).
 * See https://docs.python.org/3/using/cmdline.html#environment-variables.
 */
export const INTERPRETER_ENV: Readonly<Record<string, string>> = {
  PYTHONHASHSEED: '0',
  PYTHON_COLORS: '0',
  HOME: '/home/pyodide',
};

/** What one run produced. */
export interface RunResult {
  /** Writes to fd 1 and 2, in order, decoded as UTF-8 with U+FFFD for invalid bytes. */
  chunks: OutputChunk[];
  /** `$?` as a shell would report it (0-255; 130 after an unhandled KeyboardInterrupt). */
  exitStatus: number;
  /** Wall time of the whole call in ms: interpreter restore (if any), run, reset. */
  durationMs: number;
  /** Time spent in the example itself in ms (compile, execute, atexit, finalization). */
  execMs: number;
  /** Output bytes dropped past {@link RunOptions.maxOutputBytes} (0 when nothing was dropped). */
  truncatedBytes: number;
  /** The interpreter itself failed (e.g. a JavaScript stack overflow): a description, else null. */
  fault: string | null;
  /** Why the interpreter was not kept for the next run (os._exit, a fault, taint), else null. */
  discarded: string | null;
  /**
   * The control-flow trace (trace-types.ts), when the run asked for it ({@link RunOptions.trace}):
   * absent otherwise, and absent when the interpreter ended before the trace could be read
   * (os._exit, a fault).
   */
  trace?: Trace;
}

/** Per-run options. */
export interface RunOptions {
  /**
   * Pyodide's interrupt buffer (an Int32Array or Uint8Array on a SharedArrayBuffer): another
   * thread writes 2 (SIGINT) into element 0 to raise KeyboardInterrupt in the running code.
   * See https://pyodide.org/en/stable/usage/keyboard-interrupts.html.
   */
  interruptBuffer?: Int32Array | Uint8Array;
  /** Output kept per run, in bytes; the rest is counted and dropped. Default 1 MiB. */
  maxOutputBytes?: number;
  /** Called with each piece of output as it is written (for live display and for hosts that may kill the run). */
  onChunk?: (chunk: OutputChunk) => void;
  /**
   * Called with the bytes of each write (within the output limit) before decoding; the bytes are
   * a copy the callee may keep. The verifier's worker sends these and its host decodes them, out
   * of the example's reach (an example can replace its own thread's `TextDecoder`).
   */
  onBytes?: (stream: Stream, bytes: Uint8Array) => void;
  /**
   * Called once the block is compiled and the interrupt buffer is armed, just before the block's
   * code starts. A host starts the block's time limit here: a SIGINT written earlier would be
   * cleared by the arming (or land in the runner's own setup) and be lost.
   */
  onStart?: () => void;
  /**
   * Allocate a random amount of memory, in every small-object size class, before the block runs
   * (freed after it), so that the addresses of the block's new objects differ from an unshifted
   * run. The verifier's second run uses it: output that shows `id()` or a default
   * `<… object at 0x…>` repr then differs between the two runs, as it does between two runs of
   * CPython, and is reported as nondeterministic. Default false.
   */
  shiftHeap?: boolean;
  /**
   * Run in an interpreter restored from the snapshot for this run, instead of the warm one
   * (≈0.1–0.2 s more): the verifier's reference run when two runs of a block disagree, to tell
   * state leaked from earlier blocks from output that varies by itself. Default false.
   */
  fresh?: boolean;
  /**
   * `pipe`: run as `python3 example.py > out.txt 2>&1` (fd 1 and 2 are not a terminal, stdout is
   * block-buffered: runner.py `_terminal_stdio`); default `terminal` (stdio-options.ts).
   */
  stdout?: StdoutMode;
  /** Start-up variables of the block (`env=` meta), names from stdio-options.ts `STARTUP_VARIABLES`. Default none. */
  env?: Readonly<Record<string, string>>;
  /**
   * Record the block's control flow with `sys.monitoring` (tracer.py) into {@link RunResult.trace}:
   * the Step button and the `trace` fence meta (issue 14). Default false: no monitoring tool is
   * taken and the run pays nothing for tracing.
   */
  trace?: boolean;
}

/** The hash seed of the verifier's second run (see {@link RunnerOptions.hashSeed}). */
export const ALTERNATE_HASH_SEED = 1;

/** Options for {@link ExampleRunner.create}. */
export interface RunnerOptions {
  /** `loadPyodide` to use (Node: `import { loadPyodide } from 'pyodide'`). */
  loadPyodide: LoadPyodide;
  /** Texts of runner.py and reset.py (Node reads the files; the browser bundles them). */
  runnerSources: RunnerSources;
  /** Where Pyodide's files live; defaults to the package's own folder. */
  indexURL?: string;
  /** A snapshot from {@link ExampleRunner.snapshot} of another runner, to skip the cold load. */
  snapshot?: Uint8Array;
  /**
   * `PYTHONHASHSEED` of the interpreter (0–4294967295). Default 0, which the browser also uses.
   * A snapshot keeps the seed it was made with: `snapshot` must come from a runner of the same
   * seed. The verifier's second run uses {@link ALTERNATE_HASH_SEED}, so that output that depends
   * on the iteration order of a set of strings differs between the runs, as it does between two
   * runs of CPython (whose seed is random).
   */
  hashSeed?: number;
  /**
   * An interpreter whose WebAssembly memory grew past this many bytes is not reused
   * (memory never shrinks). Default 256 MiB.
   */
  memoryLimitBytes?: number;
  /**
   * What the interpreter's `js` module is (Pyodide's `jsglobals` option of `loadPyodide`);
   * default the global scope. The verifier's workers pass lockdown.ts `sandboxGlobals()`.
   */
  jsglobals?: object;
  /**
   * Ceiling of the effective recursion limit, in Python frames (host-waits.ts
   * `RECURSION_CEILING`, the default, fits V8's default 984 KiB stack); a host that gives the
   * thread a bigger stack passes more. `sys.setrecursionlimit` above it sets it, and
   * `sys.getrecursionlimit` still answers what was set.
   */
  recursionCeiling?: number;
  /**
   * After `os._exit`, put the interpreter back in place (inplace-restore.ts: its memory and the
   * JavaScript state that refers to it) instead of restoring a new one from the snapshot, when
   * every check passes (≈5 ms instead of ≈120 ms of CPU). Costs a copy of the memory per
   * interpreter (≈30 MB). Default false; the verifier's workers (worker-node.ts) and the browser
   * worker (src/client/worker.ts) turn it on.
   */
  inPlaceRestore?: boolean;
}

/** The Python half of the runner: src/examples/runner.py (the CPython main sequence) and reset.py (fresh state). */
export interface RunnerSources {
  /** Text of runner.py. */
  runner: string;
  /** Text of reset.py. */
  reset: string;
  /** Text of tracer.py (the control-flow tracer of {@link RunOptions.trace}). */
  tracer: string;
}

/** Default {@link RunOptions.maxOutputBytes}: 1 MiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1 << 20;

/** Module names runner.py and reset.py are installed under inside each interpreter (runner.py imports the second). */
const RUNNER_MODULE = '_example_runner';
const RESET_MODULE = '_example_reset';
const TRACER_MODULE = '_example_tracer';

/**
 * The file name of the runner's own code objects (runner.py, reset.py, tracer.py). CPython runs
 * its shutdown with no Python frame at all, so a warning raised there with `stacklevel=2` (a
 * `__del__` at exit, a coroutine never awaited) is reported as `<sys>:0`; ours runs under the
 * runner's finalize frames. A file name that holds both "importlib" and "_bootstrap" makes the
 * warnings machinery skip those frames as it skips the import system's own
 * (Python/_warnings.c `is_internal_filename`), so it reaches no frame and says `<sys>:0` too.
 */
const RUNNER_FILENAME = '<runner (importlib._bootstrap)>';

/**
 * Install reset.py, then runner.py, as modules without a file on the interpreter's file system,
 * so that an example listing `/tmp` or `sys.path` sees nothing of ours, and prepare everything
 * of the runner that is Python state (runner.py `prepare`: the baseline reset.py restores, its
 * audit hook, the frozen start-up objects, CPython's asyncio.run). Called before the memory
 * snapshot is taken, so that every interpreter restored from it (here and in the reader's
 * browser, src/integrations/make-snapshot.ts) starts prepared and only the hooks that need
 * JavaScript objects are installed after a restore ({@link ExampleRunner.interpreter}, ≈40 ms
 * less per restore).
 */
function installRunner(py: Interpreter, sources: RunnerSources): void {
  const install = py.runPython(`
import sys, types
def _install(name, source):
    module = types.ModuleType(name)
    exec(compile(source, ${JSON.stringify(RUNNER_FILENAME)}, "exec"), module.__dict__)
    sys.modules[name] = module
_install`);
  try {
    install(RESET_MODULE, sources.reset);
    install(TRACER_MODULE, sources.tracer); // imported by runner.py
    install(RUNNER_MODULE, sources.runner);
  } finally {
    install.destroy();
  }
  const runner = py.pyimport(RUNNER_MODULE);
  try {
    runner.prepare();
  } finally {
    runner.destroy();
  }
}

/**
 * Where the block is written before it runs: `example.py` in the working directory, the script
 * file of `python3 example.py` (runner.py FILENAME; reset.py keeps the working directory).
 */
const SCRIPT_PATH = '/home/pyodide/example.py';

/** Folders an example may change (runner.py `SCRATCH_DIRS`); the rest of the file system must not change. */
const SCRATCH_DIRS = ['/home/pyodide', '/tmp'];

/** Per interpreter: runner.py's functions and the baselines of the checks in isolation.ts. */
interface RunnerState {
  /** runner.py's entry points, taken before any block runs: prepare() removes the module from `sys.modules`, so an example can neither import it nor swap a function called here. */
  fns: {
    begin: PyCallable;
    report: PyCallable;
    endScript: PyCallable;
    runExitfuncs: PyCallable;
    finalize: PyCallable;
    finalizeModules: PyCallable;
    nextModuleDict: PyCallable;
    moduleDictKeys: PyCallable;
    /** `gc.collect`, called from JavaScript between `finalize` and `finalizeModules`. */
    gcCollect: PyCallable;
    exitStatus: PyCallable;
    reset: PyCallable;
    traceStart: PyCallable;
    tracePhase: PyCallable;
    traceStop: PyCallable;
  };
  files: FilesSnapshot;
  proxies: ProxyWatch;
  /** The state an in-place restore returns to (inplace-restore.ts), when enabled. */
  save?: SavePoint;
  /** Which baseline dicts the block changed (dict-watch.ts): the reset compares only those. */
  watch: DictWatch;
  /** The host's waits, and the recursion limit they answered at the save point. */
  waits: HostWaits;
  recursionLimit: unknown;
  /** asyncio's C task-name counter (task-counter.ts), put back after each reset; null: not found. */
  taskCounter: TaskCounter | null;
}

const runnerStates = new WeakMap<Interpreter, RunnerState>();

/** Per interpreter: the interrupt buffer of the run in progress, read by host-waits.ts. */
const interruptCells = new WeakMap<Interpreter, InterruptCell>();

/**
 * The runner functions of an interpreter from {@link ExampleRunner.interpreter}.
 * @throws Error when `py` was not prepared by an ExampleRunner.
 */
function runnerFunctions(py: Interpreter): RunnerState['fns'] {
  const state = runnerStates.get(py);
  if (!state) throw new Error('the interpreter was not prepared by ExampleRunner.interpreter()');
  return state.fns;
}

/** Event-loop callbacks scheduled by the running example and not yet run, per interpreter. */
const pendingCallbacks = new WeakMap<Interpreter, Set<{ callback: { destroy?: () => void } }>>();

/**
 * Route Pyodide's WebLoop scheduling (`pyodide.webloop.scheduleCallback`, which defers to
 * setTimeout) through a tracker, so that callbacks still pending when an example ends can be
 * dropped, as CPython drops them at exit. Left alone, a cancelled `asyncio.sleep(10)` fires into
 * a later example, and entering its promising callback mid-run breaks the interpreter.
 */
function installCallbackTracking(py: Interpreter): void {
  const webloop = py.pyimport('pyodide.webloop');
  const original = webloop.scheduleCallback as (callback: unknown, delay: number) => void;
  const pending = new Set<{ callback: { destroy?: () => void } }>();
  pendingCallbacks.set(py, pending);
  webloop.scheduleCallback = (callback: { (): void; destroy?: () => void }, delay = 0) => {
    const entry = { callback };
    pending.add(entry);
    original(() => {
      if (pending.delete(entry)) callback();
    }, delay);
  };
  webloop.destroy();
}

/** Drop the callbacks an example left scheduled (they would never run after CPython exits). */
function dropPendingCallbacks(py: Interpreter): void {
  const pending = pendingCallbacks.get(py);
  if (!pending) return;
  for (const { callback } of pending) callback.destroy?.();
  pending.clear();
}

/** Bytes of WebAssembly memory an interpreter holds now (private `_module`: no public API). */
function memoryBytes(py: Interpreter): number {
  return (py as unknown as { _module: { HEAP8: Int8Array } })._module.HEAP8.length;
}

/**
 * Runs example blocks, each from the same fresh state. A warm interpreter is reset in place
 * after each block (runner.py's `reset`, a few ms); when it cannot be reset faithfully (os._exit,
 * a fault, a write outside the scratch folders, a patched standard-library class, memory growth)
 * it is discarded and the next block gets a new one restored from the snapshot (≈0.1–0.2 s).
 */
export class ExampleRunner {
  private readonly options: RunnerOptions;
  /** The memory snapshot every interpreter is restored from (≈30 MB). */
  readonly snapshot: Uint8Array;
  private current: Interpreter | null = null;
  /** JavaScript globals and prototypes as they were before the first block (isolation.ts). */
  private realm: RealmSnapshot | null = null;
  /** How many interpreters were restored from the snapshot so far (for benchmarks). */
  restores = 0;
  /** How many interpreters were put back in place after os._exit (inplace-restore.ts). */
  inPlaceRestores = 0;

  private constructor(options: RunnerOptions, snapshot: Uint8Array) {
    this.options = options;
    this.snapshot = snapshot;
  }

  /**
   * Load Pyodide once (≈2–3 s cold) and take the snapshot, or reuse `options.snapshot`.
   * @throws whatever `loadPyodide` throws when Pyodide's files cannot be loaded.
   */
  static async create(options: RunnerOptions): Promise<ExampleRunner> {
    if (options.snapshot) return new ExampleRunner(options, options.snapshot);
    const base = await options.loadPyodide({
      indexURL: options.indexURL,
      env: { ...INTERPRETER_ENV, PYTHONHASHSEED: String(options.hashSeed ?? 0) },
      ...(options.jsglobals ? { jsglobals: options.jsglobals } : {}),
      _makeSnapshot: true,
    });
    installRunner(base, options.runnerSources);
    return new ExampleRunner(options, base.makeMemorySnapshot());
  }

  /** The interpreter for the next run: the warm one, or a new one from the snapshot. */
  async interpreter(): Promise<Interpreter> {
    if (this.current) return this.current;
    const py = await this.options.loadPyodide({
      indexURL: this.options.indexURL,
      env: { ...INTERPRETER_ENV, PYTHONHASHSEED: String(this.options.hashSeed ?? 0) },
      ...(this.options.jsglobals ? { jsglobals: this.options.jsglobals } : {}),
      _loadSnapshot: this.snapshot,
    });
    this.restores++;
    if (this.options.inPlaceRestore) installInPlaceRestore(py);
    // An example reading stdin gets EOF, as with `python3 example.py < /dev/null`.
    py.setStdin({ stdin: () => null });
    installCallbackTracking(py);
    const runner = py.pyimport(RUNNER_MODULE);
    const reset = py.pyimport(RESET_MODULE);
    const tracer = py.pyimport(TRACER_MODULE);
    const fns = {
      begin: runner.begin,
      report: runner.report,
      endScript: runner.end_script,
      runExitfuncs: runner.run_exitfuncs,
      finalize: runner.finalize,
      finalizeModules: runner.finalize_modules,
      nextModuleDict: runner.next_module_dict,
      moduleDictKeys: runner.module_dict_keys,
      gcCollect: runner.gc.collect,
      exitStatus: runner.exit_status,
      reset: reset.reset,
      traceStart: tracer.start,
      tracePhase: tracer.phase,
      traceStop: tracer.stop,
    };
    // (The module proxies stay alive: the function proxies are borrowed from them.)
    const cell: InterruptCell = {};
    interruptCells.set(py, cell);
    const waits: HostWaits = hostWaits(py as unknown as Parameters<typeof hostWaits>[0], cell, this.options.recursionCeiling);
    // The rest was prepared before the snapshot (installRunner); this also hides both modules.
    runner.install_host(waits);
    const module = (py as unknown as { _module: Parameters<typeof watchProxies>[0] & WatchModule })._module;
    const watched = reset.watched_dicts() as PyProxy;
    const watch = watchDicts(module, watched.toJs() as number[]);
    watched.destroy();
    // Before the in-place save point, so that the probe's own tasks are not counted.
    const probe = reset.probe_task_counter as PyCallable;
    const taskCounter = findTaskCounter(module as unknown as CounterModule, () => probe() as number);
    probe.destroy();
    const state: RunnerState = {
      fns,
      watch,
      files: captureFiles(py.FS, SCRATCH_DIRS),
      proxies: watchProxies(module),
      waits,
      recursionLimit: waits.getrecursionlimit(),
      taskCounter,
    };
    if (this.options.inPlaceRestore) state.save = saveInPlace(py, SCRATCH_DIRS);
    runnerStates.set(py, state);
    this.realm ??= captureRealm(this.options.jsglobals ? [globalThis, this.options.jsglobals] : [globalThis]);
    this.current = py;
    return py;
  }

  /**
   * Run `code` as `python3 example.py` would, from the runner's fresh state.
   *
   * @param code the block's source (str; a final newline is optional).
   * @returns output, exit status and timings (see {@link RunResult}). Example errors,
   *   `sys.exit` and `os._exit` are results, and so are interpreter faults (`fault`).
   * @throws when no interpreter can be created (e.g. Pyodide's files are missing), or when
   *   `options.env` names a variable that is not one of stdio-options.ts `STARTUP_VARIABLES`.
   */
  async run(code: string, options: RunOptions = {}): Promise<RunResult> {
    const started = performance.now();
    if (options.fresh) this.current = null;
    const py = await this.interpreter();
    let result: RunResult;
    const state = runnerStates.get(py)!;
    let handedToJs = 0;
    const onStart = () => {
      state.proxies.start();
      options.onStart?.();
    };
    try {
      result = await runInInterpreter(py, code, { ...options, onStart });
    } catch (error) {
      this.current = null; // whatever broke, the next run gets a fresh interpreter
      throw error;
    } finally {
      handedToJs = state.proxies.stop();
    }
    // After a fault, let a turn of the event loop pass before the result goes out: a promise the
    // fault rejected (a stack overflow inside a Promise executor) is then reported while this
    // block still runs, and whatever that does to the thread is this block's, not the next one's.
    if (result.fault) await new Promise((resolve) => setTimeout(resolve, 0));
    let discarded = result.discarded;
    if (!discarded && handedToJs) discarded = `${handedToJs} Python object(s) handed to JavaScript outlive the block`;
    if (!discarded) {
      try {
        const limit = this.options.memoryLimitBytes ?? 256 * 2 ** 20;
        discarded = state.fns.reset(memoryBytes(py), limit, takeDirty(state.watch)) ?? filesChange(py.FS, state.files);
      } catch (error) {
        discarded = `reset failed: ${(error as Error).message}`;
      }
    }
    // JavaScript globals and prototypes outlive the interpreter: put them back in any case.
    const realm = restoreRealm(this.realm!);
    if (realm.failed.length) discarded ??= `cannot restore JavaScript ${realm.failed.join(', ')}`;
    else if (realm.restored.length) discarded ??= `changed JavaScript ${realm.restored.join(', ')}`;
    if (discarded && state.save && result.discarded?.startsWith(EXITED) && !handedToJs && !realm.failed.length && !realm.restored.length) {
      const limit = this.options.memoryLimitBytes ?? 256 * 2 ** 20;
      const problem = restoreInPlace(py, state.save, limit) ?? filesChange(py.FS, state.files);
      if (!problem) {
        // The memory is the save point's again, where no watched dict had changed.
        state.watch.dirty?.clear();
        state.waits.setrecursionlimit(state.recursionLimit);
        py.setInterruptBuffer(undefined as never);
        this.inPlaceRestores++;
        return { ...result, discarded, durationMs: performance.now() - started };
      }
    }
    if (discarded) this.current = null;
    else if (state.taskCounter) restoreTaskCounter((py as unknown as { _module: CounterModule })._module, state.taskCounter);
    return { ...result, discarded, durationMs: performance.now() - started };
  }
}

/**
 * CPython's `finalize_modules_clear_weaklist` over the example's modules still alive (runner.py
 * `next_module_dict`), each namespace cleared as `_PyModule_ClearDict` does (runner.py
 * `module_dict_keys`: names with one leading underscore first, then the rest but
 * `__builtins__`), by item assignments made from JavaScript: the finalizers they trigger run
 * with no Python frame of ours below them, as at CPython's exit.
 * @throws PythonError when an assignment fails (a finalizer's own exceptions are unraisable and
 *   reported, as in CPython, not thrown).
 */
function clearExampleModules(fns: RunnerState['fns']): void {
  for (;;) {
    const namespace = fns.nextModuleDict() as PyProxy | undefined;
    if (namespace === undefined) return;
    try {
      for (const first of [true, false]) {
        const keys = fns.moduleDictKeys(namespace, first) as PyProxy;
        const names = keys.toJs() as unknown[];
        keys.destroy();
        // undefined crosses into Python as None.
        for (const name of names) namespace.set(name, undefined);
      }
    } finally {
      namespace.destroy();
    }
  }
}

/**
 * Run one block in `py`, which must hold the runner module and have been prepared. Follows the
 * CPython command-line semantics documented in runner.py. Does not reset the interpreter; when
 * `discarded` is set, `py` must not be used again.
 */
export async function runInInterpreter(py: Interpreter, code_: string, options: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const chunks: OutputChunk[] = [];
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const limit = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  let kept = 0;
  let truncatedBytes = 0;
  /** UTF-16 code units of output decoded so far: each trace event's `outputOffset` (tracer.py). */
  let units = 0;
  let open = true;
  const env = options.env ?? {};
  const problem = startupEnvProblem(env);
  if (problem) throw new Error(problem);
  // Under `> out.txt 2>&1` neither fd is a terminal: sys.stdout.isatty() and os.isatty(1) say False.
  const tty = options.stdout !== 'pipe';
  const sink = (stream: Stream) => ({
    isatty: tty,
    write(bytes: Uint8Array): number {
      if (!open) return bytes.length;
      const room = Math.max(0, limit - kept);
      if (bytes.length > room) truncatedBytes += bytes.length - room;
      const text = decoders[stream].decode(bytes.subarray(0, room), { stream: true });
      kept += Math.min(room, bytes.length);
      if (options.onBytes && room > 0) options.onBytes(stream, bytes.slice(0, room));
      if (text) {
        units += text.length;
        options.onChunk?.({ stream, text });
        const last = chunks[chunks.length - 1];
        if (last?.stream === stream) last.text += text;
        else chunks.push({ stream, text });
      }
      return bytes.length;
    },
  });
  py.setStdout(sink('stdout'));
  py.setStderr(sink('stderr'));
  if (options.interruptBuffer) {
    options.interruptBuffer[0] = 0;
    // Not the array itself: Pyodide's check would lose a SIGINT stored while it clears the slot.
    py.setInterruptBuffer(atomicInterruptBuffer(options.interruptBuffer));
  }
  const cell = interruptCells.get(py);
  if (cell) cell.buffer = options.interruptBuffer;
  let exitStatus = 0;
  let execMs = 0;
  let fault: string | null = null;
  let discarded: string | null = null;
  let trace: Trace | undefined;
  const runner = runnerFunctions(py);
  const exec = py.pyimport('builtins').exec;
  const execStarted = performance.now();
  let namespace: PyProxy | null = null;
  // The script file, written from JavaScript: Python's audit hook does not see the runner's own write.
  py.FS.writeFile(SCRIPT_PATH, code_);
  try {
    const envLines = Object.entries(env)
      .map(([name, value]) => `${name}=${value}`)
      .join('\n');
    const begun = runner.begin(code_, options.shiftHeap ?? false, !tty, envLines) as PyProxy;
    const [code, ns, compileStatus] = begun as unknown as [PyProxy | undefined, PyProxy, number];
    // The tuple would keep __main__'s namespace alive past finalization (until JavaScript's GC).
    begun.destroy();
    namespace = ns;
    exitStatus = compileStatus;
    if (options.trace) {
      if (code) runner.traceStart(code, code_, () => units);
      else trace = { events: [], truncated: null };
    }
    options.onStart?.();
    if (code) {
      /** A non-Python error on its way out of exec (the interpreter exited or failed). */
      let escaping: { error: unknown } | null = null;
      try {
        // exec is called from JavaScript so that no Python frame of ours sits under the
        // example's <module> frame. A plain call, not a promising one (JSPI): the block runs
        // on the thread's own stack, which the host sizes (a JSPI stack is 984 KiB whatever the
        // thread's), and nothing needs to suspend: time.sleep and the asyncio loop wait by
        // blocking the thread (host-waits.ts), as CPython's do.
        exec(code, namespace);
      } catch (error) {
        if ((error as Error)?.constructor?.name !== 'PythonError') escaping = { error };
        else {
          // Both proxies are destroyed: a proxy left alive would count as handed to JavaScript.
          const sys = py.pyimport('sys');
          const lastExc = sys.last_exc as PyProxy | undefined;
          try {
            exitStatus = runner.report(lastExc, (error as Error).message);
          } finally {
            lastExc?.destroy();
            sys.destroy();
          }
        }
      }
      try {
        code.destroy();
      } catch (destroyError) {
        // After an exit with the GIL released (signal.raise_signal(SIGTERM): CPython drops it
        // around raise()), Pyodide refuses any proxy: the exit in flight is what happened.
        if (!escaping) throw destroyError;
      }
      if (escaping) throw escaping.error;
    }
    // A fatal error that JavaScript inside the block caught (a stack overflow in a Promise
    // executor) leaves the block "ended normally" but Pyodide unusable: its public API throws.
    void py.FS;
    runner.endScript();
    // __main__ must be collectable when finalization releases it: no proxy may hold it.
    namespace.destroy();
    namespace = null;
    // Called from JavaScript: CPython runs atexit callbacks with no Python frame below them.
    if (options.trace) runner.tracePhase('atexit');
    runner.runExitfuncs();
    if (options.trace) runner.tracePhase('finalize');
    // Emptying sys.modules, CPython's collection after it, and the clearing of the example's
    // modules run from here, so that no Python frame of ours is below what they finalize (see
    // runner.py finalize_modules).
    const clearModules = runner.finalize(takeDirty(runnerStates.get(py)!.watch, false)) as PyProxy & (() => void);
    try {
      clearModules();
    } finally {
      clearModules.destroy();
    }
    runner.gcCollect();
    clearExampleModules(runner);
    const flushed = runner.finalizeModules() as boolean;
    exitStatus = runner.exitStatus(exitStatus, flushed) as number;
    // Finalization is part of the trace (a generator's finally at exit); the tool id is freed here.
    const traced = options.trace ? (runner.traceStop() as string | undefined) : undefined;
    if (traced) trace = JSON.parse(traced) as Trace;
  } catch (error) {
    const { name, status } = error as { name?: string; status?: unknown };
    if ((name === 'ExitStatus' || name === 'Exit') && typeof status === 'number') {
      // os._exit(n), or a signal's default action: Emscripten throws ExitStatus. No finally, no
      // atexit, no flush, as in CPython.
      exitStatus = status & 0xff;
      discarded = `${EXITED} with status ${status}`;
    } else {
      fault = `${name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`;
      discarded = `interpreter fault: ${fault}`;
    }
  } finally {
    execMs = performance.now() - execStarted;
    if (cell) cell.buffer = undefined;
    open = false; // anything written later (a reset's stray output) is not this block's
    dropPendingCallbacks(py);
    try {
      py.FS.unlink(SCRIPT_PATH);
    } catch {
      // The block removed or renamed it: reset.py empties the scratch folder after a block that touched files.
    }
    if (!discarded) {
      try {
        namespace?.destroy();
        exec.destroy();
        if (options.interruptBuffer) py.setInterruptBuffer(undefined as never);
      } catch (error) {
        // A fatal error that JavaScript code inside the example caught leaves the interpreter
        // unusable although the block "ended normally": report it and never reuse it.
        fault = `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`;
        discarded = `interpreter fault: ${fault}`;
      }
    }
  }
  for (const [stream, decoder] of Object.entries(decoders)) {
    const rest = decoder.decode();
    if (rest) {
      chunks.push({ stream: stream as Stream, text: rest });
      options.onChunk?.({ stream: stream as Stream, text: rest });
    }
  }
  return {
    chunks,
    exitStatus,
    execMs,
    truncatedBytes,
    fault,
    discarded,
    durationMs: performance.now() - started,
    ...(trace ? { trace } : {}),
  };
}
