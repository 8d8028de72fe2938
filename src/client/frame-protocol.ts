/**
 * Messages between the page (src/client/host.ts) and the runner frame (src/client/frame.ts), the
 * sandboxed, opaque-origin iframe whose worker runs the examples. The frame relays the worker's
 * messages (src/examples/worker-protocol.ts) to the page; whoever runs code in that worker can
 * post anything through it, so the page trusts none of it: {@link parseFrameMessage} keeps only
 * messages of the protocol's shapes, with bounded strings and numbers, rebuilt field by field.
 */
import type { OutputChunk } from '../examples/output.ts';
import type { RunOptions, RunResult } from '../examples/runner.ts';
import { parseTrace } from '../examples/trace-parse.ts';
import type { HostMessage } from '../examples/worker-protocol.ts';
import type { RuntimeFile } from './frame-files.ts';

/** Page → frame. */
export type PageToFrame =
  /**
   * Start the worker: `moduleSource` is the worker module's text (one self-contained ES module: the
   * frame loads nothing over the network). The worker starts Pyodide at once, from `indexURL`,
   * and waits for each of Pyodide's files (`file`) as it needs it, and for the memory snapshot
   * (`snapshot`) when `snapshot` is true; with `wantSnapshot` it makes one and sends it back in
   * `ready`. The files come as the page receives them, so the worker's start-up overlaps the
   * download of the larger ones.
   */
  | { type: 'start'; moduleSource: Blob; indexURL: string; snapshot: boolean; wantSnapshot?: boolean }
  /** One of Pyodide's files (frame-files.ts `RUNTIME_FILES`), served to Pyodide as if fetched from `indexURL`. */
  | { type: 'file'; name: RuntimeFile; body: Blob }
  /** The memory snapshot the worker restores (after a `start` with `snapshot: true`). */
  | { type: 'snapshot'; body: Blob }
  /** Run `code` (the frame adds its interrupt buffer); `stdout` and `env` as in runner.ts `RunOptions`. */
  | {
      type: 'run';
      id: number;
      code: string;
      maxOutputBytes?: number;
      stdout?: RunOptions['stdout'];
      env?: RunOptions['env'];
      /** Record the control flow into the result's `trace` (runner.ts `RunOptions.trace`; the Step button). */
      trace?: boolean;
    }
  /** Raise KeyboardInterrupt in the running code (through the frame's interrupt buffer). */
  | { type: 'interrupt' };

/**
 * Frame → worker: the bootstrap's `boot`; then `start`, `file` and `snapshot` as the page sent
 * them (without `moduleSource`), and the worker protocol's `run`.
 */
export type FrameToWorker =
  | { type: 'boot'; source: Blob }
  | Omit<Extract<PageToFrame, { type: 'start' }>, 'moduleSource'>
  | Extract<PageToFrame, { type: 'file' | 'snapshot' }>
  | Extract<HostMessage, { type: 'run' }>;

/** Frame → page, as {@link parseFrameMessage} accepts it. */
export type FrameMessage =
  /** The frame's script runs; `interrupt` says whether it has a SharedArrayBuffer for Stop. */
  | { type: 'frame-ready'; interrupt: boolean }
  | { type: 'progress'; stage: 'download' | 'start'; loaded: number; total: number }
  | { type: 'ready'; snapshot?: Uint8Array }
  | { type: 'chunk'; id: number; chunk: OutputChunk }
  | { type: 'done'; id: number; result: Omit<RunResult, 'chunks'> }
  | { type: 'error'; id?: number; message: string };

/**
 * Longest chunk of output accepted, in UTF-16 code units: 4 Mi. The runner keeps at most
 * `maxOutputBytes` (1 MiB by default) per run, and decoded text has at most one code unit per byte.
 */
