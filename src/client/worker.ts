/**
 * The browser runner worker: the twin of src/examples/worker-node.ts. It holds one ExampleRunner
 * (the same module and the same runner.py the build verified with) over the self-hosted Pyodide,
 * and speaks the same protocol (src/examples/worker-protocol.ts): init → ready, run → chunk… done.
 *
 * It runs inside the sandboxed runner frame (src/client/frame.ts), an opaque origin that fetches
 * nothing: the frame's bootstrap imports this module, then passes on the page's `start`, and each
 * of Pyodide's files (`file`) and the memory snapshot (`snapshot`) as Blobs, as the page receives
 * them (frame-protocol.ts `FrameToWorker`). The start begins at once and waits for each file when
 * Pyodide asks for it: its `fetch` of a file under `indexURL` is answered from them, its two
 * modules are imported from blob: URLs of them, and the WebAssembly module is compiled as soon as
 * its file comes, once per worker, and instantiated for every interpreter (a memory-snapshot
 * restore included), since an opaque origin has no persistent HTTP cache, hence no compiled-code
 * cache of V8's. The build's snapshot comes packed (snapshot-pack.ts) and is unpacked here, into
 * the buffer Pyodide was already given (see {@link snapshotOptions}).
 *
 * While the first interpreter starts it sends `progress` (stage `start`) for the page's progress bar.
 */
import resetSource from '../examples/reset.py?raw';
import tracerSource from '../examples/tracer.py?raw';
import runnerSource from '../examples/runner.py?raw';
import { ExampleRunner, type LoadPyodide } from '../examples/runner.ts';
import type { WorkerMessage } from '../examples/worker-protocol.ts';
import type { FrameToWorker } from './frame-protocol.ts';
import { chunkBatcher } from './chunk-batch.ts';
import { RUNTIME_FILES } from './frame-files.ts';
import { readSnapshotBlob, unpackSnapshot } from './snapshot-pack.ts';

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

/** A value that arrives later, in a message, and what resolves it. */
interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  return { promise: new Promise<T>((r) => (resolve = r)), resolve };
}

/** Pyodide's files by name (each resolved when its `file` message comes), and the URL they are served under. */
const files = new Map<string, Deferred<Blob>>(RUNTIME_FILES.map((name) => [name, deferred<Blob>()]));
let indexURL = '';
/** The memory snapshot as the page sent it (packed: snapshot-pack.ts), once its `snapshot` message came. */
const snapshotBody = deferred<Blob>();
/** The build's snapshot's length in bytes (unpacked), or undefined (the dev server ships none). */
const snapshotLength = __EXAMPLES_RUNTIME__.snapshot?.memoryBytes;
/** Where the build's snapshot is unpacked: zeros until it came (see {@link snapshotOptions}). */
let snapshotMemory: Uint8Array | undefined;
const memory = () => (snapshotMemory ??= snapshotLength ? new Uint8Array(snapshotLength) : undefined);
/** The snapshot read and unpacked, once, from the moment it comes (later restores in this worker reuse it). */
let snapshotRead: Promise<Uint8Array> | null = null;
const readSnapshot = () =>
  (snapshotRead ??= snapshotBody.promise.then(async (body) => {
    const bytes = unpackSnapshot(await readSnapshotBlob(body), memory());
    mark('snapshot-read');
    return bytes;
  }));
/** Responses made for the WebAssembly file, so that the compiled module can be reused. */
const wasmResponses = new WeakSet<Response>();

const realFetch = globalThis.fetch.bind(globalThis);
globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const file = indexURL && url.startsWith(indexURL) ? files.get(url.slice(indexURL.length)) : undefined;
  if (!file) return realFetch(input, init);
  // A Response over the Blob streams its bytes (the WebAssembly module compiles as they come).
  const response = new Response(await file.promise, {
    headers: { 'Content-Type': TYPES[url.slice(url.lastIndexOf('.') + 1)] ?? 'application/octet-stream' },
  });
  if (url.endsWith('.wasm')) wasmResponses.add(response);
  return response;
};

let compiled: Promise<WebAssembly.Module> | null = null;
/** Compile Pyodide's WebAssembly module from its file, streaming (off this thread in V8). */
const compileWasm = (body: Blob) => {
  mark('compile');
  const module = WebAssembly.compileStreaming(new Response(body, { headers: { 'Content-Type': TYPES.wasm! } }));
  module.then(
    () => mark('compiled'),
    () => {},
  );
  return module;
};
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

/** A blob: URL of one of Pyodide's modules, to `import()`, once the page sent it. */
async function moduleURL(name: string): Promise<string> {
  const body = await files.get(name)!.promise;
  return URL.createObjectURL(new Blob([body], { type: 'text/javascript' }));
}

