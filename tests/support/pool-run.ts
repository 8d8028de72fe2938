/**
 * Child-process script for tests that must see everything a {@link RunnerPool} prints: runs the
 * Python blocks given as a JSON array of strings on stdin, in order, on a pool of one worker in
 * this process, and prints one JSON object on stdout: `results`, per block `{ text, exitStatus,
 * fault, discarded }` (text: stdout and stderr in the order written), and `replacements` (workers
 * the pool started to replace killed, crashed or failed ones). A separate process because Node
 * writes some errors of a worker thread straight to the process's stderr (file descriptor 2),
 * past `process.stderr` and the worker's piped stderr, where a test in the same process cannot
 * see them.
 */
import { text } from 'node:stream/consumers';
import { RunnerPool } from '../../src/examples/pool.ts';

const blocks = JSON.parse(await text(process.stdin)) as string[];
const pool = await RunnerPool.create({ size: 1 });
const results = [];
for (const code of blocks) {
  const r = await pool.run(code, { timeoutMs: 30_000 });
  results.push({ text: r.chunks.map((c) => c.text).join(''), exitStatus: r.exitStatus, fault: r.fault, discarded: r.discarded });
}
const replacements = pool.replacements;
await pool.close();
process.stdout.write(JSON.stringify({ results, replacements }));
