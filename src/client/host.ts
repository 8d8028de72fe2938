/**
 * The page's side of the runner: one runner frame (src/client/frame.ts: a sandboxed, opaque-origin
 * iframe holding the module worker src/client/worker.ts) shared by every example of the page,
 * started on the reader's first sign of intent, and replaced when it has to be killed. Runs are
 * queued, one at a time, like a terminal.
 *
 * The page fetches the worker module and Pyodide's files (through the service worker and the HTTP
 * cache, counting bytes for the progress bar) and posts them to the frame. Whatever the frame
 * posts back is untrusted (the example's code can post through it): frame-handle.ts keeps only
 * messages from the frame's window that pass frame-protocol.ts, and this host accepts them only
 * in the order of the protocol (a snapshot only before the frame's first run, output only for the
 * run in progress).
 *
 * Stop: KeyboardInterrupt first, through Pyodide's interrupt buffer (a SharedArrayBuffer the frame
 * owns, so only when the frame is cross-origin isolated), so that `finally` blocks run; if the run
 * is still going after {@link STOP_GRACE_MS}, or the frame cannot interrupt, the frame is removed
 * and a new one is started from the memory snapshot again.
 *
 * Every start restores a memory snapshot: the one the build made (src/integrations/snapshot.ts),
 * fetched with Subresource Integrity against the hash compiled into this script, so even a first
 * start is a restore. Nothing the frame produces is stored anywhere: only on the dev server, which
 * ships no snapshot, is one taken from the first frame, before it ran anything, and kept in memory
 * for this page's restarts.
 */
import type { OutputChunk } from '../examples/output.ts';
import type { RunOptions, RunResult } from '../examples/runner.ts';
import { RunnerFrame } from './frame-handle.ts';
import { fetchBlob, fetchRuntimeFiles, RUNTIME_FILES, takeFetchedBodies } from './frame-files.ts';
import type { FrameMessage, PageToFrame } from './frame-protocol.ts';
import workerURL from './worker.ts?worker&url';

/** How long a run may go on after KeyboardInterrupt before its worker is terminated. */
export const STOP_GRACE_MS = 1500;

/** What the runtime is doing, for progress displays. */
export type RuntimeState =
  | { phase: 'idle' }
  /** Fetching Pyodide's files (`loaded` of `total` bytes), then starting it (`stage: 'start'`). */
  | { phase: 'loading'; stage: 'download' | 'start' | 'restart'; loaded: number; total: number }
  | { phase: 'ready'; loadMs: number }
  | { phase: 'failed'; message: string };

/** How a run ended. */
export type RunOutcome =
  /** The example ran to its end (an exception, sys.exit, os._exit and a KeyboardInterrupt included). */
  | { kind: 'done'; result: Omit<RunResult, 'chunks'>; interrupted: boolean; wallMs: number }
  /** The worker was terminated: nothing after that point ran, `finally` blocks included. */
  | { kind: 'killed'; reason: 'grace' | 'not-isolated' | 'crashed'; message?: string; wallMs: number }
  /** Stopped before it started (while queued or while the runtime loaded). */
  | { kind: 'cancelled' }
  /** The runtime could not run it (Pyodide failed to load, the worker threw). */
  | { kind: 'error'; message: string };

/** Callbacks of one run. */
export interface RunCallbacks {
  /** The run is waiting for another one to finish. */
  onQueued?: () => void;
  /** The code was sent to the worker. */
  onStart?: () => void;
  /** A piece of output, as written. */
  onChunk?: (chunk: OutputChunk) => void;
}

/** A run in progress. */
export interface RunHandle {
  done: Promise<RunOutcome>;
  /** Ask the run to stop (KeyboardInterrupt, then termination after the grace period). */
  stop(): void;
}

interface Pending {
  id: number;
  callbacks: RunCallbacks;
  resolve: (outcome: RunOutcome) => void;
  started: number;
  interrupted: boolean;
  graceTimer?: ReturnType<typeof setTimeout>;
}

