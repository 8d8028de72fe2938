/**
 * The browser runner worker: the twin of src/examples/worker-node.ts. It holds one ExampleRunner
 * (the same module and the same runner.py the build verified with) over the self-hosted Pyodide,
 * and speaks the same protocol (src/examples/worker-protocol.ts): init → ready, run → chunk… done.
 *
 * It runs inside the sandboxed runner frame (src/client/frame.ts), an opaque origin that fetches
 * nothing: the frame's bootstrap imports this module, then posts `files`, Pyodide's files as the
 * page fetched them (frame-protocol.ts `FrameToWorker`). Pyodide gets them from memory: its
 * `fetch` of a file under `indexURL` is answered from them, its two modules are imported from
 * blob: URLs of them, and the WebAssembly module is compiled once per worker and instantiated
 * for every interpreter (a memory-snapshot restore included), since an opaque origin has no
 * persistent HTTP cache, hence no compiled-code cache of V8's.
 *
 * While the first interpreter starts it sends `progress` (stage `start`) for the page's progress bar.
 */
import resetSource from '../examples/reset.py?raw';
import runnerSource from '../examples/runner.py?raw';
import { ExampleRunner, type LoadPyodide } from '../examples/runner.ts';
import tracerSource from '../examples/tracer.py?raw';
import type { WorkerMessage } from '../examples/worker-protocol.ts';
import type { FrameToWorker } from './frame-protocol.ts';
import { chunkBatcher } from './chunk-batch.ts';

/** The worker global, typed by hand: the DOM and WebWorker libraries cannot share one program. */
const scope = globalThis as unknown as {
  postMessage(message: WorkerMessage, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<FrameToWorker>) => void): void;
};

const post = (message: WorkerMessage, transfer?: Transferable[]) => scope.postMessage(message, transfer);

/** Content types Pyodide's loader checks (`instantiateStreaming` needs application/wasm). */
const TYPES: Record<string, string> = {
  wasm: 'application/wasm',
  zip: 'application/zip',
  json: 'application/json',
  mjs: 'text/javascript',
};

/** Pyodide's files by name, and the URL they are served under. */
let files = new Map<string, ArrayBuffer>();
let indexURL = '';
/** Responses made for the WebAssembly file, so that the compiled module can be reused. */
const wasmResponses = new WeakSet<Response>();

const realFetch = globalThis.fetch.bind(globalThis);
globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const bytes = indexURL && url.startsWith(indexURL) ? files.get(url.slice(indexURL.length)) : undefined;
  if (!bytes) return realFetch(input, init);
  // The body is a copy of the bytes (Fetch: extract a body), so the file can be served again.
  const response = new Response(bytes, {
    headers: { 'Content-Type': TYPES[url.slice(url.lastIndexOf('.') + 1)] ?? 'application/octet-stream' },
  });
  if (url.endsWith('.wasm')) wasmResponses.add(response);
  return response;
};

let compiled: Promise<WebAssembly.Module> | null = null;
const instantiateStreaming = WebAssembly.instantiateStreaming.bind(WebAssembly);
// Pyodide instantiates with instantiateStreaming(fetch(wasm)); compile our file once and reuse it.
Object.defineProperty(WebAssembly, 'instantiateStreaming', {
  configurable: true,
  writable: true,
  value: async (source: Response | PromiseLike<Response>, imports?: WebAssembly.Imports) => {
    const response = await source;
    if (!wasmResponses.has(response)) return instantiateStreaming(response, imports);
    compiled ??= WebAssembly.compileStreaming(response);
    const module = await compiled;
    return { module, instance: await WebAssembly.instantiate(module, imports) };
  },
});

/** A blob: URL of one of Pyodide's modules, to `import()`. */
function moduleURL(name: string): string {
  const bytes = files.get(name);
  if (!bytes) throw new Error(`${name} was not given to the worker`);
  return URL.createObjectURL(new Blob([bytes], { type: 'text/javascript' }));
}

let runner: ExampleRunner | null = null;

async function init(snapshot: Uint8Array | undefined, wantSnapshot: boolean | undefined): Promise<void> {
  const { loadPyodide } = (await import(/* @vite-ignore */ moduleURL('pyodide.mjs'))) as { loadPyodide: LoadPyodide };
  const { default: createPyodideModule } = (await import(/* @vite-ignore */ moduleURL('pyodide.asm.mjs'))) as { default: unknown };
  // `createPyodideModule` (a configuration key loadPyodide passes on, pyodide.mjs `loadWasmScript`)
  // stands for its own `import(indexURL + 'pyodide.asm.mjs')`, which no fetch override can serve.
  const load = ((options: Parameters<LoadPyodide>[0]) =>
    loadPyodide({ ...options, createPyodideModule } as Parameters<LoadPyodide>[0])) as LoadPyodide;
  const total = __EXAMPLES_RUNTIME__.downloadBytes;
  if (!snapshot) post({ type: 'progress', stage: 'start', loaded: total, total });
  runner = await ExampleRunner.create({
    loadPyodide: load,
    runnerSources: { runner: runnerSource, reset: resetSource, tracer: tracerSource },
    indexURL,
    snapshot,
  });
  await runner.interpreter(); // restore now, not on the first run
  // slice(): a copy the host keeps, transferred rather than cloned (≈30 MB).
  const copy = wantSnapshot ? runner.snapshot.slice() : undefined;
  post({ type: 'ready', snapshot: copy }, copy ? [copy.buffer] : []);
}

scope.addEventListener('message', async (event) => {
  const message = event.data;
  try {
    if (message.type === 'files') {
      indexURL = message.indexURL;
      files = new Map(Object.entries(message.files));
    } else if (message.type === 'init') {
      await init(message.snapshot, message.wantSnapshot);
    } else if (message.type === 'run') {
      const { id } = message;
      if (!runner) throw new Error('run before init');
      // Writes are merged (chunk-batch.ts), so a flood of prints cannot bury Stop's interrupt.
      const output = chunkBatcher((chunk) => post({ type: 'chunk', id, chunk }));
      const { chunks: _, ...result } = await runner.run(message.code, {
        interruptBuffer: message.interrupt ? new Int32Array(message.interrupt) : undefined,
        maxOutputBytes: message.maxOutputBytes,
        stdout: message.stdout,
        env: message.env,
        onChunk: output.push,
      });
      output.flush();
      post({ type: 'done', id, result });
    }
  } catch (error) {
    post({ type: 'error', id: message.type === 'run' ? message.id : undefined, message: String((error as Error)?.stack ?? error) });
  }
});
        trace: message.trace,
