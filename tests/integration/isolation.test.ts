/**
 * Examples are untrusted: a block must not be able to change another block's result or the
 * report, end the verifier or write on the host. The attacks of tests/fixtures/isolation run
 * through the real CLI (so through the sandbox process, sandbox.ts, and the locked-down workers,
 * lockdown.ts), with one worker so that every probe runs right after its attack.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { SandboxedPool } from '../../src/examples/sandbox-pool.ts';
import { ROOT, runVerify, type CliResult } from '../support/verify-cli.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/isolation/attacks.mdx', import.meta.url));
/** Inside the project, where the sandbox may read: a mount there is the strongest attempt. */
const work = join(ROOT, 'node_modules', '.cache', `isolation-test-${process.pid}`);
const target = join(work, 'host-target');

let cli: CliResult;
let page: string;

beforeAll(async () => {
  await mkdir(target, { recursive: true });
  page = join(work, 'attacks.mdx');
  await writeFile(page, (await readFile(FIXTURE, 'utf8')).replaceAll('HOST_TARGET', target));
  cli = await runVerify(['--no-cache', '--jobs', '1', '--reporter', 'json', page]);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface JsonBlock {
  line: number;
  status: string;
  actual?: { text: string };
}

const blocks = (): Map<string, JsonBlock> => {
  const report = JSON.parse(cli.stdout) as { blocks: JsonBlock[] };
  return new Map(report.blocks.map((b) => [caseAt(b.line), b]));
};

let lines: string[] = [];
const caseAt = (line: number) => {
  if (!lines.length) throw new Error('page not read');
  return /^# case: (\S+)/.exec(lines[line] ?? '')![1]!;
};

beforeAll(async () => {
  lines = (await readFile(page, 'utf8')).split('\n');
});

test('the verifier survives every attack and its JSON report stays one valid document', () => {
  expect(cli.code).toBe(1); // probe-decoder's false claim drifts
  expect(() => JSON.parse(cli.stdout)).not.toThrow();
  expect(cli.stdout).not.toContain('999 passed');
  expect(cli.stderr).not.toContain('999 passed');
});

test('a replaced TextDecoder does not make a false claim pass', () => {
  const probe = blocks().get('probe-decoder')!;
  expect(probe.status).toBe('drifted');
  expect(probe.actual?.text).toBe('0.30000000000000004');
});

test('every attack ran to its end, and every other probe passed', () => {
  const all = blocks();
  for (const name of ['attack-decoder', 'attack-report', 'attack-kill', 'attack-late', 'attack-files', 'probe-late', 'probe-after'])
    expect([name, all.get(name)?.status]).toEqual([name, 'passed']);
});

test('no file was written on the host', async () => {
  expect(await readdir(target)).toEqual([]);
});

test('a sandbox that dies is the fault of the blocks it was running, and the next run gets a new sandbox', async () => {
  const pool = await SandboxedPool.create({ size: 1 });
  try {
    const running = pool.run('while True:\n    pass\n', { timeoutMs: 60_000 });
    // Wait until the block runs, then end the sandbox from outside (as a crash would).
    await new Promise((resolve) => setTimeout(resolve, 500));
    process.kill(pool.pid!, 'SIGKILL');
    const r = await running;
    expect(r.fault).toMatch(/sandbox process died \(SIGKILL\)/);
    const next = await pool.run('print("next")\n');
    expect(next.chunks.map((c) => c.text).join('')).toBe('next\n');
    expect(pool.restarts).toBe(1);
  } finally {
    await pool.close();
  }
});