/** True when Stop can raise KeyboardInterrupt (SharedArrayBuffer on a cross-origin isolated page). */
export function canInterrupt(): boolean {
  return typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated === true;
}

/**
 * Absolute URL of the worker module the frame runs: the build's worker chunk, or on the dev server
 * the same module bundled into one file (runtime.ts `workerModule`), since the frame imports it
 * from a blob: URL, where imports by path do not resolve.
 */
function workerModuleURL(): string {
  return new URL(__EXAMPLES_RUNTIME__.workerModule ?? workerURL, location.href).href;
}

/** One frame and what the host knows of it. */
interface Generation {
  frame: RunnerFrame;
  /** The frame has a SharedArrayBuffer: Stop can raise KeyboardInterrupt. */
  interrupt: boolean;
  /** `ready` arrived (once per frame; later ones are ignored). */
  ready: boolean;
  /** A run was sent: from then on the frame's worker holds code the page did not write. */
  ranCode: boolean;
  /** The host asked this frame for the memory snapshot. */
  wantSnapshot: boolean;
}

export class RunnerHost {
  private generation: Generation | null = null;
  private ready: Promise<void> | null = null;
  /**
   * The memory snapshot every later frame of this page restores: the build's, as fetched, or (dev
   * server) the one the first frame made. A Blob: posted to each frame as a handle, not copied.
   */
  private snapshot: Promise<Blob> | null = null;
  private nextId = 1;
  private tail: Promise<unknown> = Promise.resolve();
  private current: Pending | null = null;
  private readonly listeners = new Set<(state: RuntimeState) => void>();
  state: RuntimeState = { phase: 'idle' };

  /** Follow {@link state}; called at once with the current state. Returns an unsubscribe function. */
  subscribe(listener: (state: RuntimeState) => void): () => void {
    this.listeners.add(listener);
    listener(this.state);
    return () => this.listeners.delete(listener);
  }

  private setState(state: RuntimeState): void {
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }

  /** Start the runtime if it is not started (a warm-up: on hover or focus of a Run button). */
  warmUp(): Promise<void> {
    if (!this.ready) this.ready = this.start();
    return this.ready;
  }

