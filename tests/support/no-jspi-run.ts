/**
 * Child-process script for tests/integration/no-jspi.test.ts: removes WebAssembly JavaScript
 * Promise Integration from this process (as in a browser without JSPI), then runs each block
 * given as a JSON array on stdin with the Node runner and prints one JSON array of
 * `{ stdout, stderr, exitStatus, fault }` on stdout. Must stay a separate process: the removal
 * is global and would leak into other tests.
 */
import { text } from 'node:stream/consumers';

delete (WebAssembly as { Suspending?: unknown }).Suspending;
delete (WebAssembly as { Suspender?: unknown }).Suspender;
delete (WebAssembly as { promising?: unknown }).promising;

const { createNodeRunner } = await import('../../src/examples/runner-node.ts');
const { STACK_SWITCHING } = await import('../../src/examples/jspi.ts');
const blocks = JSON.parse(await text(process.stdin)) as string[];
const runner = await createNodeRunner();
const results = [];
for (const code of blocks) {
  const r = await runner.run(code);
  const of = (stream: string) =>
    r.chunks
      .filter((c) => c.stream === stream)
      .map((c) => c.text)
      .join('');
  results.push({ stdout: of('stdout'), stderr: of('stderr'), exitStatus: r.exitStatus, fault: r.fault });
}
process.stdout.write(JSON.stringify({ stackSwitching: STACK_SWITCHING, results }));
