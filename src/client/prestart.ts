/**
 * Python ready before the first Run, for a reader who has run an example on this site before.
 *
 * A start restores the build's memory snapshot in a new runner frame (≈1 s of CPU here: the
 * frame's worker, Pyodide's modules, compiling its WebAssembly, the restore, the runner's
 * baseline); the frame's opaque origin can keep nothing from one page to the next. So when the
 * runtime is already in the service worker's cache (the reader ran Python on an earlier page or
 * visit), each page with runnable examples starts it in the background once the page is idle, and
 * the first Run is a warm run. Nothing is fetched from the network for it, and a reader who never
 * pressed Run on this site starts nothing: Pyodide still loads only on the first sign of intent
 * (src/client/examples.ts).
 *
 * Added to every page by src/integrations/runtime.ts. No effect on the dev server (no snapshot,
 * no service worker), without Cache Storage, with `Save-Data`, or on a device reporting less than
 * 4 GiB of memory.
 */

/** How long after the page's load event the start waits for an idle moment, at most, in ms. */
export const PRESTART_IDLE_TIMEOUT_MS = 2000;

/**
 * True when this page should start Python in the background: it has a runnable example, the
 * build shipped a snapshot, the browser has room to spare, and the snapshot is in Cache Storage.
 * @returns a promise of the answer; never rejects.
 */
export async function shouldPrestart(): Promise<boolean> {
  const snapshot = __EXAMPLES_RUNTIME__.snapshot;
  if (!snapshot || !('caches' in globalThis) || !document.querySelector('div.example[data-code]:not(.example-norun)')) return false;
  const connection = (navigator as { connection?: { saveData?: boolean } }).connection;
  const memory = (navigator as { deviceMemory?: number }).deviceMemory;
  if (connection?.saveData || (memory !== undefined && memory < 4)) return false;
  try {
    return (await caches.match(new URL(snapshot.path, location.href).href, { ignoreVary: true })) !== undefined;
  } catch {
    return false; // Cache Storage refused (storage disabled): no background start
  }
}

/** After load, at an idle moment: start the page's runner host if {@link shouldPrestart}. */
function schedule(): void {
  const idle = (callback: () => void) =>
    'requestIdleCallback' in globalThis ? requestIdleCallback(callback, { timeout: PRESTART_IDLE_TIMEOUT_MS }) : setTimeout(callback, 200);
  idle(() => {
    void shouldPrestart().then(async (yes) => {
      if (!yes) return;
      const { getHost } = await import('./host.ts');
      await getHost()
        .warmUp()
        .catch(() => {}); // a failed start shows on the first Run, which starts again
    });
  });
}

if (document.readyState === 'complete') schedule();
else addEventListener('load', schedule, { once: true });
