/**
 * The verifier's side of the sandbox (sandbox.ts): runs blocks in a separate Node process under
 * the permission model, so that example code, whatever it reaches through Pyodide's JavaScript
 * bridge, cannot write files, start programs, print into the report or end the verifier. Same
 * interface as {@link RunnerPool}; the verifier (scripts/verify.ts, the dev server) uses this one.
 *
 * If the sandbox process dies (a crash, or an example that found a way to end it), the runs in
 * flight are reported as faults of their blocks and the next run starts a new sandbox.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PoolOptions, PoolRunOptions, PoolRunResult } from './pool.ts';
import type { FromSandbox, ToSandbox } from './sandbox-protocol.ts';

const SANDBOX = fileURLToPath(new URL('./sandbox.ts', import.meta.url));
/** The project's root: the sandbox may read it (its own sources, Pyodide's files) and nothing else. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Node options of the sandbox process: the permission model with reads of the project and worker
 * threads allowed, and no code generated from strings (no `eval`, no `Function(...)`), which
 * closes the usual way from any JavaScript function object back to the global scope.
 */
export const SANDBOX_NODE_OPTIONS: readonly string[] = [
  '--permission',
  '--allow-worker',
  `--allow-fs-read=${ROOT}`,
  '--disallow-code-generation-from-strings',
];

/** Bytes of the sandbox's stderr kept to explain its death. */
const STDERR_TAIL_BYTES = 4096;

interface Pending {
  resolve: (result: PoolRunResult) => void;
  reject: (error: Error) => void;
  started: number;
}

/** A {@link RunnerPool} in a sandbox process. */
export class SandboxedPool {
  private child: ChildProcess | null = null;
  private starting: Promise<void> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;
  private stderrTail = '';
  private replacedInSandbox = 0;
  private replacedBefore = 0;
  private poolSize = 0;
  /** The snapshot all workers start from (≈30 MB). */
  snapshot!: Uint8Array;
  /** The snapshot of their alternate-seed interpreters. */
  alternateSnapshot!: Uint8Array;
  /** Sandbox processes started to replace one that died. */
  restarts = 0;

  private readonly options: PoolOptions;

  private constructor(options: PoolOptions) {
    this.options = options;
  }

  /**
   * Start the sandbox process and its pool (see `RunnerPool.create` for `options`).
   * @throws when the sandbox or Pyodide cannot start.
   */
  static async create(options: PoolOptions = {}): Promise<SandboxedPool> {
    const pool = new SandboxedPool(options);
    await pool.start(!(options.snapshot && options.alternateSnapshot));
    return pool;
  }

  /** Worker threads in the sandbox. */
  get size(): number {
    return this.poolSize;
  }

  /** The sandbox process's pid, while it runs (for tests that end it as a crash would). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Workers replaced after a kill or crash, over every sandbox this pool started. */
  get replacements(): number {
    return this.replacedBefore + this.replacedInSandbox;
  }

  private start(wantSnapshots: boolean): Promise<void> {
    const child = fork(SANDBOX, [], {
      execArgv: [...SANDBOX_NODE_OPTIONS],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child = child;
    this.stderrTail = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_BYTES);
    });
    const options: PoolOptions = { ...this.options, snapshot: this.snapshot ?? this.options.snapshot };
    options.alternateSnapshot = this.alternateSnapshot ?? this.options.alternateSnapshot;
    this.starting = new Promise<void>((resolve, reject) => {
      const onReady = (message: FromSandbox) => {
        if (message.type === 'ready') {
          this.poolSize = message.size;
          this.snapshot = message.snapshot ?? options.snapshot!;
          this.alternateSnapshot = message.alternateSnapshot ?? options.alternateSnapshot!;
          child.off('message', onReady);
          child.on('message', (m: FromSandbox) => this.onMessage(m));
          resolve();
        } else if (message.type === 'error') {
          // Nothing will run in it: end it, or it would keep the verifier's process alive.
          child.kill('SIGKILL');
          reject(new Error(`the sandbox could not start the runner pool: ${message.message}`));
        }
      };
      child.on('message', onReady);
      child.once('exit', (code, signal) => {
        reject(new Error(`the sandbox process exited while starting (${signal ?? `status ${code}`}): ${this.stderrTail.trim()}`));
        this.onExit(child, code, signal);
      });
      child.send({ type: 'create', options, wantSnapshots } satisfies ToSandbox);
    });
    return this.starting;
  }

  private onMessage(message: FromSandbox): void {
    // Only the shapes the protocol defines are accepted; anything else is dropped.
    if (message?.type === 'result' && typeof message.id === 'number') {
      const job = this.pending.get(message.id);
      if (!job) return;
      this.pending.delete(message.id);
      if (typeof message.replacements === 'number') this.replacedInSandbox = message.replacements;
      job.resolve(message.result);
    } else if (message?.type === 'error' && typeof message.id === 'number') {
      const job = this.pending.get(message.id);
      this.pending.delete(message.id);
      job?.reject(new Error(String(message.message)));
    }
  }

  /** The sandbox died: its runs in flight are the faults of their blocks; the next run restarts it. */
  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = null;
    this.starting = null;
    this.replacedBefore += this.replacedInSandbox;
    this.replacedInSandbox = 0;
    if (this.closed) return;
    const why = `the runner's sandbox process died (${signal ?? `status ${code}`}) while this block ran`;
    for (const [id, job] of this.pending) {
      this.pending.delete(id);
      const elapsed = performance.now() - job.started;
      job.resolve({
        chunks: [],
        exitStatus: 1,
        durationMs: elapsed,
        execMs: elapsed,
        truncatedBytes: 0,
        fault: why,
        discarded: 'sandbox died',
        timedOut: false,
        killed: false,
      });
    }
  }

  /**
   * Run `code` in the sandbox (see `RunnerPool.run`).
   * @throws when the runtime fails (not the example), or after close().
   */
  async run(code: string, options: PoolRunOptions = {}): Promise<PoolRunResult> {
    if (this.closed) throw new Error('SandboxedPool is closed');
    if (!this.child) {
      this.restarts++;
      await this.start(false);
    }
    await this.starting;
    const child = this.child!;
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, started: performance.now() });
      child.send({ type: 'run', id, code, options } satisfies ToSandbox);
    });
  }

  /** Close the pool and end the sandbox; pending runs are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.pending.values()) job.reject(new Error('SandboxedPool closed'));
    this.pending.clear();
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.send({ type: 'close' } satisfies ToSandbox);
    // A sandbox that does not end by itself within 5 s is killed.
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
