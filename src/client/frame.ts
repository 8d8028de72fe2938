/**
 * The runner frame's document: where examples run, out of the site's reach.
 *
 * Code from a share link or the editor is the reader's to run, not the site's to trust. In a worker
 * of the site's own origin it could rewrite the service worker's cached scripts (every later page
 * would run them, offline too), read the origin's storage, send requests with its cookies. So the
 * runner worker lives in an iframe with `sandbox="allow-scripts"` and no `allow-same-origin`: an
 * opaque origin, without Cache Storage, IndexedDB, localStorage or cookies, and without access to
 * the page. (MDN runs its live samples on another origin for the same reason.)
 *
 * The document is an `srcdoc` written by {@link frameDocument}, so it needs no request of its own
 * (a sandboxed frame is controlled by no service worker, and an opaque origin's HTTP cache lasts
 * only as long as the frame: a page of its own would not load offline). The page fetches the worker
 * module and Pyodide's files itself, through the service worker and the HTTP cache, and posts them
 * to the frame, which hands them to its worker.
 *
 * Chromium makes such a frame cross-origin isolated (SharedArrayBuffer, for Stop's interrupt
 * buffer) when the page is, when the frame inherits COEP (an `srcdoc` document does) and when the
 * iframe has `allow="cross-origin-isolated"`. A page cannot share a SharedArrayBuffer with an
 * opaque-origin frame (another agent cluster), so the frame owns the buffer, shares it with its
 * worker, and sets it when the page posts `interrupt`.
 *
 * The worker is a classic worker from a blob: URL (an opaque origin may start no worker from an
 * http URL, and Chromium fails module workers from its blob: URLs; measured in Chromium 156), whose
 * bootstrap ({@link WORKER_BOOTSTRAP}) imports the worker module (src/client/worker.ts) with
 * `import()`.
 */
import { SIGINT } from '../examples/worker-protocol.ts';

/** What {@link frameMain} is given (as JSON in the frame document). */
export interface FrameConfig {
  /** The page's origin: the only sender the frame listens to, the only target it posts to. */
  pageOrigin: string;
  /** The worker bootstrap's source ({@link WORKER_BOOTSTRAP}). */
  bootstrap: string;
  /** Value that raises KeyboardInterrupt (SIGINT, 2) when written to the interrupt buffer. */
  sigint: number;
  /** Name of the worker (shown in developer tools). */
  workerName: string;
}

/**
 * The classic worker script the frame starts. Pyodide refuses classic workers (it tells them by a
 * working `importScripts`), so the bootstrap hides `importScripts` before it imports the module:
 * from then on the worker runs module code only. It waits for `boot` (the module's text, a Blob),
 * imports it from a blob: URL, and answers `booted`, or an `error` without id.
 */
export const WORKER_BOOTSTRAP = `"use strict";
Object.defineProperty(self, "importScripts", { value: undefined, configurable: true });
self.addEventListener("message", function boot(event) {
  const message = event.data;
  if (!message || message.type !== "boot") return;
  self.removeEventListener("message", boot);
  import(URL.createObjectURL(new Blob([message.source], { type: "text/javascript" }))).then(
    () => postMessage({ type: "booted" }),
    (error) => postMessage({ type: "error", message: "the Python worker could not load: " + error }),
  );
});
`;

/**
 * The frame's script, run in the frame (serialized with `Function.prototype.toString`, so it uses
 * nothing but its argument and the frame's globals).
 *
 * Starts the worker (its bootstrap only) at once. Listens to the page only (`event.source ===
 * parent` and the page's origin); on `start` it boots the worker with the module and, once booted,
 * posts it `start` and every `file` and `snapshot` the page sent (held until then); `run` goes to
 * the worker with the interrupt buffer; `interrupt` sets the buffer and wakes a wait on it. Every
 * message of the worker is passed on to the page as it is (the page checks them:
 * frame-protocol.ts), and a worker error becomes an `error` without id. Announces itself with
 * `frame-ready`.
 */
