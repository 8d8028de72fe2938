/**
 * Messages between a runner host (the Node pool, the browser page) and a runner worker.
 * One protocol for both, so the browser worker and the verifier's workers behave alike.
 */
import type { OutputChunk, Stream } from './output.ts';
import type { RunResult } from './runner.ts';
import type { StdoutMode } from './stdio-options.ts';

/** Host → worker. */
export type HostMessage =
  /**
   * Load Pyodide (or restore `snapshot`), then answer `ready`. The Node worker also keeps an
   * interpreter of hash seed `ALTERNATE_HASH_SEED` (runner.ts) for runs that ask for it: from
   * `alternateSnapshot`, or made at start-up with `wantAlternateSnapshot` (and sent back), or
   * given later by an `alternate` message.
   */
  | { type: 'init'; snapshot?: Uint8Array; wantSnapshot?: boolean; alternateSnapshot?: Uint8Array; wantAlternateSnapshot?: boolean }
  /** The snapshot of the alternate-seed interpreter, for a worker that started without it. */
  | { type: 'alternate'; snapshot: Uint8Array }
  /** The primary snapshot, for a worker that started by making only the alternate one. */
  | { type: 'primary'; snapshot: Uint8Array }
  /**
   * Run `code`; `interrupt` is a SharedArrayBuffer of 4 bytes used as Pyodide's interrupt buffer;
   * `shiftHeap` as in runner.ts `RunOptions`; `alternateSeed` runs it in the alternate-seed
   * interpreter (Node worker only); `fresh` restores a new interpreter for this run (runner.ts
   * `RunOptions.fresh`); `stdout` and `env`: where stdout goes and the block's start-up
   * variables (runner.ts `RunOptions`); `trace`: record the control flow into the result's
   * `trace` (runner.ts `RunOptions.trace`).
   */
  | {
      type: 'run';
      id: number;
      code: string;
      interrupt?: SharedArrayBuffer;
      maxOutputBytes?: number;
      shiftHeap?: boolean;
      alternateSeed?: boolean;
      fresh?: boolean;
      stdout?: StdoutMode;
      env?: Readonly<Record<string, string>>;
      trace?: boolean;
    };

/** Worker → host. */
export type WorkerMessage =
  /**
   * Cold-start progress (the browser worker sends it for the page's progress bar; the Node worker
   * does not): `download` while Pyodide's files arrive (`loaded` of `total` bytes), then `start`
   * while the interpreter starts and its snapshot is taken.
   */
  | { type: 'progress'; stage: 'download' | 'start'; loaded: number; total: number }
  /** Ready to run; each snapshot is sent when the host asked for it (`wantSnapshot`, `wantAlternateSnapshot`). */
  | { type: 'ready'; snapshot?: Uint8Array; alternateSnapshot?: Uint8Array }
  /** Run `id` is compiled, its interrupt buffer armed, and its code starts now (time limits count from here: not from a restore, not from the runner's setup). */
  | { type: 'started'; id: number }
  /** Output of run `id`, sent as it is written (so a killed run still shows what it printed). */
  | { type: 'chunk'; id: number; chunk: OutputChunk }
  /**
   * The same as raw bytes (the Node worker): the host decodes them as UTF-8 itself, in a thread
   * the example cannot reach.
   */
  | { type: 'bytes'; id: number; stream: Stream; bytes: Uint8Array }
  /** Run `id` finished; its chunks were all sent before this message. */
  | { type: 'done'; id: number; result: Omit<RunResult, 'chunks'> }
  /** The worker could not start or a run threw (a runtime failure, not an example error). */
  | { type: 'error'; id?: number; message: string };

/** Value written to the interrupt buffer to raise KeyboardInterrupt (SIGINT is 2). */
export const SIGINT = 2;
