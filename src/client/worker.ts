/**
 * The browser runner worker: the twin of src/examples/worker-node.ts. It holds one ExampleRunner
 * (the same module and the same runner.py the build verified with) over the self-hosted Pyodide,
 * and speaks the same protocol (src/examples/worker-protocol.ts): init → ready, run → chunk… done.
 *
 * While the first interpreter loads it also sends `progress` messages (bytes of Pyodide's files
 * received so far), for the page's progress bar.
 *
 * Started by src/client/host.ts as a module worker:
 * `new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })`.
 */
import runnerSource from '../examples/runner.py?raw';
import { ExampleRunner, type LoadPyodide } from '../examples/runner.ts';
import type { HostMessage, WorkerMessage } from '../examples/worker-protocol.ts';

/** The worker global, typed by hand: the DOM and WebWorker libraries cannot share one program. */
const scope = globalThis as unknown as {
  postMessage(message: WorkerMessage, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<HostMessage>) => void): void;
  location: { href: string };
};

const indexURL = new URL(__EXAMPLES_RUNTIME__.indexPath, scope.location.href).href;
const post = (message: WorkerMessage, transfer?: Transferable[]) => scope.postMessage(message, transfer);

/**
 * Count the bytes of Pyodide's files as they arrive, for the progress bar. Only during the cold
 * load, and only for URLs under the runtime folder; Pyodide gets the response untouched.
 */
let counting = false;
let loaded = 0;
let lastReport = 0;
const realFetch = globalThis.fetch.bind(globalThis);
function report(force = false): void {
  const now = performance.now();
  if (!force && now - lastReport < 100) return;
  lastReport = now;
  const total = __EXAMPLES_RUNTIME__.downloadBytes;
  // Once every byte is in, what remains is compiling and starting the interpreter.
  post({ type: 'progress', stage: loaded >= total ? 'start' : 'download', loaded, total });
}
globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
  const response = await realFetch(input, init);
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  if (!counting || !response.body || !new URL(url, indexURL).href.startsWith(indexURL)) return response;
  // Count on a clone (a tee of the body) and hand Pyodide the original Response: a constructed one
  // would have no URL, and V8 caches compiled WebAssembly only for responses it can key by URL
  // (repeat visits start ≈1 s sooner with the cache).
  void (async () => {
    const reader = response.clone().body!.getReader();
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) break;
      loaded += value!.byteLength;
      report();
    }
  })();
  return response;
};

let runner: ExampleRunner | null = null;

async function init(snapshot: Uint8Array | undefined, wantSnapshot: boolean | undefined): Promise<void> {
  const { loadPyodide } = (await import(/* @vite-ignore */ `${indexURL}pyodide.mjs`)) as { loadPyodide: LoadPyodide };
  counting = !snapshot;
  try {
    runner = await ExampleRunner.create({ loadPyodide, runnerSource, indexURL, snapshot });
  } finally {
    counting = false;
  }
  if (!snapshot) post({ type: 'progress', stage: 'start', loaded, total: __EXAMPLES_RUNTIME__.downloadBytes });
  await runner.interpreter(); // restore now, not on the first run
  // slice(): a copy the host keeps, transferred rather than cloned (≈30 MB).
  const copy = wantSnapshot ? runner.snapshot.slice() : undefined;
  post({ type: 'ready', snapshot: copy }, copy ? [copy.buffer] : []);
}

scope.addEventListener('message', async (event) => {
  const message = event.data;
  try {
    if (message.type === 'init') {
      await init(message.snapshot, message.wantSnapshot);
    } else if (message.type === 'run') {
      const { id } = message;
      if (!runner) throw new Error('run before init');
      const { chunks: _, ...result } = await runner.run(message.code, {
        interruptBuffer: message.interrupt ? new Int32Array(message.interrupt) : undefined,
        maxOutputBytes: message.maxOutputBytes,
        onChunk: (chunk) => post({ type: 'chunk', id, chunk }),
      });
      post({ type: 'done', id, result });
    }
  } catch (error) {
    post({ type: 'error', id: message.type === 'run' ? message.id : undefined, message: String((error as Error)?.stack ?? error) });
  }
});
