/**
 * The verifier's general leak detector (verify.ts `secondRun`): second runs go in the reverse
 * order of first runs, so state that one block leaves in an interpreter and the reset does not
 * know about shows as a difference between the two runs of the block it reaches, and two runs in
 * fresh interpreters name it a leak. Real Pyodide on one worker, real MDX.
 */
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import { verifyFiles, type BlockResult } from '../../src/examples/verify.ts';
import { usePoolFixture } from '../support/pool-fixture.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/leaks/unknown-leak.mdx', import.meta.url));

// One worker: every block runs on the same interpreter, after the block before it.
const fixture = usePoolFixture('verify-leaks');

// The leak outlives the reset by design: start each test from fresh interpreters of both seeds.
afterEach(async () => {
  await fixture.pool.run('pass\n', { fresh: true });
  await fixture.pool.run('pass\n', { fresh: true, alternateSeed: true });
});

const byCase = (results: BlockResult[]) => new Map(results.map((r) => [/^# case: (\S+)/.exec(r.block.code)![1]!, r]));

test.each([
  { order: 'source order', reverse: false, ran: 'before', hint: 'run with --jobs 1 to find' },
  { order: 'reverse order', reverse: true, ran: 'after', hint: 'run with --jobs 1 --reverse to find' },
])('a leak the reset misses fails the block it reaches, in $order, and --update records nothing', async ({ reverse, ran, hint }) => {
  const file = join(await mkdtemp(join(fixture.work, 'case-')), 'unknown-leak.mdx');
  await copyFile(FIXTURE, file);
  const before = await readFile(file, 'utf8');
  const [report] = await verifyFiles([file], { runner: fixture.pool, update: true, reverse });
  const results = byCase(report!.results);
  expect(results.get('polluter')!.status).toBe('passed');
  const probe = results.get('probe')!;
  expect(probe.status).toBe('failed');
  expect(probe.reason).toContain(`state leaked into this block from a block that ran ${ran} it in the same interpreter`);
  expect(probe.reason).toContain(hint);
  // The diff shows the polluted output against the fresh one.
  expect(probe.diff).toContain('-{');
  expect(probe.diff).toContain('+{"a": 1}');
  expect(report!.written).toBe(false);
  expect(await readFile(file, 'utf8')).toBe(before);
});

test('a block whose output varies by itself is still called nondeterministic, not a leak', async () => {
  const file = join(await mkdtemp(join(fixture.work, 'case-')), 'random.mdx');
  await writeFile(file, '```python\nimport os\nprint(os.urandom(8).hex())\n```\n\n```output\nx\n```\n');
  const [report] = await verifyFiles([file], { runner: fixture.pool });
  expect(report!.results[0]!.status).toBe('failed');
  expect(report!.results[0]!.reason).toMatch(/^output differs between two runs \(nondeterministic\)/);
});
