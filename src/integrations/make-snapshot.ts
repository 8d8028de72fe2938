/**
 * Child process of {@link ../integrations/snapshot.ts}: make the browser runner's memory snapshot
 * with the installed Pyodide and the runner sources of this checkout, before any example ran, and
 * write it to the file named by the first argument.
 *
 * Usage (Node 24, type stripping): `node src/integrations/make-snapshot.ts <out-file>`. Exits 0
 * after writing, 1 with a one-line message on stderr when Pyodide fails to load or the file cannot
 * be written. A process of its own: the ≈150 MB interpreter is freed when it ends, not kept in the
 * build's process.
 */
import { writeFile } from 'node:fs/promises';
import { createNodeRunner } from '../examples/runner-node.ts';

const out = process.argv[2];
if (!out) {
  console.error('make-snapshot.ts: usage: node src/integrations/make-snapshot.ts <out-file>');
  process.exit(2);
}
try {
  // Hash seed 0 and the global scope as the `js` module: what the browser worker (src/client/worker.ts) restores with.
  const runner = await createNodeRunner(undefined, 0);
  await writeFile(out, runner.snapshot);
  process.exit(0);
} catch (error) {
  console.error(`make-snapshot.ts: cannot make the runner snapshot: ${(error as Error).message}`);
  process.exit(1);
}
