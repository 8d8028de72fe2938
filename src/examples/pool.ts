/**
 * A pool of verifier worker threads (worker-node.ts), one Pyodide interpreter each, across the
 * machine's cores. Enforces per-run time limits: at the limit it raises KeyboardInterrupt in the
 * block through Pyodide's interrupt buffer, so `finally` blocks run; if the block is still running
 * after a grace period (it swallowed the interrupt), it terminates the thread and starts a new
 * one from the snapshot.
 *
 * Each worker also holds an interpreter of another hash seed (`alternateSeed` runs, the verifier's
 * second run of a block). On a cold start the first two workers make the two snapshots in
 * parallel, so the second seed costs little more than the one core it keeps busy.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { OutputChunk, Stream } from './output.ts';
import type { RunOptions, RunResult } from './runner.ts';
import { WORKER_STACK_MB } from './host-waits.ts';
import { SIGINT, type HostMessage, type WorkerMessage } from './worker-protocol.ts';

/** A run's result as the pool sees it. */
export interface PoolRunResult extends RunResult {
  /** The time limit passed and KeyboardInterrupt was raised in the block. */
  timedOut: boolean;
  /** The block was still running after the interrupt and its grace period: its worker was terminated (exit status 137, as after SIGKILL). */
  killed: boolean;
  /**
   * Why a killed block was killed: `delivered` — KeyboardInterrupt was raised in it, and it was
   * still running `graceMs` later (it swallowed the interrupt, or its `finally` blocks ran that
   * long); `undelivered` — the interrupt was never taken (the block sat in a call that does not
   * check for signals). Absent when not killed.
   */
  killReason?: 'delivered' | 'undelivered';
}

/** Options of {@link RunnerPool.create}. */
export interface PoolOptions {
  /** Worker threads; default: the number of cores (`os.availableParallelism()`). */
  size?: number;
  /** A snapshot to start workers from (see {@link ExampleRunner.snapshot}); else a worker makes one. */
  snapshot?: Uint8Array;
  /** The same for the alternate hash seed (runner.ts `ALTERNATE_HASH_SEED`). */
  alternateSnapshot?: Uint8Array;
}

/** Per-run options of {@link RunnerPool.run}. */
export interface PoolRunOptions {
  /** Time limit in ms before KeyboardInterrupt is raised. Default {@link DEFAULT_TIMEOUT_MS}. */
  timeoutMs?: number;
  /**
   * Time in ms the block gets, once KeyboardInterrupt was raised in it, before its worker is
   * terminated. Default {@link DEFAULT_GRACE_MS}.
   */
  graceMs?: number;
  maxOutputBytes?: number;
  /** How long the interrupt may stay untaken before the worker is terminated, in ms. Default {@link UNDELIVERED_INTERRUPT_MS}. */
  undeliveredMs?: number;
  /** Run with shifted object addresses (runner.ts `RunOptions.shiftHeap`). */
  shiftHeap?: boolean;
  /** Run in the interpreter of hash seed `ALTERNATE_HASH_SEED` instead of seed 0. */
  alternateSeed?: boolean;
  /** Run in an interpreter freshly restored from the snapshot (runner.ts `RunOptions.fresh`). */
  fresh?: boolean;
  /** `pipe`: stdout redirected to a file (runner.ts `RunOptions.stdout`); default a terminal. */
  stdout?: RunOptions['stdout'];
  /** The block's start-up variables (runner.ts `RunOptions.env`). */
  env?: RunOptions['env'];
  /** Record the block's control flow into the result's `trace` (runner.ts `RunOptions.trace`). */
  trace?: boolean;
}

/** Default time limit of one block: 10 s (byexample uses 2 s; ours covers asyncio sleeps). */
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Default grace period in ms between the interrupt being taken and the worker's termination: 5 s.
 * It only has to cover `finally` blocks and the traceback, but on a loaded machine (a full test
 * run beside browser tests on 2 cores) a worker thread can get little CPU for seconds: 2 s once
 * killed a block that was printing its `finally`. A block that swallows the interrupt pays it.
 */
export const DEFAULT_GRACE_MS = 5000;

/**
 * How long an interrupt may stay untaken before the worker is terminated, in ms (at least the
 * grace). Wide: a worker thread that gets little CPU (a loaded machine, a restore's background
 * compilation) takes a while to reach its next check of the interrupt buffer.
 */
export const UNDELIVERED_INTERRUPT_MS = 10_000;

