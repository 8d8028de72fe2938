/**
 * Node side of the runner: loads Pyodide from the installed `pyodide` package and runner.py and
 * reset.py (and tracer.py) from disk. The browser worker has its own twin that fetches both from the built site.
 */
import { readFile } from 'node:fs/promises';
import { loadPyodide } from 'pyodide';
import { ExampleRunner, type RunnerOptions } from './runner.ts';

/** Pyodide's version as installed (part of every cache key and report header). */
export { version as PYODIDE_VERSION } from 'pyodide';

/**
 * Create an {@link ExampleRunner} for Node.
 * @param snapshot a memory snapshot from another runner of the same Pyodide, runner sources and hash
 *   seed, to skip the ≈2–3 s cold load (restoring takes ≈0.2 s).
 * @param hashSeed `PYTHONHASHSEED` (default 0; see `RunnerOptions.hashSeed`).
 * @param options `RunnerOptions.jsglobals` (what the interpreter's `js` module is; default the global scope) and
 *   `RunnerOptions.memoryLimitBytes`, `RunnerOptions.recursionCeiling` and `RunnerOptions.inPlaceRestore`.
 * @throws if runner.py, reset.py or tracer.py cannot be read, or Pyodide fails to load.
 */
export async function createNodeRunner(
  snapshot?: Uint8Array,
  hashSeed?: number,
  options: Pick<RunnerOptions, 'jsglobals' | 'memoryLimitBytes' | 'recursionCeiling' | 'inPlaceRestore'> = {},
): Promise<ExampleRunner> {
  const [runner, reset, tracer] = await Promise.all(
    ['./runner.py', './reset.py', './tracer.py'].map((name) => readFile(new URL(name, import.meta.url), 'utf8')),
  );
  return ExampleRunner.create({
    loadPyodide,
    runnerSources: { runner: runner!, reset: reset!, tracer: tracer! },
    snapshot,
    hashSeed,
    ...options,
  });
}
