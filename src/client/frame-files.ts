/**
 * The page fetches what the runner frame runs: Pyodide's files and the worker module. The frame's
 * opaque origin has no service worker and an HTTP cache that dies with it, so its own requests
 * would load ≈13 MB again on every page and fail offline; the page's requests go through the
 * service worker and the HTTP cache like any other file of the site.
 */

/** Pyodide's files the worker needs (what `loadPyodide` fetches or imports), by name. */
export const RUNTIME_FILES = ['pyodide.mjs', 'pyodide.asm.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json'] as const;

/** One of {@link RUNTIME_FILES}. */
export type RuntimeFile = (typeof RUNTIME_FILES)[number];

/** Bodies {@link fetchBlob} fetched, by absolute URL, until {@link takeFetchedBodies}. */
const fetched = new Map<string, Blob>();

/**
 * The bodies fetched since the last call, by absolute URL, and forget them: for the service
 * worker's `cache` message, so that it stores these bytes instead of fetching them again (its
 * `respondWith` leaves the runner's files to the browser while they are not stored, and a big
 * body may be missing from the HTTP cache: Chromium's in-memory cache of a private window holds
 * no entry larger than an eighth of its size).
 * @returns [absolute URL, body] pairs.
 */
export function takeFetchedBodies(): [string, Blob][] {
  const bodies = [...fetched];
  fetched.clear();
  return bodies;
}

/**
 * Fetch one file whole, as a Blob, counting its bytes as they arrive.
 *
 * A Blob, not an ArrayBuffer: the runner frame runs in another renderer process (Chromium isolates
 * sandboxed frames), and a Blob crosses to it, and on to its worker, as a handle on bytes the
 * browser holds, where an ArrayBuffer would be copied on the page's main thread (≈43 MB for the
 * first start: a task of hundreds of ms) and again in the frame's. The worker reads the bytes
 * off any main thread.
 *
 * @param url absolute or page-relative URL.
 * @param onBytes called with the size in bytes of each piece received.
 * @param integrity a Subresource Integrity value (`sha256-…`) the body must match, or undefined.
 * @returns the body.
 * @throws Error naming the URL when the response is not 2xx or does not match `integrity`, or the network error.
 */
export async function fetchBlob(url: string, onBytes: (bytes: number) => void = () => {}, integrity?: string): Promise<Blob> {
  let response: Response;
  try {
    response = await fetch(url, integrity ? { integrity } : {});
  } catch (error) {
    // A body that fails its integrity check is a network error too (Fetch: "main fetch", step 22).
    throw new Error(`could not load ${url}: ${(error as Error).message}`);
  }
  if (!response.ok) throw new Error(`could not load ${url}: HTTP ${response.status}`);
  try {
    // With `integrity` the body is whole (and checked) before the response resolves: nothing to
    // count as it comes, and the browser makes the Blob itself, off the page's JavaScript (piping
    // the 31 MB snapshot through a counting stream kept the main thread busy ≈0.4 s).
    if (!response.body || integrity) {
      const whole = await response.blob();
      onBytes(whole.size);
      fetched.set(response.url, whole);
      return whole;
    }
    const counted = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(piece, controller) {
          onBytes(piece.byteLength);
          controller.enqueue(piece);
        },
      }),
    );
    // Typed as sent: the service worker stores the Blob as the response's body (type and all).
    const whole = await new Response(counted).blob();
    const typed = whole.type ? whole : new Blob([whole], { type: response.headers.get('Content-Type') ?? '' });
    fetched.set(response.url, typed);
    return typed;
  } catch (error) {
    throw new Error(`could not load ${url}: ${(error as Error).message}`);
  }
}

/**
 * Fetch every one of {@link RUNTIME_FILES} from `indexURL`, in parallel, handing each over as it arrives.
 *
 * @param indexURL absolute URL of Pyodide's folder, ending in `/`.
 * @param onFile called with each file's name and body, as soon as that file is whole.
 * @param onProgress called with the bytes received so far (all files together).
 * @returns once every file was handed over.
 * @throws Error naming the first file that could not be loaded.
 */
export async function fetchRuntimeFiles(
  indexURL: string,
  onFile: (name: RuntimeFile, body: Blob) => void,
  onProgress: (loaded: number) => void,
): Promise<void> {
  let loaded = 0;
  const count = (bytes: number) => {
    loaded += bytes;
    onProgress(loaded);
  };
  await Promise.all(RUNTIME_FILES.map(async (name) => onFile(name, await fetchBlob(indexURL + name, count))));
}
