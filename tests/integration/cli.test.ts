/**
 * The verify CLI end to end: the real script, real Pyodide, real files (temporary copies of the
 * fixtures in tests/fixtures/cli). Outputs are recorded by `--update` itself and compared with
 * what `python3 example.py` prints (examples.recorded.mdx, written by hand).
 */
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { lastLine, runVerify } from '../support/verify-cli.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/cli/', import.meta.url));
const UPDATE_COMMAND = 'npm run verify -- --update';

/** Lines of the python fences in examples.mdx (and in the recorded file, where outputs shift them). */
const BARE = { greet: 10, divide: 20, exit: 32, osExit: 45, norun: 55 };
const RECORDED = { greet: 10, greetOutputFence: 18, divide: 25, exit: 49, osExit: 67, norun: 81 };

/** Run `scripts/verify.ts` from the repository root. */
const verify = (...args: string[]) => runVerify(args);

/** stdout without the timing line, which is the only line allowed to differ between runs. */
const withoutTiming = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => !/^finished in \d+(\.\d+)? s$/.test(line))
    .join('\n');

let work: string;
let bare: string;
let recorded: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'verify-cli-'));
  bare = await readFile(join(FIXTURES, 'examples.mdx'), 'utf8');
  recorded = await readFile(join(FIXTURES, 'examples.recorded.mdx'), 'utf8');
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A fresh temporary copy of a fixture (or of given text) in its own folder. */
async function copyOf(name: string, text?: string): Promise<string> {
  const dir = await mkdtemp(join(work, 'case-'));
  const file = join(dir, name.replace(/\.recorded\.mdx$/, '.mdx'));
  if (text === undefined) await copyFile(join(FIXTURES, name), file);
  else await writeFile(file, text);
  return file;
}

describe('the fixture', () => {
  test('has its python fences on the lines the tests name', () => {
    const fenceLines = (text: string) => text.split('\n').flatMap((line, i) => (/^\s*```python/.test(line) ? [i + 1] : []));
    expect(fenceLines(bare)).toEqual([BARE.greet, BARE.divide, BARE.exit, BARE.osExit, BARE.norun]);
    expect(fenceLines(recorded)).toEqual([RECORDED.greet, RECORDED.divide, RECORDED.exit, RECORDED.osExit, RECORDED.norun]);
    expect(recorded.split('\n').slice(RECORDED.greetOutputFence - 1, RECORDED.greetOutputFence + 1)).toEqual([
      '```output',
      'Hello, world!',
    ]);
  });
});

