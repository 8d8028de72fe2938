/**
 * `npm run verify -- --shard k/n` end to end: the real CLI and real Pyodide on real files. Two
 * shards of a three-page tree verify every page exactly once between them, split by block count;
 * a bad value is a usage error (exit 2).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { JsonBlock } from '../../src/examples/report.ts';
import { runVerify } from '../support/verify-cli.ts';

const FENCE = '```';
/** A page whose blocks print their names; outputs recorded by hand, as `python3` prints them. */
const page = (...names: string[]) =>
  ['---\ntitle: Shard\n---\n', ...names.map((n) => `${FENCE}python\nprint("${n}")\n${FENCE}\n\n${FENCE}output\n${n}\n${FENCE}\n`)].join(
    '\n',
  );

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'verify-shard-'));
  await writeFile(join(work, 'a.mdx'), page('a1', 'a2'));
  await writeFile(join(work, 'b.mdx'), page('b1'));
  await writeFile(join(work, 'c.mdx'), page('c1'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

test('two shards verify every page once between them, balanced by blocks (a: 2 blocks; b and c: 1 each)', async () => {
  const shards = [];
  for (const k of [1, 2]) {
    const run = await runVerify(['--shard', `${k}/2`, '--reporter', 'json', '--no-cache', work]);
    expect(run.code, run.stderr).toBe(0);
    const blocks = (JSON.parse(run.stdout) as { blocks: JsonBlock[] }).blocks;
    expect(blocks.every((b) => b.status === 'passed')).toBe(true);
    shards.push(blocks.map((b) => `${b.file.slice(work.length + 1)}:${b.line}`));
  }
  expect(shards).toEqual([
    ['a.mdx:5', 'a.mdx:13'],
    ['b.mdx:5', 'c.mdx:5'],
  ]);
}, 120_000);

test.each(['0/2', '3/2', '2', 'x/y'])('--shard %s is a usage error (exit 2) that names the form', async (value) => {
  const run = await runVerify(['--shard', value, work]);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain(`verify: --shard takes k/n, two whole numbers with 1 ≤ k ≤ n (e.g. --shard 2/4), not "${value}"`);
});
