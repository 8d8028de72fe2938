/**
 * The page fetches what the runner frame runs: Pyodide's files and the worker module. The frame's
 * opaque origin has no service worker and an HTTP cache that dies with it, so its own requests
 * would load ≈13 MB again on every page and fail offline; the page's requests go through the
 * service worker and the HTTP cache like any other file of the site.
 */

/** Pyodide's files the worker needs (what `loadPyodide` fetches or imports), by name. */
export const RUNTIME_FILES = ['pyodide.mjs', 'pyodide.asm.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json'] as const;

/**
 * Fetch one file whole, counting its bytes as they arrive.
 *
 * @param url absolute or page-relative URL.
 * @param onBytes called with the size in bytes of each piece received.
 * @param integrity a Subresource Integrity value (`sha256-…`) the body must match, or undefined.
 * @returns the body.
 * @throws Error naming the URL when the response is not 2xx or does not match `integrity`, or the network error.
 */
export async function fetchBytes(url: string, onBytes: (bytes: number) => void = () => {}, integrity?: string): Promise<ArrayBuffer> {
  let response: Response;
  try {
    response = await fetch(url, integrity ? { integrity } : {});
  } catch (error) {
    // A body that fails its integrity check is a network error too (Fetch: "main fetch", step 22).
    throw new Error(`could not load ${url}: ${(error as Error).message}`);
  }
  if (!response.ok) throw new Error(`could not load ${url}: HTTP ${response.status}`);
  if (!response.body) {
    const whole = await response.arrayBuffer();
    onBytes(whole.byteLength);
    return whole;
  }
  const pieces: Uint8Array[] = [];
  let length = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pieces.push(value);
    length += value.byteLength;
    onBytes(value.byteLength);
  }
  const whole = new Uint8Array(length);
  let offset = 0;
  for (const piece of pieces) {
    whole.set(piece, offset);
    offset += piece.byteLength;
  }
  return whole.buffer;
}

/**
 * Fetch every one of {@link RUNTIME_FILES} from `indexURL`, in parallel.
 *
 * @param indexURL absolute URL of Pyodide's folder, ending in `/`.
 * @param onProgress called with the bytes received so far (all files together).
 * @returns the files' bodies by name.
 * @throws Error naming the first file that could not be loaded.
 */
export async function fetchRuntimeFiles(indexURL: string, onProgress: (loaded: number) => void): Promise<Record<string, ArrayBuffer>> {
  let loaded = 0;
  const count = (bytes: number) => {
    loaded += bytes;
    onProgress(loaded);
  };
  const bodies = await Promise.all(RUNTIME_FILES.map((name) => fetchBytes(indexURL + name, count)));
  return Object.fromEntries(RUNTIME_FILES.map((name, i) => [name, bodies[i]!]));
}
