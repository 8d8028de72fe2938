/**
 * A verifier worker thread: holds the {@link ExampleRunner}s and runs the blocks the pool sends
 * (see worker-protocol.ts). Runs in its own thread so that the pool can interrupt a block through
 * the shared interrupt buffer, or terminate the thread, while the block is running.
 *
 * Two runners: the primary one (hash seed 0, as in the browser) and one of hash seed
 * `ALTERNATE_HASH_SEED`, for the verifier's second run of each block. Messages are handled one
 * at a time, in order, so a run never starts before the snapshots sent ahead of it are in place.
 */
import { parentPort } from 'node:worker_threads';
import { endThread, lockDownProcess, sandboxGlobals, trackTimers } from './lockdown.ts';
import { WORKER_RECURSION_CEILING } from './host-waits.ts';
import { capWasmMemory } from './memory-cap.ts';
import { ALTERNATE_HASH_SEED, type ExampleRunner } from './runner.ts';
import { createNodeRunner } from './runner-node.ts';
import { cacheWasmCompilation } from './wasm-cache.ts';
import type { HostMessage, WorkerMessage } from './worker-protocol.ts';

// Before any example can run: see lockdown.ts.
lockDownProcess();
const timers = trackTimers();
// Each interpreter's memory is capped (a memory bomb gets MemoryError), and Pyodide's
// WebAssembly is compiled once for all the interpreters this thread restores.
const memoryCap = capWasmMemory();
cacheWasmCompilation();
/** Runners whose interpreter hit the memory cap: memory never shrinks, so their next run starts fresh. */
const hitCap = new WeakSet<ExampleRunner>();
/** Each runner's interpreters see this as their `js` module, not the thread's globalThis. */
// An interpreter whose memory grew past half the cap is replaced (memory never shrinks), so every
// block has at least half the cap to itself.
const create = (snapshot?: Uint8Array, hashSeed?: number) =>
  createNodeRunner(snapshot, hashSeed, {
    jsglobals: sandboxGlobals(),
    memoryLimitBytes: memoryCap.maxBytes / 2,
    // The pool gives this thread a WORKER_STACK_MB stack.
    recursionCeiling: WORKER_RECURSION_CEILING,
    // After os._exit the interpreter is put back in place (≈5 ms instead of ≈120 ms).
    inPlaceRestore: true,
  });

const port = parentPort!;
let primary: ExampleRunner | null = null;
let alternate: ExampleRunner | null = null;
const post = (message: WorkerMessage) => port.postMessage(message);
/** The id of the run being handled, from its message until its `done` or `error` is posted. */
let running: number | undefined;
/** An uncaught error was reported: the thread is ending and reports nothing more. */
let ending = false;

/**
 * A thrown value as text, never throwing: the value may be the example's (a rejection reason it
 * made through Pyodide's `js` module), whose `stack` or `toString` may be a getter that throws.
 */
function describeThrown(value: unknown): string {
  try {
    return String((value as Error)?.stack ?? value);
  } catch {
    return 'a thrown value that cannot be shown';
  }
}

/**
 * One line naming a thrown value, for the report (the pool shows the first line of an `error`):
 * `Name: message`, where a PythonError's message is its traceback, whose last line names the
 * exception. Never throws (see {@link describeThrown}); control characters are dropped.
 */
function summarizeThrown(value: unknown): string {
  try {
    let line = String(value);
    if (value instanceof Error) {
      const lines = String(value.message)
        .split('\n')
        .filter((l) => l.trim());
      line = `${value.name}: ${(value.name === 'PythonError' ? lines.at(-1) : lines[0]) ?? ''}`;
    }
    return line.replace(/[\u0000-\u001f\u007f]/g, '');
  } catch {
    return 'a thrown value that cannot be shown';
  }
}