  private start(): Promise<void> {
    const started = performance.now();
    const restart = this.snapshot !== null;
    const shipped = __EXAMPLES_RUNTIME__.snapshot;
    const total = __EXAMPLES_RUNTIME__.downloadBytes + (shipped?.bytes ?? 0);
    this.setState({ phase: 'loading', stage: restart ? 'restart' : 'download', loaded: 0, total });
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const generation: Generation = {
        frame: new RunnerFrame((message) => onMessage(message)),
        interrupt: false,
        ready: false,
        ranCode: false,
        // Without a build-time snapshot (dev server), the first frame takes one before it runs anything.
        wantSnapshot: !restart && !shipped,
      };
      this.generation = generation;
      const fail = (message: string) => {
        if (this.generation !== generation) return;
        generation.frame.destroy();
        this.generation = null;
        this.ready = null;
        if (!settled) {
          settled = true;
          this.setState({ phase: 'failed', message });
          reject(new Error(message));
        } else {
          this.finish({ kind: 'killed', reason: 'crashed', message, wallMs: this.elapsed() });
          void this.warmUp().catch(() => {});
        }
      };
      const onMessage = (message: Exclude<FrameMessage, { type: 'frame-ready' }>) => {
        if (this.generation !== generation) return;
        switch (message.type) {
          case 'progress':
            if (!generation.ready) this.setState({ phase: 'loading', stage: message.stage, loaded: message.loaded, total: message.total });
            break;
          case 'ready':
            if (generation.ready || generation.ranCode) break;
            generation.ready = true;
            settled = true;
            // Taken before any example ran in this frame: what Pyodide and runner.py made, nothing else.
            if (message.snapshot && generation.wantSnapshot)
              this.snapshot = Promise.resolve(new Blob([message.snapshot as Uint8Array<ArrayBuffer>]));
            this.setState({ phase: 'ready', loadMs: performance.now() - started });
            // For tests, benchmarks and developer tools: this frame's Python is ready, after so many ms.
            generation.frame.element.dataset.readyMs = String(Math.round(performance.now() - started));
            resolve();
            this.cacheRuntime();
            break;
          case 'chunk':
            if (generation.ready && this.current?.id === message.id) this.current.callbacks.onChunk?.(message.chunk);
            break;
          case 'done':
            if (generation.ready && this.current?.id === message.id) {
              this.finish({ kind: 'done', result: message.result, interrupted: this.current.interrupted, wallMs: this.elapsed() });
              // An interpreter fault (a JavaScript stack overflow under C recursion, Pyodide's
              // fatal_error): the worker would restore a fresh interpreter itself, but the failed
              // one is never collected there (the worker grew ≈87 MB per fault, measured with
              // measureUserAgentSpecificMemory in Chromium). Ending the worker frees it.
              if (message.result.fault) this.replaceFrame();
            }
            break;
          case 'error':
            if (message.id === undefined) fail(message.message);
            else if (this.current?.id === message.id) {
              this.finish({ kind: 'error', message: message.message });
              this.replaceFrame();
            }
            break;
        }
      };
      void (async () => {
        try {
          const indexURL = new URL(__EXAMPLES_RUNTIME__.indexPath, location.href).href;
          let runtimeBytes = 0;
          let snapshotBytes = 0;
          const progress = () => {
            const loaded = runtimeBytes + snapshotBytes;
            if (this.generation === generation && !restart) this.setState({ phase: 'loading', stage: 'download', loaded, total });
          };
          // Every fetch starts now; the worker starts as soon as the frame and the worker module are
          // there, and each file is posted as it arrives, after `start` (the frame drops files
          // before it, and holds them after it until the worker listens).
          let started!: () => void;
          const startPosted = new Promise<void>((resolve) => (started = resolve));
          const post = (message: PageToFrame) =>
            startPosted.then(() => {
              if (this.generation === generation) generation.frame.post(message);
            });
          // The worker module first: the frame's worker boots from it before it can take any file.
          const workerModule = fetchBlob(workerModuleURL());
          const snapshot: Promise<Blob | null> =
            this.snapshot ??
            (shipped
              ? // The build's snapshot, checked against the hash compiled into this script.
                fetchBlob(
                  new URL(shipped.path, location.href).href,
                  (bytes) => {
                    snapshotBytes += bytes;
                    progress();
                  },
                  shipped.integrity,
                )
              : Promise.resolve(null));
          const files = fetchRuntimeFiles(
            indexURL,
            (name, body) => post({ type: 'file', name, body }),
            (sum) => {
              runtimeBytes = sum;
              progress();
            },
          );
          // Their failures are seen by the Promise.all below, unless an earlier step failed first.
          files.catch(() => {});
          snapshot.catch(() => {});
          const [{ interrupt }, moduleSource] = await Promise.all([generation.frame.ready, workerModule]);
          if (this.generation !== generation) return;
          generation.interrupt = interrupt;
          generation.frame.post({
            type: 'start',
            moduleSource,
            indexURL,
            snapshot: restart || !!shipped,
            wantSnapshot: generation.wantSnapshot,
          });
          started();
          const sent = snapshot.then((body) => {
            if (!body) return;
            this.snapshot ??= Promise.resolve(body);
            return post({ type: 'snapshot', body });
          });
          await Promise.all([files, sent]);
        } catch (error) {
          fail((error as Error).message);
        }
      })();
    });
  }

  private elapsed(): number {
    return this.current ? performance.now() - this.current.started : 0;
  }

  private finish(outcome: RunOutcome): void {
    const pending = this.current;
    if (!pending) return;
    clearTimeout(pending.graceTimer);
    this.current = null;
    pending.resolve(outcome);
  }

  /** Remove the frame (its worker with it) and start a fresh one (from the snapshot when there is one). */
  private replaceFrame(): void {
    this.generation?.frame.destroy();
    this.generation = null;
    this.ready = null;
    void this.warmUp().catch(() => {});
  }

  private kill(reason: 'grace' | 'not-isolated'): void {
    const wallMs = this.elapsed();
    this.generation?.frame.destroy();
    this.generation = null;
    this.ready = null;
    this.finish({ kind: 'killed', reason, wallMs });
    void this.warmUp().catch(() => {});
  }

  /**
   * Tell the service worker (if any) to keep the runtime files, the build's snapshot, the scripts
   * fetched before it controlled the page (the first visit) and the editor's chunks (`editor:
   * true`), for reading and running offline later.
   */
  private cacheRuntime(): void {
    const controller = navigator.serviceWorker?.controller;
    if (!controller) return;
    const scripts = performance
      .getEntriesByType('resource')
      .map((e) => e.name)
      .filter((name) => new URL(name).origin === location.origin);
    controller.postMessage({
      type: 'cache',
      editor: true,
      bodies: takeFetchedBodies(), // the bytes this page fetched (and checked): stored, not fetched again
      urls: [
        ...RUNTIME_FILES.map((f) => new URL(__EXAMPLES_RUNTIME__.indexPath + f, location.href).href),
        ...(__EXAMPLES_RUNTIME__.snapshot ? [new URL(__EXAMPLES_RUNTIME__.snapshot.path, location.href).href] : []),
        workerModuleURL(),
        ...scripts,
      ],
    });
  }

  /**
   * Run `code` from fresh interpreter state, after any run already queued.
   * @param stdio where stdout goes and the block's start-up variables (its `stdout=pipe` and `env=` meta);
   *   `trace: true` records the control flow (the Step button): the `done` outcome's `result.trace`.
   * @returns a handle whose `done` never rejects: failures are outcomes.
   */
  run(code: string, callbacks: RunCallbacks = {}, stdio: Pick<RunOptions, 'stdout' | 'env' | 'trace'> = {}): RunHandle {
    let cancelled = false;
    let pending: Pending | null = null;
    let resolveOutcome!: (outcome: RunOutcome) => void;
    const done = new Promise<RunOutcome>((resolve) => (resolveOutcome = resolve));
    const waiting = this.current !== null;
    if (waiting) callbacks.onQueued?.();
    const turn = this.tail.then(async () => {
      if (cancelled) return resolveOutcome({ kind: 'cancelled' });
      try {
        await this.warmUp();
      } catch (error) {
        return resolveOutcome({ kind: 'error', message: (error as Error).message });
      }
      if (cancelled) return resolveOutcome({ kind: 'cancelled' });
      const generation = this.generation!;
      const id = this.nextId++;
      await new Promise<void>((finished) => {
        pending = {
          id,
          callbacks,
          started: performance.now(),
          interrupted: false,
          resolve: (outcome) => {
            resolveOutcome(outcome);
            finished();
          },
        };
        this.current = pending;
        callbacks.onStart?.();
        generation.ranCode = true;
        generation.frame.post({ type: 'run', id, code, stdout: stdio.stdout, env: stdio.env, trace: stdio.trace });
      });
    });
    this.tail = turn.catch(() => {});
    return {
      done,
      stop: () => {
        if (!pending) {
          cancelled = true;
          resolveOutcome({ kind: 'cancelled' });
          return;
        }
        if (this.current !== pending || pending.interrupted) return;
        if (!this.generation?.interrupt) return this.kill('not-isolated');
        pending.interrupted = true;
        this.generation.frame.post({ type: 'interrupt' });
        pending.graceTimer = setTimeout(() => {
          if (this.current === pending) this.kill('grace');
        }, STOP_GRACE_MS);
      },
    };
  }
}

let host: RunnerHost | null = null;

/** The page's one host. */
export function getHost(): RunnerHost {
  host ??= new RunnerHost();
  return host;
}