/**
 * Stands for the snapshot in ExampleRunner (runner.ts), which is given it before the snapshot
 * arrived: {@link init}'s `load` replaces it with the snapshot, see there.
 */
const SNAPSHOT_TO_COME = new Uint8Array(0);

let runner: ExampleRunner | null = null;

/**
 * A User Timing mark of the start's stages (`python:…`), for developer tools' Performance panel and
 * for scripts/bench-client.ts, which reads them from a trace.
 */
const mark = (name: string) => performance.mark(`python:${name}`);

/**
 * `loadPyodide` options that restore the snapshot still on its way. Pyodide sizes the memory from
 * `_loadSnapshot` (pyodide.mjs `prepareSnapshot`: INITIAL_MEMORY is its length) and copies it in
 * only after the module's pre-run steps (`restoreSnapshot`, after Emscripten's run dependencies);
 * so when the build said how long the snapshot is, it gets a zeroed buffer of that length at once,
 * and the snapshot is unpacked into it in `fsInit` (a pre-run step Pyodide waits for: its
 * loadPyodide option, emscripten-settings.ts `callFsInitHook`). Instantiating the WebAssembly
 * module and installing the standard library then happen while the snapshot downloads. Otherwise
 * (the dev server's snapshot, or a later restore) Pyodide awaits the snapshot first.
 */
function snapshotOptions(): { _loadSnapshot: Uint8Array | Promise<Uint8Array>; fsInit?: () => Promise<void> } {
  const into = memory();
  if (!into) return { _loadSnapshot: readSnapshot() };
  return {
    _loadSnapshot: into,
    fsInit: async () => {
      await readSnapshot();
    },
  };
}

async function init(snapshot: boolean, wantSnapshot: boolean | undefined): Promise<void> {
  mark('init');
  const [{ loadPyodide }, { default: createPyodideModule }] = (await Promise.all([
    import(/* @vite-ignore */ await moduleURL('pyodide.mjs')),
    import(/* @vite-ignore */ await moduleURL('pyodide.asm.mjs')),
  ])) as [{ loadPyodide: LoadPyodide }, { default: unknown }];
  mark('modules');
  // `createPyodideModule` (a configuration key loadPyodide passes on, pyodide.mjs `loadWasmScript`)
  // stands for its own `import(indexURL + 'pyodide.asm.mjs')`, which no fetch override can serve.
  const load = (async (options: Parameters<LoadPyodide>[0]) => {
    const given = (options as { _loadSnapshot?: unknown })._loadSnapshot;
    const py = await loadPyodide({
      ...options,
      createPyodideModule,
      ...(given === SNAPSHOT_TO_COME ? snapshotOptions() : {}),
    } as Parameters<LoadPyodide>[0]);
    mark('loaded'); // Pyodide loaded (restored when given a snapshot), before the runner's own set-up
    return py;
  }) as LoadPyodide;
  const total = __EXAMPLES_RUNTIME__.downloadBytes;
  if (!snapshot) post({ type: 'progress', stage: 'start', loaded: total, total });
  runner = await ExampleRunner.create({
    loadPyodide: load,
    runnerSources: { runner: runnerSource, reset: resetSource, tracer: tracerSource },
    indexURL,
    snapshot: snapshot ? SNAPSHOT_TO_COME : undefined,
    // After os._exit the interpreter is put back in place (≈5 ms) rather than restored anew: a
    // restore took ≈0.3 s, and the worker kept each dropped interpreter's memory (≈60 MB each).
    inPlaceRestore: true,
  });
  await runner.interpreter(); // restore now, not on the first run
  mark('ready');
  // slice(): a copy the host keeps, transferred rather than cloned (≈30 MB).
  const copy = wantSnapshot ? runner.snapshot.slice() : undefined;
  post({ type: 'ready', snapshot: copy }, copy ? [copy.buffer] : []);
}

scope.addEventListener('message', async (event) => {
  const message = event.data;
  try {
    if (message.type === 'start') {
      indexURL = message.indexURL;
      await init(message.snapshot, message.wantSnapshot);
    } else if (message.type === 'file') {
      files.get(message.name)?.resolve(message.body);
      // Compile as soon as the bytes are here, not once Pyodide's modules have loaded and it asks.
      if (message.name === 'pyodide.asm.wasm') compiled ??= compileWasm(message.body);
    } else if (message.type === 'snapshot') {
      mark('snapshot');
      snapshotBody.resolve(message.body);
      readSnapshot().catch(() => {}); // read now; a failure shows where the restore awaits it
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
        trace: message.trace,
        onChunk: output.push,
      });
      output.flush();
      post({ type: 'done', id, result });
    }
  } catch (error) {
    post({ type: 'error', id: message.type === 'run' ? message.id : undefined, message: String((error as Error)?.stack ?? error) });
  }
});
