/**
 * Messages between the verifier (sandbox-pool.ts, in the CLI's process) and the sandbox process
 * (sandbox.ts) that hosts the runner pool. Sent over Node's IPC channel with `serialization:
 * 'advanced'` (the structured clone algorithm), so snapshots travel as Uint8Array.
 */
import type { PoolOptions, PoolRunOptions, PoolRunResult } from './pool.ts';

/** Verifier → sandbox. */
export type ToSandbox =
  /** Start the pool (pool.ts `RunnerPool.create`); answered by `ready`. */
  | { type: 'create'; options: PoolOptions; wantSnapshots: boolean }
  /** Run `code` (pool.ts `RunnerPool.run`); answered by `result` with the same id. */
  | { type: 'run'; id: number; code: string; options: PoolRunOptions }
  /** Close the pool and exit. */
  | { type: 'close' };

/** Sandbox → verifier. */
export type FromSandbox =
  /** The pool is up: its size and, when asked for, the snapshots its workers start from. */
  | { type: 'ready'; size: number; snapshot?: Uint8Array; alternateSnapshot?: Uint8Array }
  /** Run `id` ended; `replacements` is the pool's count of replaced workers so far. */
  | { type: 'result'; id: number; result: PoolRunResult; replacements: number }
  /** The pool could not start, or run `id` failed in the runtime (not in the example). */
  | { type: 'error'; id?: number; message: string };
