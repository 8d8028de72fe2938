/**
 * Messages between a runner host (the Node pool, the browser page) and a runner worker.
 * One protocol for both, so the browser worker and the verifier's workers behave alike.
 */
import type { OutputChunk } from './output.ts';
import type { RunResult } from './runner.ts';

/** Host → worker. */
export type HostMessage =
  /** Load Pyodide (or restore `snapshot`), then answer `ready`. */
  | { type: 'init'; snapshot?: Uint8Array; wantSnapshot?: boolean }
  /**
   * Run `code`; `interrupt` is a SharedArrayBuffer of 4 bytes used as Pyodide's interrupt buffer;
   * `shiftHeap` as in runner.ts `RunOptions`.
   */
  | { type: 'run'; id: number; code: string; interrupt?: SharedArrayBuffer; maxOutputBytes?: number; shiftHeap?: boolean };

/** Worker → host. */
export type WorkerMessage =
  /**
   * Cold-start progress (the browser worker sends it for the page's progress bar; the Node worker
   * does not): `download` while Pyodide's files arrive (`loaded` of `total` bytes), then `start`
   * while the interpreter starts and its snapshot is taken.
   */
  | { type: 'progress'; stage: 'download' | 'start'; loaded: number; total: number }
  /** Ready to run; `snapshot` is sent when the host asked for it (`wantSnapshot`). */
  | { type: 'ready'; snapshot?: Uint8Array }
  /** Run `id` is compiled, its interrupt buffer armed, and its code starts now (time limits count from here: not from a restore, not from the runner's setup). */
  | { type: 'started'; id: number }
  /** Output of run `id`, sent as it is written (so a killed run still shows what it printed). */
  | { type: 'chunk'; id: number; chunk: OutputChunk }
  /** Run `id` finished; its chunks were all sent before this message. */
  | { type: 'done'; id: number; result: Omit<RunResult, 'chunks'> }
  /** The worker could not start or a run threw (a runtime failure, not an example error). */
  | { type: 'error'; id?: number; message: string };

/** Value written to the interrupt buffer to raise KeyboardInterrupt (SIGINT is 2). */
export const SIGINT = 2;
