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
import { lockDownProcess, sandboxGlobals, trackTimers } from './lockdown.ts';
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
    post({ type: 'done', id, result });
  }
}

let queue: Promise<void> = Promise.resolve();
port.on('message', (message: HostMessage) => {
  queue = queue.then(() =>
    handle(message).catch((error: unknown) => {
      post({ type: 'error', id: message.type === 'run' ? message.id : undefined, message: String((error as Error)?.stack ?? error) });
    }),
  );
});