describe('recording and verifying', () => {
  test('fails on blocks without an output fence and tells how to record them', async () => {
    const file = await copyOf('examples.mdx');
    const r = await verify(file);
    expect(r.code).toBe(1);
    for (const line of [BARE.greet, BARE.divide, BARE.exit, BARE.osExit]) {
      expect(r.stdout).toContain(`${file}:${line}: python block has no output fence after it; record one with: ${UPDATE_COMMAND} ${file}`);
    }
    expect(r.stdout).not.toContain(`${file}:${BARE.norun}:`);
    expect(r.stdout).toContain(`✗ ${file}  0 passed, 4 failed, 1 skipped`);
    expect(lastLine(r.stdout)).toBe('0 passed, 4 failed, 1 skipped');
    // Checking never writes.
    expect(await readFile(file, 'utf8')).toBe(bare);
  });

  test('--update inserts output fences holding what python3 example.py prints, and nothing else changes', async () => {
    const file = await copyOf('examples.mdx');
    const r = await verify('--update', file);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`re-recorded output fences in ${file}`);
    expect(lastLine(r.stdout)).toBe('0 passed, 0 failed, 1 skipped, 4 updated');
    const text = await readFile(file, 'utf8');
    // The hand-written expectation: CPython's stdout/stderr interleaving, traceback form and
    // exit statuses (an uncaught exception 1, sys.exit("message") 1, os._exit(3) 3 with the
    // partial line lost), inserted after each python fence with the block's indentation.
    expect(text).toBe(recorded);
  });

  test('passes with exit status 0 and a summary line when every recorded output matches', async () => {
    const file = await copyOf('examples.recorded.mdx');
    const r = await verify(file);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`✓ ${file}  4 passed, 1 skipped`);
    expect(lastLine(r.stdout)).toBe('4 passed, 0 failed, 1 skipped');
    expect(r.stdout).not.toContain('re-recorded');
    expect(await readFile(file, 'utf8')).toBe(recorded);
  });

  test('--update leaves a file whose outputs all match untouched', async () => {
    const file = await copyOf('examples.recorded.mdx');
    const before = await stat(file);
    const r = await verify('--update', file);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('re-recorded');
    expect(lastLine(r.stdout)).toBe('4 passed, 0 failed, 1 skipped');
    expect(await readFile(file, 'utf8')).toBe(recorded);
    expect((await stat(file)).mtimeMs).toBe(before.mtimeMs);
  });

  test('reports one changed character as drift at file:line with a unified diff, and --update restores the file byte for byte', async () => {
    const drifted = recorded.replace('Hello, world!\ndone\n```', 'Hello, World!\ndone\n```');
    expect(drifted).not.toBe(recorded);
    const file = await copyOf('examples.mdx', drifted);

    const check = await verify(file);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(
      `${file}:${RECORDED.greet}: recorded output drifted (output fence at line ${RECORDED.greetOutputFence}); re-record with: ${UPDATE_COMMAND} ${file}`,
    );
    const lines = check.stdout.split('\n');
    expect(lines).toContain(`--- ${file}:${RECORDED.greet}\trecorded`);
    expect(lines).toContain(`+++ ${file}:${RECORDED.greet}\tactual`);
    expect(lines).toContain('-Hello, World!');
    expect(lines).toContain('+Hello, world!');
    expect(lines).toContain(' done');
    expect(lines.filter((l) => /^[-+][^-+]/.test(l))).toEqual(['-Hello, World!', '+Hello, world!']);
    expect(lastLine(check.stdout)).toBe('3 passed, 1 failed, 1 skipped');
    expect(await readFile(file, 'utf8')).toBe(drifted);

    const update = await verify('--update', file);
    expect(update.code).toBe(0);
    expect(update.stdout).toContain(`re-recorded output fences in ${file}`);
    expect(lastLine(update.stdout)).toBe('3 passed, 0 failed, 1 skipped, 1 updated');
    expect(await readFile(file, 'utf8')).toBe(recorded);
  });

  test('reports a changed exit status as drift in the diff', async () => {
    const drifted = recorded.replace('```output exit=3', '```output exit=4');
    const file = await copyOf('examples.mdx', drifted);
    const r = await verify(file);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${file}:${RECORDED.osExit}: recorded output drifted`);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('-[exit status 4]');
    expect(lines).toContain('+[exit status 3]');
  });

  test('verifies a block that prints a carriage return right after --update recorded it', async () => {
    // A progress line: print("50%\r100%") writes the bytes 50%, CR, 100%, LF.
    const file = await copyOf('progress.mdx', '# Progress\n\n```python\nprint("50%\\r100%")\n```\n');
    const update = await verify('--update', file);
    expect(update.code).toBe(0);
    const check = await verify(file);
    expect(check.stdout).not.toContain('drifted');
    expect(check.code).toBe(0);
  });

  test('keeps CRLF line endings when recording', async () => {
    const file = await copyOf('examples.mdx', bare.replace(/\n/g, '\r\n'));
    const r = await verify('--update', file);
    expect(r.code).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(recorded.replace(/\n/g, '\r\n'));
  });
});

describe('--list', () => {
  test('prints every fence with run, not run: reason, or the block it records, without loading Pyodide', async () => {
    const file = await copyOf('examples.recorded.mdx');
    const started = performance.now();
    const r = await verify('--list', file);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('Pyodide');
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      `${file}:${RECORDED.greet}  run  │ def greet(name):`,
      `${file}:${RECORDED.greetOutputFence}  output of line ${RECORDED.greet}  │ Hello, world!`,
      `${file}:${RECORDED.divide}  run  │ def divide(a, b):`,
      `${file}:33  output of line ${RECORDED.divide}  │ before`,
      `${file}:${RECORDED.exit}  run  │ import sys`,
      `${file}:58  output of line ${RECORDED.exit}  │ finally runs first`,
      `${file}:${RECORDED.osExit}  run  │ import os`,
      `${file}:75  output of line ${RECORDED.osExit}  │ kept`,
      `${file}:${RECORDED.norun}  not run: threads cannot start in WebAssembly  │ import threading`,
    ]);
    // Listing parses only; a Pyodide load alone takes seconds.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  test('marks blocks that have no output fence yet', async () => {
    const file = await copyOf('examples.mdx');
    const r = await verify('--list', file);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${file}:${BARE.greet}  run (no output fence yet)  │ def greet(name):`);
  });

  test('lists content problems and exits 1', async () => {
    const file = await copyOf('bad-meta.mdx');
    const r = await verify('--list', file);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${file}:7  error: unknown python fence meta "colour"`);
    expect(r.stdout).toContain(`${file}:13  not run: the file has errors; fix them first  │ print("not run either")`);
  });
});

describe('usage errors and content errors', () => {
  test('exits 2 with the usage text for an unknown flag', async () => {
    const r = await verify('--bogus');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('verify: ');
    expect(r.stderr).toContain("'--bogus'");
    expect(r.stderr).toContain('Usage: npm run verify -- [options] [path|glob ...]');
    expect(r.stdout).toBe('');
  });

  test('exits 2 for a path that matches no content file', async () => {
    const missing = join(work, 'no-such-dir', 'nothing.mdx');
    const r = await verify(missing);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`verify: no content files match "${missing}"`);
    expect(r.stdout).toBe('');
  });

  test('exits 2 for a folder without content files', async () => {
    const empty = await mkdtemp(join(work, 'empty-'));
    const r = await verify(empty);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no content files match "${empty}"`);
  });

  test('exits 1 naming file:line for an unknown meta key, and --update does not rewrite that file', async () => {
    const file = await copyOf('bad-meta.mdx');
    const original = await readFile(file, 'utf8');
    const check = await verify(file);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`${file}:7: error: unknown python fence meta "colour"`);
    expect(lastLine(check.stdout)).toBe('0 passed, 0 failed, 1 skipped, 1 error');

    const update = await verify('--update', file);
    expect(update.code).toBe(1);
    expect(update.stdout).toContain(`${file}:7: error: unknown python fence meta "colour"`);
    expect(update.stdout).not.toContain('re-recorded');
    expect(await readFile(file, 'utf8')).toBe(original);
  });
});

