/**
 * Build-time constants of the client, defined by src/integrations/runtime.ts (Vite `define`).
 */
/// <reference types="vite/client" />

declare const __EXAMPLES_RUNTIME__: {
  /** Pyodide's version, e.g. `314.0.7`. */
  version: string;
  /** Absolute path of the self-hosted Pyodide folder, ending in `/` (e.g. `/pyodide/314.0.7/`). */
  indexPath: string;
  /** Bytes a cold start fetches (Pyodide's two modules, wasm, standard library, lock file), for the progress bar. */
  downloadBytes: number;
  /** Path of the service worker script, or null (dev server: none). */
  serviceWorker: string | null;
  /** Dev server: path of the runner worker bundled into one module; null in a build. */
  workerModule: string | null;
  /**
   * The runner's memory snapshot made at build time, which every start restores: absolute path,
   * Subresource Integrity value (`sha256-…`) and size in bytes of the shipped (packed) file, and the
   * snapshot's own length in bytes (`memoryBytes`, src/client/snapshot-pack.ts); null on the dev server.
   */
  snapshot: { path: string; integrity: string; bytes: number; memoryBytes: number } | null;
};
