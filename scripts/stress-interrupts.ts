/**
 * `npm run stress:interrupts` — a stress run, not a test: how many runaway loops the time limit
 * interrupts, and how many it has to kill because the interrupt was lost.
 *
 * Runs `--runs N` (default 300) copies of a `try`/`finally` loop on one worker, each with a time
 * limit of 5–24 ms, so the pool's SIGINT lands at every point of the interpreter's periodic signal
 * check. Every loop must end in KeyboardInterrupt (exit status 130) with its `finally` line; a
 * killed one means a lost interrupt (before interrupt-buffer.ts: 2 and 7 of 300 in two runs). Exits 1 if any was
 * killed. Prints one line per killed loop and a summary.
 */
import { parseArgs } from 'node:util';
import { RunnerPool } from '../src/examples/pool.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '300' } } });
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error('stress:interrupts: --runs takes a whole number ≥ 1');
  process.exit(2);
}
const LOOP = 'try:\n    print("looping", flush=True)\n    while True:\n        pass\nfinally:\n    print("finally ran")\n';

const pool = await RunnerPool.create({ size: 1 });
const counts = { interrupted: 0, killed: 0, other: 0 };
const started = performance.now();
for (let i = 0; i < RUNS; i++) {
  const timeoutMs = 5 + (i % 20);
  // A grace this wide never kills a loop whose interrupt was taken (its finally takes < 1 ms).
  const result = await pool.run(LOOP, { timeoutMs, graceMs: 2000, undeliveredMs: 2000 });
  const output = result.chunks.map((chunk) => chunk.text).join('');
  if (result.killed) {
    counts.killed++;
    console.log(`run ${i + 1} (limit ${timeoutMs} ms): killed, interrupt ${result.killReason === 'delivered' ? 'lost' : 'never taken'}`);
  } else if (result.exitStatus === 130 && output.includes('finally ran\n')) counts.interrupted++;
  else {
    counts.other++;
    console.log(`run ${i + 1} (limit ${timeoutMs} ms): exit status ${result.exitStatus}, output ${JSON.stringify(output)}`);
  }
  if ((i + 1) % 100 === 0) console.error(`… ${i + 1}/${RUNS}`);
}
await pool.close();
console.log(
  `${RUNS} loops, limits 5–24 ms: ${counts.interrupted} interrupted, ${counts.killed} killed, ${counts.other} other; ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
process.exit(counts.killed || counts.other ? 1 : 0);
