/**
 * No silent pass (issue 9, part 2): real Pyodide (a RunnerPool), real files (temporary copies of
 * tests/fixtures/no-silent-pass), the real CLI for `--list`.
 *
 * - `[...]` is literal unless the block opts in (`ellipsis` or `nondeterministic`): Python prints
 *   it too, for a list that contains itself, and such an output must not match anything.
 * - `--update` never creates a wildcard: a block that opts in and prints a literal `[...]` fails.
 * - Every fence whose language names Python is run (`python`, `py`, `python3`) or is an error.
 */
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { verifyFiles } from '../../src/examples/verify.ts';
import { runVerify } from '../support/verify-cli.ts';
import { usePoolFixture } from '../support/pool-fixture.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/no-silent-pass/', import.meta.url));
const FENCE = '```';

// One worker: every block runs on the same interpreter, after the block before it.
const fixture = usePoolFixture('verify-no-silent-pass');

/** A fresh copy of a fixture (or of given text under that name) in its own folder. */
async function copyOf(name: string, text?: string): Promise<string> {
  const dir = await mkdtemp(join(fixture.work, 'case-'));
  const file = join(dir, basename(name));
  if (text === undefined) await copyFile(join(FIXTURES, name), file);
  else await writeFile(file, text);
  return file;
}

const verify = async (file: string, update = false) => (await verifyFiles([file], { runner: fixture.pool, update }))[0]!;

/** A page with one block printing a list that contains itself, with `meta` on its fence. */
const selfList = (meta: string, first = 1, recorded?: string) =>
  [
    `${FENCE}python${meta ? ' ' + meta : ''}`,
    `a = [${first}]`,
    'a.append(a)',
    'print(a)',
    FENCE,
    ...(recorded === undefined ? [] : ['', `${FENCE}output`, recorded, FENCE]),
    '',
  ].join('\n');

describe('the ellipsis marker', () => {
  test('a recorded [1, [...]] is literal: changing the code to print [2, [...]] drifts', async () => {
    const file = await copyOf('self-list.mdx');
    const recorded = await verify(file, true);
    expect(recorded.results.map((r) => r.status)).toEqual(['updated']);
    const text = await readFile(file, 'utf8');
    expect(text).toContain(`${FENCE}output\n[1, [...]]\n${FENCE}`);
    expect((await verify(file)).results.map((r) => r.status)).toEqual(['passed']);

    await writeFile(file, text.replace('a = [1]', 'a = [2]'));
    const [drift] = (await verify(file)).results;
    expect(drift!.status).toBe('drifted');
    expect(drift!.diff).toContain('\n-[1, [...]]\n+[2, [...]]\n');

    // What a wildcard would have let through: the recorded [1, [...]] read as "[1, " + anything + "]".
    await writeFile(file, text.replace('a.append(a)', 'a.append("no longer itself")'));
    const [changed] = (await verify(file)).results;
    expect(changed!.status).toBe('drifted');
    expect(changed!.diff).toContain("\n-[1, [...]]\n+[1, 'no longer itself']\n");
  });

  test('a hand-written [...] without the opt-in matches only itself', async () => {
    const file = await copyOf('bare.mdx', selfList('', 1, '[...]'));
    const [result] = (await verify(file)).results;
    expect(result!.status).toBe('drifted');
    expect(result!.diff).toContain('\n-[...]\n+[1, [...]]\n');
  });

  test.each(['ellipsis', 'nondeterministic'])(
    'with %s, a block printing a literal [...] fails with the fix, and --update records nothing',
    async (meta) => {
      for (const recorded of [undefined, '[1, [...]]', '[...]']) {
        const source = selfList(meta, 1, recorded);
        const file = await copyOf('opted-in.mdx', source);
        const report = await verify(file, true);
        expect({ recorded, status: report.results[0]!.status, written: report.written }).toEqual({
          recorded,
          status: 'failed',
          written: false,
        });
        expect(report.results[0]!.reason).toBe(
          "printed the literal text [...] (output line 1), which cannot be recorded: in this block's output fence [...] is a wildcard " +
            '(the ellipsis or nondeterministic meta). Remove that meta so [...] is compared literally, or change the code so that it does not print [...]',
        );
        expect(await readFile(file, 'utf8')).toBe(source);
      }
    },
  );

  test('with ellipsis, the block still runs twice and [...] covers what varies between the runs', async () => {
    const code = ['import time', 'print("now:", time.time())'];
    const marked = [`${FENCE}python ellipsis`, ...code, FENCE, '', `${FENCE}output`, 'now: [...]', FENCE, ''].join('\n');
    expect((await verify(await copyOf('marked.mdx', marked))).results.map((r) => r.status)).toEqual(['passed']);
    // Without the opt-in, the same recording is literal: the block drifts (or, as time varies, is nondeterministic).
    const bare = marked.replace(' ellipsis', '');
    const [result] = (await verify(await copyOf('bare.mdx', bare))).results;
    expect(result!.status).toBe('failed');
    expect(result!.reason).toContain('output differs between two runs (nondeterministic)');
  });
});