/** How often the pool looks whether Pyodide took the interrupt, in ms. */
const INTERRUPT_POLL_MS = 10;

/** Longest delay `setTimeout` honours: 2^31 - 1 ms (≈24.8 days); longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A cancellable pending timer. */
interface Timer {
  cancel(): void;
}

/**
 * `setTimeout` for any delay: one longer than {@link MAX_TIMER_MS} (which Node would clamp to
 * 1 ms, with a TimeoutOverflowWarning) is waited for in steps. `Infinity` never fires.
 * @param delayMs delay in ms (≥ 0).
 */
export function longTimeout(callback: () => void, delayMs: number): Timer {
  let handle: ReturnType<typeof setTimeout> | undefined;
  const arm = (remaining: number) => {
    if (remaining === Number.POSITIVE_INFINITY) return;
    handle = setTimeout(() => (remaining > MAX_TIMER_MS ? arm(remaining - MAX_TIMER_MS) : callback()), Math.min(remaining, MAX_TIMER_MS));
  };
  arm(Math.max(0, delayMs));
  return { cancel: () => clearTimeout(handle) };
}

/** What the pool knows of a run that ended without the worker's `done`. */
type Outcome = Partial<Omit<PoolRunResult, 'chunks' | 'timedOut' | 'killed'>>;

interface Job {
  code: string;
  options: PoolRunOptions;
  resolve: (result: PoolRunResult) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  interrupt: SharedArrayBuffer;
  job: Job | null;
  chunks: OutputChunk[];
  timedOut: boolean;
  /** UTF-8 decoders of the running job's streams (U+FFFD for invalid bytes). */
  decoders: Record<Stream, TextDecoder>;
  /** Pending timers of the running job (time limit, interrupt polling, grace). */
  timers: Timer[];
  started: number;
  /** Terminated or crashed: takes no more jobs; a replacement takes its place. */
  dead: boolean;
}

const WORKER_URL = new URL('./worker-node.ts', import.meta.url);

const newDecoders = (): Record<Stream, TextDecoder> => ({ stdout: new TextDecoder(), stderr: new TextDecoder() });