describe('determinism', () => {
  test('two runs and a --reverse run print the same report', async () => {
    const dir = await mkdtemp(join(work, 'det-'));
    await writeFile(join(dir, 'a.mdx'), recorded.replace('Hello, world!\ndone\n```', 'Hello, World!\ndone\n```'));
    await writeFile(join(dir, 'b.mdx'), recorded);
    await writeFile(join(dir, 'c.mdx'), bare);
    // --no-cache: each run must execute every block, or the comparison proves nothing.
    const first = await verify('--no-cache', dir);
    const second = await verify('--no-cache', dir);
    const reversed = await verify('--no-cache', '--reverse', dir);
    for (const r of [first, second, reversed]) expect(r.code).toBe(1);
    expect(first.stdout).toMatch(/^finished in \d+\.\d s$/m);
    expect(lastLine(first.stdout)).toBe('7 passed, 5 failed, 3 skipped');
    // The report lists files in sorted order whatever the run order.
    expect(first.stdout.indexOf(join(dir, 'a.mdx'))).toBeLessThan(first.stdout.indexOf(join(dir, 'b.mdx')));
    expect(withoutTiming(second.stdout)).toBe(withoutTiming(first.stdout));
    expect(withoutTiming(reversed.stdout)).toBe(withoutTiming(first.stdout));
  });
});