describe('fence languages', () => {
  test('py and python3 fences run like python: recorded by --update, then passing', async () => {
    const file = await copyOf('aliases.mdx');
    const first = await verify(file, true);
    expect(first.problems).toEqual([]);
    expect(first.results.map((r) => [r.block.line, r.status])).toEqual([
      [8, 'updated'],
      [12, 'updated'],
    ]);
    const text = await readFile(file, 'utf8');
    expect(text).toContain(`${FENCE}py\nprint("py runs")\n${FENCE}\n\n${FENCE}output\npy runs\n${FENCE}\n`);
    expect(text).toContain(`${FENCE}output\npython3 runs (3, 14)\n${FENCE}\n`);
    expect((await verify(file)).results.map((r) => r.status)).toEqual(['passed', 'passed']);
  });

  test('a fence that names Python but is not run is an error at its line; the file runs nothing and is not written', async () => {
    const file = await copyOf('languages.mdx');
    const before = await readFile(file, 'utf8');
    const report = await verify(file, true);
    expect(report.problems.map((p) => `${p.line}: ${p.message.split(':')[0]}`)).toEqual([
      '16: fence language "Python" is not run',
      '20: fence language "python{1}" is not run',
      '24: fence language "pycon" (an interactive session with >>> prompts) is not verified',
      '29: fence language "ipython" (an interactive session with >>> prompts) is not verified',
      '38: fence language "Output" is not an output fence',
    ]);
    expect(report.results.map((r) => r.status)).toEqual(['skipped', 'skipped']);
    expect(report.written).toBe(false);
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  test('the CLI reports each one as file:line: error and exits 1; --list shows every fence with its state', async () => {
    const file = await copyOf('languages.mdx');
    const r = await runVerify(['--no-cache', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `${file}:16: error: fence language "Python" is not run: fence languages are case-sensitive; write ${FENCE}python\n`,
    );
    expect(r.stdout).toContain(`${file}:24: error: fence language "pycon" (an interactive session with >>> prompts) is not verified: `);
    const list = await runVerify(['--list', file]);
    expect(list.code).toBe(1);
    expect(
      list.stdout
        .trimEnd()
        .split('\n')
        .map((line) => line.replace(/(  error: [^:]*):.*/, '$1')),
    ).toEqual([
      `${file}:8  not run: the file has errors; fix them first  │ print("runs")`,
      `${file}:12  output of line 8  │ runs`,
      `${file}:16  error: fence language "Python" is not run`,
      `${file}:20  error: fence language "python{1}" is not run`,
      `${file}:24  error: fence language "pycon" (an interactive session with >>> prompts) is not verified`,
      `${file}:29  error: fence language "ipython" (an interactive session with >>> prompts) is not verified`,
      `${file}:34  not run: threads cannot start in WebAssembly  │ import threading`,
      `${file}:38  error: fence language "Output" is not an output fence`,
      `${file}:42  not Python: sh  │ python3 example.py`,
      `${file}:46  not Python: console  │ $ python3 example.py`,
    ]);
  });
});
