/**
 * A verifier worker thread: holds one {@link ExampleRunner} and runs the blocks the pool sends
 * (see worker-protocol.ts). Runs in its own thread so that the pool can interrupt a block through
 * the shared interrupt buffer, or terminate the thread, while the block is running.
 */
import { parentPort } from 'node:worker_threads';
import type { ExampleRunner } from './runner.ts';
import { createNodeRunner } from './runner-node.ts';
import type { HostMessage, WorkerMessage } from './worker-protocol.ts';

const port = parentPort!;
let runner: ExampleRunner | null = null;
const post = (message: WorkerMessage) => port.postMessage(message);

port.on('message', async (message: HostMessage) => {
  try {
    if (message.type === 'init') {
      runner = await createNodeRunner(message.snapshot);
      await runner.interpreter(); // restore now, not on the first block
      // slice(): a view's whole underlying buffer would be cloned otherwise.
      post({ type: 'ready', snapshot: message.wantSnapshot ? runner.snapshot.slice() : undefined });
    } else if (message.type === 'run') {
      const { id } = message;
      const { chunks: _, ...result } = await runner!.run(message.code, {
        interruptBuffer: message.interrupt ? new Int32Array(message.interrupt) : undefined,
        maxOutputBytes: message.maxOutputBytes,
        shiftHeap: message.shiftHeap,
        onChunk: (chunk) => post({ type: 'chunk', id, chunk }),
        // The time limit starts here, not when the job was posted: neither a restore after a
        // discarded interpreter nor the runner's setup counts, and no SIGINT is lost to them.
        onStart: () => post({ type: 'started', id }),
      });
      post({ type: 'done', id, result });
    }
  } catch (error) {
    post({ type: 'error', id: message.type === 'run' ? message.id : undefined, message: String((error as Error)?.stack ?? error) });
  }
});