/**
 * An error that escaped every handler of this thread: a promise rejected with no handler (an
 * example's `Promise.new(lambda resolve, reject: reject(...))`, or a JavaScript stack overflow
 * that a Promise executor caught inside Pyodide), or an exception thrown from a callback. Left to
 * Node, it ends in `process.exit()`, whose `reallyExit` is locked (lockdown.ts): the LockedError
 * thrown inside Node's fatal-exception handler is printed on the process's real stderr (into the
 * test run, or the sandbox's stderr) and the thread dies with it; the pool's `error` event then
 * blamed whichever block was running when the death arrived, often the next one. Instead: the
 * running block is reported as a runtime failure (the pool reports its fault and replaces the
 * worker, as for any `error`), and the thread ends quietly, since its interpreter's state is
 * unknown; with no block running, the pool replaces the thread on its `exit`.
 */
function onUncaught(kind: string, value: unknown): void {
  if (ending) return;
  ending = true;
  post({ type: 'error', id: running, message: `${kind} in the worker: ${summarizeThrown(value)}\n${describeThrown(value)}` });
  endThread(1);
}
process.on('uncaughtException', (error) => onUncaught('uncaught exception', error));
process.on('unhandledRejection', (reason) => onUncaught('unhandled promise rejection', reason));

async function handle(message: HostMessage): Promise<void> {
  if (message.type === 'init') {
    if (message.snapshot || message.wantSnapshot) {
      primary = await create(message.snapshot);
      await primary.interpreter(); // restore now, not on the first block
    }
    if (message.alternateSnapshot || message.wantAlternateSnapshot) {
      // Restored on its first run: not every worker gets a second run before the pool closes.
      alternate = await create(message.alternateSnapshot, ALTERNATE_HASH_SEED);
    }
    // slice(): a view's whole underlying buffer would be cloned otherwise.
    post({
      type: 'ready',
      snapshot: message.wantSnapshot ? primary!.snapshot.slice() : undefined,
      alternateSnapshot: message.wantAlternateSnapshot ? alternate!.snapshot.slice() : undefined,
    });
  } else if (message.type === 'alternate') {
    // The pool hands the snapshot the other worker made at start-up (see RunnerPool.create).
    if (!alternate) alternate = await create(message.snapshot, ALTERNATE_HASH_SEED);
  } else if (message.type === 'primary') {
    if (!primary) primary = await create(message.snapshot);
  } else if (message.type === 'run') {
    const { id } = message;
    const runner = message.alternateSeed ? alternate : primary;
    if (!runner) throw new Error(`no ${message.alternateSeed ? 'alternate-seed' : 'primary'} interpreter in this worker`);
    timers.begin();
    const refusals = memoryCap.refusals;
    const fresh = message.fresh || hitCap.has(runner);
    hitCap.delete(runner);
    const { chunks: _, ...result } = await runner.run(message.code, {
      interruptBuffer: message.interrupt ? new Int32Array(message.interrupt) : undefined,
      maxOutputBytes: message.maxOutputBytes,
      shiftHeap: message.shiftHeap,
      fresh,
      stdout: message.stdout,
      env: message.env,
      trace: message.trace,
      // Raw bytes: the pool decodes them in its own thread, out of the example's reach.
      onBytes: (stream, bytes) => post({ type: 'bytes', id, stream, bytes }),
      // The time limit starts here, not when the job was posted: neither a restore after a
      // discarded interpreter nor the runner's setup counts, and no SIGINT is lost to them.
      onStart: () => post({ type: 'started', id }),
    });
    // Whatever the block left scheduled on the host never fires (into the next block).
    timers.end();
    if (memoryCap.refusals !== refusals) hitCap.add(runner);
    // Node looks for promises rejected with no handler once the microtasks of the current task
    // have run, that is after this continuation: one turn of the event loop first, so that a
    // rejection the block left is reported (onUncaught) as this block's, before its `done`.
    await new Promise((resolve) => setImmediate(resolve));
    if (ending) return;
    post({ type: 'done', id, result });
  }
}

let queue: Promise<void> = Promise.resolve();
port.on('message', (message: HostMessage) => {
  queue = queue.then(async () => {
    if (ending) return;
    running = message.type === 'run' ? message.id : undefined;
    await handle(message).catch((error: unknown) => {
      if (!ending) post({ type: 'error', id: running, message: describeThrown(error) });
    });
    running = undefined;
  });
});
