/**
 * Exercises are graded from their check having run to its end (src/components/exercise-check.ts,
 * grade.ts), through the real runner (Pyodide, the browser's runner code) and every exercise of
 * content/: each run is composed and filtered as the page does. The solution passes; the starter,
 * `sys.exit(0)` or `os._exit(0)` at the top, and the code replaced with the solution's own
 * `PASS: …` line do not.
 */
import { readdir, readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, test } from 'vitest';
import { composeCheckedRun, newCheckToken, TokenFilter } from '../../src/components/exercise-check.ts';
import { gradeRun, splitExercise } from '../../src/components/grade.ts';
import { pairExamples, parseMdx } from '../../src/examples/extract.ts';
import { createNodeRunner } from '../../src/examples/runner-node.ts';
import type { ExampleRunner } from '../../src/examples/runner.ts';

const CONTENT = new URL('../../content/', import.meta.url);

/** Starter and solution of every exercise: consecutive examples ending with the same check. */
async function exercises(): Promise<{ where: string; starter: string; solution: string }[]> {
  const found: { where: string; starter: string; solution: string }[] = [];
  for (const name of (await readdir(CONTENT)).filter((n) => n.endsWith('.mdx')).sort()) {
    const pairs = pairExamples(parseMdx(await readFile(new URL(name, CONTENT), 'utf8'))).pairs;
    for (const [i, pair] of pairs.entries()) {
      const next = pairs[i + 1];
      const check = splitExercise(pair.python.value)?.check;
      if (check && next && splitExercise(next.python.value)?.check === check) {
        found.push({
          where: `content/${name}:${pair.python.position?.start.line}`,
          starter: pair.python.value,
          solution: next.python.value,
        });
      }
    }
  }
  return found;
}

let runner: ExampleRunner;
beforeAll(async () => {
  runner = await createNodeRunner();
}, 120_000);

/** Run `edited` as the page runs an exercise whose built code is `original`, and grade it. */
async function graded(edited: string, original: string) {
  const token = newCheckToken();
  const run = composeCheckedRun(edited, original, token)!;
  const filter = new TokenFilter(token);
  const result = await runner.run(run.code);
  let stdout = '';
  let stderr = '';
  for (const chunk of result.chunks) {
    if (chunk.stream === 'stdout') stdout += filter.push(chunk.text);
    else stderr += chunk.text;
  }
  stdout += filter.end();
  const outcome = { kind: 'done' as const, interrupted: false, wallMs: 0, result };
  return { stdout, grade: gradeRun({ outcome, stdout, stderr, checkCompleted: filter.found, checkReplaced: run.checkReplaced }) };
}

const all = await exercises();

test('content has exercises to check', () => {
  expect(all.length).toBeGreaterThanOrEqual(2);
});

describe.each(all.map((e) => [e.where, e] as const))('exercise at %s', (_, { starter, solution }) => {
  test('the solution passes, and the token never shows in its output', async () => {
    const { stdout, grade } = await graded(solution, starter);
    expect(grade).toEqual({ kind: 'pass', message: expect.stringMatching(/^Pass: \S/) });
    expect(stdout).not.toContain('\u2063');
    expect(stdout.trimEnd().split('\n').at(-1)).toMatch(/^PASS: /);
  });

  test("the starter fails with the check's message", async () => {
    expect((await graded(starter, starter)).grade).toEqual({ kind: 'fail', message: expect.stringMatching(/^Not yet: (?!the run ended)/) });
  });

  test('sys.exit(0) or os._exit(0) at the top of the solution does not pass', async () => {
    for (const exit of ['import sys; sys.exit(0)\n', 'import os; os._exit(0)\n']) {
      const { grade } = await graded(exit + solution, starter);
      expect(grade).toEqual({
        kind: 'fail',
        message:
          'Not yet: the run ended with exit status 0 before the check could finish (something ended the program early, such as sys.exit(0) or os._exit(0)).',
      });
    }
  });

  test('the code replaced with the PASS line the solution prints does not pass', async () => {
    const pass = solution.split('\n').findLast((line) => line.startsWith('print("PASS'))!;
    expect(pass).toBeDefined();
    expect((await graded(pass, starter)).grade.kind).toBe('fail');
    // The check kept but ended early by the reader's code, before it: still no pass.
    const parts = splitExercise(solution)!;
    expect((await graded(`${parts.starter}${pass}\nraise SystemExit(0)\n${parts.check}`, starter)).grade.kind).toBe('fail');
  });

  test('a check edited to pass is replaced by the original (and the grade says so)', async () => {
    const parts = splitExercise(starter)!;
    const { grade } = await graded(
      `${parts.starter}# ---- check: runs after your code; leave it as it is ----\nprint("PASS: yes")\n`,
      starter,
    );
    expect(grade.kind).toBe('fail');
    expect(grade.message).toMatch(/the original check ran\.\)$/);
  });
});
