/**
 * The runner's memory snapshot, made at build time and shipped with the site, so that even a
 * reader's first Run restores an interpreter (≈0.3 s) instead of loading Pyodide cold and taking a
 * snapshot in the browser (≈3 s).
 *
 * It is made in Node, in a child process (make-snapshot.ts), with the same installed Pyodide and
 * the same runner.py and reset.py that the browser worker bundles in this build, before any example
 * ran, with hash seed 0 and the global scope as the `js` module, as the worker restores it. Pyodide
 * records the JavaScript objects a snapshot refers to by their path from the global scope, and
 * checks its own build id on restore, so a Node-made snapshot restores in a browser
 * (tests/e2e/runtime-start.test.ts runs examples from it). The page fetches it with Subresource
 * Integrity (the hash is compiled into the client), and nothing the runner frame produces is ever
 * stored.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { packSnapshot } from '../client/snapshot-pack.ts';

/** A snapshot made by {@link makeRunnerSnapshot}. */
export interface RunnerSnapshot {
  /** The file shipped: the snapshot without its zero pages, gzipped (src/client/snapshot-pack.ts; ≈6 MiB). */
  bytes: Uint8Array;
  /** Length in bytes of the snapshot itself (≈30 MiB: the interpreter's whole WebAssembly memory). */
  memoryBytes: number;
  /** The shipped file's Subresource Integrity value, `sha256-<base64>` (https://www.w3.org/TR/SRI/). */
  integrity: string;
  /** A file name that changes with its content, e.g. `python-43483fad785e.snapshot`. */
  fileName: string;
}

/**
 * Make the browser runner's snapshot in a child process of this Node (≈3–5 s).
 *
 * @returns the snapshot with its integrity value and file name.
 * @throws Error with the child's message when Pyodide cannot load or the snapshot cannot be made.
 */
export async function makeRunnerSnapshot(): Promise<RunnerSnapshot> {
  const dir = await mkdtemp(join(tmpdir(), 'runner-snapshot-'));
  try {
    const out = join(dir, 'snapshot.bin');
    const script = fileURLToPath(new URL('./make-snapshot.ts', import.meta.url));
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [script, out], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0 ? resolve() : reject(new Error(stderr.trim() || `make-snapshot.ts exited with status ${code}`)),
      );
    });
    const snapshot = new Uint8Array(await readFile(out));
    const bytes = new Uint8Array(gzipSync(packSnapshot(snapshot), { level: 6 }));
    const digest = createHash('sha256').update(bytes).digest();
    return {
      bytes,
      memoryBytes: snapshot.byteLength,
      integrity: `sha256-${digest.toString('base64')}`,
      fileName: `python-${digest.toString('hex').slice(0, 12)}.snapshot`,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