/** Start a worker and wait for its `ready`. */
function startWorker(init: HostMessage): Promise<{ worker: Worker; snapshot?: Uint8Array; alternateSnapshot?: Uint8Array }> {
  // The worker's own stdout/stderr (an example could write to them through a path to `process`,
  // and Pyodide prints fatal-error dumps there) are piped here and dropped: never into the report.
  // The stack the recursion ceiling was measured with (host-waits.ts WORKER_RECURSION_CEILING):
  // deep recursion must end in Python's RecursionError, not in a JavaScript stack overflow.
  const worker = new Worker(WORKER_URL, { stdout: true, stderr: true, resourceLimits: { stackSizeMb: WORKER_STACK_MB } });
  worker.stdout.resume();
  worker.stderr.resume();
  return new Promise((resolve, reject) => {
    const onMessage = (message: WorkerMessage) => {
      if (message.type === 'ready') {
        worker.off('message', onMessage);
        resolve({ worker, snapshot: message.snapshot, alternateSnapshot: message.alternateSnapshot });
      } else if (message.type === 'error') {
        void worker.terminate();
        reject(new Error(`runner worker failed to start: ${message.message}`));
      }
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.postMessage(init);
  });
}

/** Runs blocks on worker threads; implements the verifier's `BlockRunner`. */
export class RunnerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;
  /** The snapshot all workers start from (≈30 MB). */
  readonly snapshot: Uint8Array;
  /** The snapshot of their alternate-seed interpreters. */
  readonly alternateSnapshot: Uint8Array;
  /** Workers started to replace killed or crashed ones. */
  replacements = 0;

  private constructor(snapshot: Uint8Array, alternateSnapshot: Uint8Array) {
    this.snapshot = snapshot;
    this.alternateSnapshot = alternateSnapshot;
  }

  /**
   * Start the workers. Missing snapshots are made first: with two workers or more and neither
   * snapshot given, the first worker makes the primary one while the second makes the alternate
   * one, then each is sent the other's; otherwise the first worker makes what is missing. The
   * other workers restore both.
   * @throws when a worker cannot load Pyodide.
   */
  static async create(options: PoolOptions = {}): Promise<RunnerPool> {
    const size = Math.max(1, options.size ?? availableParallelism());
    const given = { snapshot: options.snapshot, alternateSnapshot: options.alternateSnapshot };
    const makers: Worker[] = [];
    let snapshot = given.snapshot;
    let alternateSnapshot = given.alternateSnapshot;
    if (!snapshot && !alternateSnapshot && size >= 2) {
      const [first, second] = await Promise.all([
        startWorker({ type: 'init', wantSnapshot: true }),
        startWorker({ type: 'init', wantAlternateSnapshot: true }),
      ]);
      snapshot = first.snapshot!;
      alternateSnapshot = second.alternateSnapshot!;
      first.worker.postMessage({ type: 'alternate', snapshot: alternateSnapshot } satisfies HostMessage);
      second.worker.postMessage({ type: 'primary', snapshot } satisfies HostMessage);
      makers.push(first.worker, second.worker);
    } else if (!snapshot || !alternateSnapshot) {
      const first = await startWorker({ type: 'init', ...given, wantSnapshot: !snapshot, wantAlternateSnapshot: !alternateSnapshot });
      snapshot ??= first.snapshot!;
      alternateSnapshot ??= first.alternateSnapshot!;
      makers.push(first.worker);
    }
    const pool = new RunnerPool(snapshot!, alternateSnapshot!);
    const rest = await Promise.allSettled(
      Array.from({ length: size - makers.length }, () =>
        startWorker({ type: 'init', snapshot: pool.snapshot, alternateSnapshot: pool.alternateSnapshot }),
      ),
    );
    // One worker that cannot start fails the pool: end the ones that did, or they would keep
    // the process alive.
    const failed = rest.find((r) => r.status === 'rejected');
    if (failed) {
      for (const worker of [...makers, ...rest.flatMap((r) => (r.status === 'fulfilled' ? [r.value.worker] : []))]) void worker.terminate();
      throw failed.reason;
    }
    for (const worker of [...makers, ...rest.map((r) => (r as PromiseFulfilledResult<{ worker: Worker }>).value.worker)])
      pool.adopt(worker);
    return pool;
  }

  /** Number of worker threads. */
  get size(): number {
    return this.slots.length;
  }

  private adopt(worker: Worker, at = this.slots.length): void {
    const slot: Slot = {
      worker,
      interrupt: new SharedArrayBuffer(4),
      job: null,
      chunks: [],
      decoders: newDecoders(),
      timedOut: false,
      timers: [],
      started: 0,
      dead: false,
    };
    this.slots[at] = slot;
    worker.on('message', (message: WorkerMessage) => this.onMessage(slot, message));
    worker.on('error', (error) => void this.replace(slot, { fault: `worker crashed: ${error.message}`, discarded: 'worker crashed' }));
    // A worker thread ends by itself only when code in it called process.exit (an example can
    // reach it through Pyodide's `js` module): that is the fault of the block running then.
    worker.on(
      'exit',
      (code) =>
        void this.replace(slot, {
          fault: `the runner's worker thread exited (status ${code}) while this block ran`,
          discarded: 'worker exited',
          exitStatus: 1,
        }),
    );
    this.dispatch();
  }

  /**
   * Run `code` on the next free worker.
   * @returns the result; a block that outlives its time limit and grace is returned as `killed`.
   * @throws when the worker reports a runtime failure (not an example error), or after close().
   */
  run(code: string, options: PoolRunOptions = {}): Promise<PoolRunResult> {
    if (this.closed) return Promise.reject(new Error('RunnerPool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ code, options, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job || slot.dead || !this.queue.length) continue;
      const job = this.queue.shift()!;
      Object.assign(slot, { job, chunks: [], decoders: newDecoders(), timedOut: false, started: performance.now() });
      const message: HostMessage = {
        type: 'run',
        id: ++this.nextId,
        code: job.code,
        interrupt: slot.interrupt,
        maxOutputBytes: job.options.maxOutputBytes,
        shiftHeap: job.options.shiftHeap,
        alternateSeed: job.options.alternateSeed,
        fresh: job.options.fresh,
        stdout: job.options.stdout,
        env: job.options.env,
        trace: job.options.trace,
      };
      slot.worker.postMessage(message);
    }
  }

  private onMessage(slot: Slot, message: WorkerMessage): void {
    if (!slot.job) return;
    if (message.type === 'started') this.startTimers(slot, slot.job);
    else if (message.type === 'chunk') slot.chunks.push(message.chunk);
    else if (message.type === 'bytes') this.receive(slot, message.stream, message.bytes);
    else if (message.type === 'done') this.finish(slot, message.result);
    else if (message.type === 'error') {
      // A runtime failure, not an example error: report it as the block's fault and replace the
      // worker, whose interpreter may be broken, so the rest of the run is unaffected.
      void this.replace(slot, { fault: `runner failed: ${message.message.split('\n')[0]}`, discarded: 'runner failed', exitStatus: 1 });
    }
  }

  /**
   * Start a run's time limit once its block has started (the worker's `started`). At the limit,
   * SIGINT is written into the interrupt buffer; the grace period then counts from the moment
   * Pyodide took the interrupt (it clears the buffer when it raises KeyboardInterrupt, see
   * https://pyodide.org/en/stable/usage/keyboard-interrupts.html), not from the write, so a
   * worker thread that gets little CPU is not killed while its `finally` blocks still run. An
   * interrupt not taken within {@link UNDELIVERED_INTERRUPT_MS} (or the grace, if longer) means
   * the block sits in a call that never checks for signals: the worker is terminated.
   */
  private startTimers(slot: Slot, job: Job): void {
    const timeoutMs = job.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const graceMs = job.options.graceMs ?? DEFAULT_GRACE_MS;
    const buffer = new Int32Array(slot.interrupt);
    slot.started = performance.now();
    slot.timers.push(
      longTimeout(() => {
        slot.timedOut = true;
        Atomics.store(buffer, 0, SIGINT);
        // Wakes a block blocked in time.sleep or the asyncio loop's wait (host-waits.ts) at once.
        Atomics.notify(buffer, 0);
        const sent = performance.now();
        const poll = setInterval(() => {
          if (slot.job !== job) return clearInterval(poll);
          if (Atomics.load(buffer, 0) === 0) {
            // Taken: the block is unwinding (finally blocks) or swallowed the interrupt.
            clearInterval(poll);
            slot.timers.push(
              longTimeout(
                () => void this.replace(slot, { discarded: 'worker terminated after the time limit', killReason: 'delivered' }, true),
                graceMs,
              ),
            );
          } else if (performance.now() - sent >= Math.max(graceMs, job.options.undeliveredMs ?? UNDELIVERED_INTERRUPT_MS)) {
            clearInterval(poll);
            void this.replace(slot, { discarded: 'worker terminated after the time limit', killReason: 'undelivered' }, true);
          }
        }, INTERRUPT_POLL_MS);
        slot.timers.push({ cancel: () => clearInterval(poll) });
      }, timeoutMs),
    );
  }

  /**
   * Decode a write of the running block, here in the pool's thread: the worker sends bytes, so an
   * example that replaces its own thread's TextDecoder cannot change what is recorded.
   */
  private receive(slot: Slot, stream: Stream, bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array) || (stream !== 'stdout' && stream !== 'stderr')) return;
    const text = slot.decoders[stream].decode(bytes, { stream: true });
    if (!text) return;
    const last = slot.chunks[slot.chunks.length - 1];
    if (last?.stream === stream) last.text += text;
    else slot.chunks.push({ stream, text });
  }

  private release(slot: Slot): void {
    for (const timer of slot.timers) timer.cancel();
    slot.timers = [];
    slot.job = null;
    this.dispatch();
  }

  private finish(slot: Slot, result: Outcome, killed = false): void {
    const job = slot.job;
    if (!job) return;
    const elapsed = performance.now() - slot.started;
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = slot.decoders[stream].decode();
      if (rest) slot.chunks.push({ stream, text: rest });
    }
    job.resolve({
      exitStatus: 137,
      execMs: elapsed,
      truncatedBytes: 0,
      fault: null,
      discarded: null,
      ...result,
      durationMs: result.durationMs ?? elapsed,
      chunks: slot.chunks,
      timedOut: slot.timedOut,
      killed,
    });
    this.release(slot);
  }

  /**
   * Terminate a worker (its block ignored KeyboardInterrupt, or the thread crashed), report its
   * job with `result`, and start a replacement from the snapshot in the same place.
   */
  private async replace(slot: Slot, result: Outcome, killed = false): Promise<void> {
    if (slot.dead) return;
    slot.dead = true;
    const index = this.slots.indexOf(slot);
    slot.worker.removeAllListeners();
    void slot.worker.terminate();
    this.finish(slot, result, killed);
    if (this.closed) return;
    this.replacements++;
    const { worker } = await startWorker({ type: 'init', snapshot: this.snapshot, alternateSnapshot: this.alternateSnapshot });
    if (this.closed) void worker.terminate();
    else this.adopt(worker, index);
  }

  /** Terminate every worker; pending runs are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('RunnerPool closed'));
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }
}
