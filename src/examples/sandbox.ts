/**
 * The sandbox process: hosts the runner pool (pool.ts, one worker thread per interpreter) apart
 * from the verifier, which reads and writes content and cache files and prints the report.
 * Started by sandbox-pool.ts under Node's permission model
 * (https://nodejs.org/api/permissions.html): it may read the project's files and start worker
 * threads, nothing else (no file writes, no child processes, no native addons), and it cannot
 * compile code from strings (`--disallow-code-generation-from-strings`), so an example that finds
 * a way out of Pyodide's `js` module still cannot write on the host or run a program.
 *
 * Output is decoded and results are built here, in the main thread, which examples (running in
 * the worker threads) cannot reach; the verifier judges them in its own process.
 */
import { RunnerPool } from './pool.ts';
import type { FromSandbox, ToSandbox } from './sandbox-protocol.ts';

const send = (message: FromSandbox) => process.send!(message);
let pool: RunnerPool | null = null;

process.on('message', async (message: ToSandbox) => {
  if (message.type === 'create') {
    try {
      // IPC deserializes a Uint8Array as a view into a larger buffer at any offset; Pyodide reads
      // a snapshot through 32-bit views, which need an offset that is a multiple of 4: copy.
      const { snapshot, alternateSnapshot } = message.options;
      pool = await RunnerPool.create({ ...message.options, snapshot: snapshot?.slice(), alternateSnapshot: alternateSnapshot?.slice() });
      send({
        type: 'ready',
        size: pool.size,
        snapshot: message.wantSnapshots ? pool.snapshot : undefined,
        alternateSnapshot: message.wantSnapshots ? pool.alternateSnapshot : undefined,
      });
    } catch (error) {
      send({ type: 'error', message: String((error as Error)?.stack ?? error) });
    }
  } else if (message.type === 'run') {
    const { id } = message;
    if (!pool) return send({ type: 'error', id, message: 'the sandbox has no pool yet' });
    pool.run(message.code, message.options).then(
      (result) => send({ type: 'result', id, result, replacements: pool!.replacements }),
      (error: unknown) => send({ type: 'error', id, message: String((error as Error)?.message ?? error) }),
    );
  } else if (message.type === 'close') {
    await pool?.close();
    process.disconnect();
  }
});

// The verifier went away (it exited, or was killed): nothing is left to run for.
process.on('disconnect', () => process.exit(0));
