/**
 * The runner: executes one example block in a fresh Pyodide interpreter and returns what a
 * terminal would show. Isomorphic on purpose: the build-time verifier (Node) and the reader's
 * browser worker import this same module, so a Run button reproduces exactly what was verified.
 *
 * Fresh state per block comes from a memory snapshot taken once after start-up (Pyodide's
 * private `_makeSnapshot`/`_loadSnapshot` options of `loadPyodide`): every block gets a brand-new
 * interpreter restored from it (≈0.1–0.2 s), so no file, module, monkeypatch, warnings registry
 * entry or atexit handler can leak from one block to the next.
 */
import type { loadPyodide as LoadPyodideFn } from 'pyodide';
import type { OutputChunk, Stream } from './output.ts';

/** Bumped whenever runner.py or this module changes what a block's output can be (cache key). */
export const RUNNER_VERSION = '1';

/** `loadPyodide` from the `pyodide` package, or the same function loaded from a self-hosted URL. */
export type LoadPyodide = typeof LoadPyodideFn;

/** The interpreter object `loadPyodide` resolves to. */
export type Interpreter = Awaited<ReturnType<LoadPyodide>>;

/**
 * Environment every interpreter starts with: no ANSI colour in tracebacks (Python 3.14 colours
 * them on a tty), a fixed hash seed so `set`/`dict` orders of str keys are reproducible.
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
  /** Wall time of the run itself in ms, not counting the snapshot restore. */
  durationMs: number;
}

/** Options for {@link ExampleRunner.create}. */
export interface RunnerOptions {
  /** `loadPyodide` to use (Node: `import { loadPyodide } from 'pyodide'`). */
  loadPyodide: LoadPyodide;
  /** Text of runner.py (Node reads the file; the browser bundles it). */
  runnerSource: string;
  /** Where Pyodide's files live; defaults to the package's own folder. */
  indexURL?: string;
}

/** Module name runner.py is installed under inside each interpreter. */
const RUNNER_MODULE = '_example_runner';

/**
 * Install runner.py as a module without a file on the interpreter's file system, so that an
 * example listing `/tmp` or `sys.path` sees nothing of ours.
 */
function installRunner(py: Interpreter, source: string): void {
  const install = py.runPython(`
import sys, types
def _install(name, source):
    module = types.ModuleType(name)
    exec(compile(source, "<runner>", "exec"), module.__dict__)
    sys.modules[name] = module
_install`);
  try {
    install(RUNNER_MODULE, source);
  } finally {
    install.destroy();
  }
}

/**
 * Runs example blocks, each in a fresh interpreter restored from one memory snapshot.
 */
export class ExampleRunner {
  private readonly options: RunnerOptions;
  private readonly snapshot: Uint8Array;

  private constructor(options: RunnerOptions, snapshot: Uint8Array) {
    this.options = options;
    this.snapshot = snapshot;
  }

  /**
   * Load Pyodide once (≈2–3 s cold), install the runner and take the snapshot (≈30 MB).
   * @throws whatever `loadPyodide` throws when Pyodide's files cannot be loaded.
   */
  static async create(options: RunnerOptions): Promise<ExampleRunner> {
    const base = await options.loadPyodide({
      indexURL: options.indexURL,
      env: { ...INTERPRETER_ENV },
      _makeSnapshot: true,
    });
    installRunner(base, options.runnerSource);
    // Imported before the snapshot so that every block's `import asyncio` is instant.
    base.runPython('import asyncio, traceback, linecache');
    return new ExampleRunner(options, base.makeMemorySnapshot());
  }

  /** A brand-new interpreter in the snapshot's state (≈0.1–0.2 s). */
  private async freshInterpreter(): Promise<Interpreter> {
    return this.options.loadPyodide({
      indexURL: this.options.indexURL,
      env: { ...INTERPRETER_ENV },
      _loadSnapshot: this.snapshot,
    });
  }

  /**
   * Run `code` as `python3 example.py` would, in its own interpreter.
   *
   * @param code the block's source (str; a final newline is optional).
   * @returns the output chunks and exit status (see {@link RunResult}).
   * @throws only for failures of the runtime itself (not of the example): e.g. Pyodide's files
   *   missing. Example errors, `sys.exit` and `os._exit` are results, not throws.
   */
  async run(code: string): Promise<RunResult> {
    const py = await this.freshInterpreter();
    return runInInterpreter(py, code);
  }
}

/**
 * Run one block in `py`, which must already hold the runner module; `py` is unusable afterwards
 * when the block called `os._exit` (Pyodide ends the instance for good), so use it only once.
 * Follows the CPython command-line semantics documented in runner.py.
 */
export async function runInInterpreter(py: Interpreter, code: string): Promise<RunResult> {
  const chunks: OutputChunk[] = [];
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const sink = (stream: Stream) => ({
    isatty: true,
    write(bytes: Uint8Array): number {
      const text = decoders[stream].decode(bytes, { stream: true });
      if (text) {
        const last = chunks[chunks.length - 1];
        if (last?.stream === stream) last.text += text;
        else chunks.push({ stream, text });
      }
      return bytes.length;
    },
  });
  py.setStdout(sink('stdout'));
  py.setStderr(sink('stderr'));
  const started = performance.now();
  let exitStatus: number;
  const run = py.pyimport(RUNNER_MODULE).run;
  try {
    // A promising call lets asyncio.run() suspend the WebAssembly stack (JSPI) while awaiting.
    exitStatus = Number(await run.callPromising(code));
  } catch (error) {
    // os._exit(n) makes Emscripten throw ExitStatus: no finally, no atexit, no flush, as in CPython.
    const status = (error as { status?: unknown }).status;
    if ((error as Error)?.name !== 'ExitStatus' && (error as Error)?.name !== 'Exit' || typeof status !== 'number') {
      throw error;
    }
    exitStatus = status & 0xff;
  }
  return { chunks, exitStatus, durationMs: performance.now() - started };
}