export function frameMain(config: FrameConfig): void {
  const shared = typeof SharedArrayBuffer === 'function' && self.crossOriginIsolated ? new SharedArrayBuffer(4) : null;
  let worker: Worker | null = null;
  /** Messages for the worker held until its module has loaded (null once it has). */
  let queue: unknown[] | null = null;
  // Started at once, so that its thread is up by the time the page has fetched the worker module
  // (≈0.1–0.2 s of a first Run); it runs nothing but the bootstrap until `start`.
  const spare = new Worker(URL.createObjectURL(new Blob([config.bootstrap], { type: 'text/javascript' })), { name: config.workerName });
  const toPage = (message: unknown, transfer: Transferable[] = []) => {
    try {
      parent.postMessage(message, config.pageOrigin, transfer);
    } catch {
      // Not cloneable or not transferable (only code in the worker makes such messages): dropped.
    }
  };
  addEventListener('message', (event: MessageEvent) => {
    if (event.source !== parent || event.origin !== config.pageOrigin) return;
    const message = event.data;
    if (message?.type === 'start' && worker === null) {
      const started = spare;
      worker = started;
      // Until the worker module has loaded, nothing listens in the worker but the bootstrap: hold what the page sends.
      queue = [{ type: 'start', indexURL: message.indexURL, snapshot: message.snapshot, wantSnapshot: message.wantSnapshot }];
      started.addEventListener('message', (from: MessageEvent) => {
        const data = from.data;
        if (data?.type === 'booted') {
          if (!queue) return;
          for (const held of queue) started.postMessage(held);
          queue = null;
          return;
        }
        toPage(data, data?.type === 'ready' && data.snapshot instanceof Uint8Array ? [data.snapshot.buffer] : []);
      });
      started.addEventListener('error', (error: ErrorEvent) => {
        error.preventDefault();
        toPage({ type: 'error', message: error.message || 'the Python worker crashed' });
      });
      started.postMessage({ type: 'boot', source: message.moduleSource });
    } else if ((message?.type === 'file' || message?.type === 'snapshot') && worker) {
      // Blobs: posted as handles, not copied.
      if (queue) queue.push(message);
      else worker.postMessage(message);
    } else if (message?.type === 'run' && worker) {
      worker.postMessage({
        type: 'run',
        id: message.id,
        code: message.code,
        maxOutputBytes: message.maxOutputBytes,
        stdout: message.stdout,
        env: message.env,
        trace: message.trace === true,
        interrupt: shared ?? undefined,
      });
    } else if (message?.type === 'interrupt' && shared) {
      const cell = new Int32Array(shared);
      Atomics.store(cell, 0, config.sigint);
      // time.sleep and the event loop wait on this cell (src/examples/host-waits.ts): wake them now.
      Atomics.notify(cell, 0);
    }
  });
  toPage({ type: 'frame-ready', interrupt: shared !== null });
}

/**
 * The frame's `srcdoc`: a document whose only content is {@link frameMain}, called with its config.
 *
 * @param pageOrigin the page's origin (`location.origin`).
 * @returns HTML text.
 * @throws Error when the serialized script would end its own `<script>` element (a bundler
 *   change that put `</script` or `<!--` into the function's text).
 */
export function frameDocument(pageOrigin: string): string {
  const config: FrameConfig = { pageOrigin, bootstrap: WORKER_BOOTSTRAP, sigint: SIGINT, workerName: 'python-examples' };
  // `<` escaped in the JSON: no string in it can close the script element.
  const script = `(${frameMain.toString()})(${JSON.stringify(config).replace(/</g, '\\u003c')});`;
  if (/<\/script|<!--/i.test(script)) throw new Error('frame.ts: the serialized frame script contains </script or <!--');
  return `<!doctype html><html lang="en"><meta charset="utf-8"><title>Python runner</title><script>${script}</script></html>`;
}