export const MAX_CHUNK_CHARS = 4 * 2 ** 20;
/** Longest error message, fault or discard reason kept, in UTF-16 code units (longer ones are cut). */
export const MAX_MESSAGE_CHARS = 16 * 2 ** 10;
/** Largest memory snapshot accepted, in bytes: 1 GiB (a real one is ≈30 MB). */
export const MAX_SNAPSHOT_BYTES = 2 ** 30;

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const isId = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isAmount = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;
const text = (value: unknown): string | null => (typeof value === 'string' ? value.slice(0, MAX_MESSAGE_CHARS) : null);
const optionalText = (value: unknown): string | null | undefined => (value === null ? null : (text(value) ?? undefined));

/** The result of a `done` message, rebuilt from its fields, or null when one is missing or out of range. */
function parseResult(value: unknown): Omit<RunResult, 'chunks'> | null {
  if (!isObject(value)) return null;
  const { exitStatus, durationMs, execMs, truncatedBytes } = value;
  const fault = optionalText(value.fault);
  const discarded = optionalText(value.discarded);
  if (!Number.isInteger(exitStatus) || (exitStatus as number) < 0 || (exitStatus as number) > 255) return null;
  if (!isAmount(durationMs) || !isAmount(execMs) || !Number.isSafeInteger(truncatedBytes) || (truncatedBytes as number) < 0) return null;
  if (fault === undefined || discarded === undefined) return null;
  // The trace is untrusted too: counts and strings bounded (trace-parse.ts).
  const trace = value.trace === undefined ? undefined : parseTrace(value.trace);
  if (trace === null) return null;
  return {
    exitStatus: exitStatus as number,
    durationMs,
    execMs,
    truncatedBytes: truncatedBytes as number,
    fault,
    discarded,
    ...(trace ? { trace } : {}),
  };
}

/**
 * Check a message the page received from the runner frame.
 *
 * @param data `event.data` of a `message` event whose source is the frame (any value).
 * @returns a fresh object holding only the fields of the protocol, or null when `data` is not one
 *   of {@link FrameMessage}'s shapes (unknown type, wrong field types, an id that is not a safe
 *   non-negative integer, an exit status outside 0–255, a chunk longer than {@link MAX_CHUNK_CHARS},
 *   a snapshot that is not a Uint8Array of at most {@link MAX_SNAPSHOT_BYTES}). Strings of errors,
 *   faults and discard reasons are cut to {@link MAX_MESSAGE_CHARS}. Never throws.
 */
export function parseFrameMessage(data: unknown): FrameMessage | null {
  try {
    if (!isObject(data)) return null;
    switch (data.type) {
      case 'frame-ready':
        return typeof data.interrupt === 'boolean' ? { type: 'frame-ready', interrupt: data.interrupt } : null;
      case 'progress': {
        const { stage, loaded, total } = data;
        if ((stage !== 'download' && stage !== 'start') || !isAmount(loaded) || !isAmount(total)) return null;
        return { type: 'progress', stage, loaded, total };
      }
      case 'ready': {
        const { snapshot } = data;
        if (snapshot === undefined) return { type: 'ready' };
        if (!(snapshot instanceof Uint8Array) || snapshot.byteLength > MAX_SNAPSHOT_BYTES) return null;
        return { type: 'ready', snapshot };
      }
      case 'chunk': {
        const { id, chunk } = data;
        if (!isId(id) || !isObject(chunk)) return null;
        const { stream, text: written } = chunk;
        if ((stream !== 'stdout' && stream !== 'stderr') || typeof written !== 'string' || written.length > MAX_CHUNK_CHARS) return null;
        return { type: 'chunk', id, chunk: { stream, text: written } };
      }
      case 'done': {
        const result = parseResult(data.result);
        return isId(data.id) && result ? { type: 'done', id: data.id, result } : null;
      }
      case 'error': {
        const message = text(data.message);
        if (message === null || (data.id !== undefined && !isId(data.id))) return null;
        return data.id === undefined ? { type: 'error', message } : { type: 'error', id: data.id, message };
      }
      default:
        return null;
    }
  } catch {
    // A getter or proxy cannot survive structured cloning, but stay total whatever arrives.
    return null;
  }
}
