/**
 * Quizzes and exercises in content/, checked from the MDX alone (so `npm run check` catches a
 * mistake before the build does). Every quiz's `answer` is the index of one of its `choices`.
 * Every guided exercise in content/ (an `<Exercise>` element, src/components/Exercise.astro) is
 * sound: its starter and its solution are verified examples that end with the same check, and the
 * grading (src/components/grade.ts) of their recorded outputs, which `npm run verify` keeps equal
 * to what Pyodide prints, says "not yet" for the starter (a wrong answer); the solution's recorded
 * output alone (exit status 0 and "PASS: …", which `print("PASS: …")` reproduces) does not pass,
 * since it lacks the check's per-run token: tests/integration/exercise-check.test.ts runs both
 * through the runner as the browser does. The browser twin is tests/e2e/learning.test.ts.
 */
import { readdir, readFile } from 'node:fs/promises';
import type { Root } from 'mdast';
import type { MdxJsxFlowElement } from 'mdast-util-mdx-jsx';
import { visit } from 'unist-util-visit';
import { describe, expect, test } from 'vitest';
import { gradeRun, splitExercise } from '../../src/components/grade.ts';
import { type ExamplePair, pairExamples, parseMdx } from '../../src/examples/extract.ts';
import { readOutputFence } from '../../src/examples/output.ts';

const CONTENT = new URL('../../content/', import.meta.url);

interface Exercise {
  where: string;
  starter: ExamplePair[];
  solution: ExamplePair[];
}

async function exercises(): Promise<Exercise[]> {
  const found: Exercise[] = [];
  for (const name of (await readdir(CONTENT)).filter((n) => n.endsWith('.mdx')).sort()) {
    const tree = parseMdx(await readFile(new URL(name, CONTENT), 'utf8'));
    visit(tree, 'mdxJsxFlowElement', (node: MdxJsxFlowElement) => {
      if (node.name !== 'Exercise') return;
      const isSolution = (child: MdxJsxFlowElement['children'][number]) =>
        child.type === 'mdxJsxFlowElement' &&
        child.attributes.some((a) => a.type === 'mdxJsxAttribute' && a.name === 'slot' && a.value === 'solution');
      const task = { type: 'root', children: node.children.filter((c) => !isSolution(c)) } as Root;
      const solution = { type: 'root', children: node.children.filter(isSolution) } as Root;
      found.push({
        where: `content/${name}:${node.position?.start.line}`,
        starter: pairExamples(task).pairs,
        solution: pairExamples(solution).pairs,
      });
    });
  }
  return found;
}

/** The grade of an example's recorded output, as the browser grades a run that printed it (no check token: verify runs the code as written). */
function gradeRecorded(pair: ExamplePair) {
  const recorded = readOutputFence(pair.output!.meta, pair.output!.value);
  const lines = recorded.text.split('\n');
  const stderr = new Set(recorded.stderrLines);
  const of = (wanted: boolean) => lines.filter((_, i) => stderr.has(i + 1) === wanted).join('\n');
  return gradeRun({
    outcome: { kind: 'done', interrupted: false, wallMs: 0, result: { exitStatus: recorded.exitStatus } as never },
    stdout: of(false),
    stderr: of(true),
    checkCompleted: false,
  });
}

/** Every `<Quiz>` in content/: where, its number of choices and its answer (as written). */
async function quizzes(): Promise<{ where: string; choices: number | null; answer: number | null }[]> {
  const found: { where: string; choices: number | null; answer: number | null }[] = [];
  for (const name of (await readdir(CONTENT)).filter((n) => n.endsWith('.mdx')).sort()) {
    const tree = parseMdx(await readFile(new URL(name, CONTENT), 'utf8'));
    visit(tree, 'mdxJsxFlowElement', (node: MdxJsxFlowElement) => {
      if (node.name !== 'Quiz') return;
      // The attribute values are JavaScript expressions: read them with the estree the MDX parser built.
      const expression = (attribute: string) => {
        const found = node.attributes.find((a) => a.type === 'mdxJsxAttribute' && a.name === attribute);
        const value = found?.type === 'mdxJsxAttribute' && typeof found.value === 'object' ? found.value : null;
        const statement = value?.data?.estree?.body[0];
        return statement?.type === 'ExpressionStatement' ? statement.expression : null;
      };
      const choices = expression('choices');
      const answer = expression('answer');
      found.push({
        where: `content/${name}:${node.position?.start.line}`,
        choices: choices?.type === 'ArrayExpression' ? choices.elements.length : null,
        answer: answer?.type === 'Literal' && typeof answer.value === 'number' ? answer.value : null,
      });
    });
  }
  return found;
}

test.each(await quizzes())('the quiz at $where has an answer that is one of its choices', ({ choices, answer }) => {
  expect(choices, 'choices={[…]} is a literal list').not.toBeNull();
  expect(answer, 'answer={n} is a literal number').not.toBeNull();
  expect(Number.isInteger(answer) && answer! >= 0 && answer! < choices!).toBe(true);
});

const all = await exercises();

test('the site has at least two guided exercises', () => {
  expect(all.length).toBeGreaterThanOrEqual(2);
});

describe.each(all.map((e) => [e.where, e] as const))('exercise at %s', (_, exercise) => {
  test('has one starter and one solution example, each with a recorded output', () => {
    expect(exercise.starter).toHaveLength(1);
    expect(exercise.solution).toHaveLength(1);
    expect(exercise.starter[0]!.output).not.toBeNull();
    expect(exercise.solution[0]!.output).not.toBeNull();
  });

  test('starter and solution end with the same check, below the marker line', () => {
    const starter = splitExercise(exercise.starter[0]!.python.value);
    const solution = splitExercise(exercise.solution[0]!.python.value);
    expect(starter).not.toBeNull();
    expect(solution).not.toBeNull();
    expect(solution!.check).toBe(starter!.check);
    expect(solution!.starter).not.toBe(starter!.starter);
  });

  test("the check fails the starter with an assertion message; the solution's text alone, without the token, does not pass", () => {
    const wrong = gradeRecorded(exercise.starter[0]!);
    expect(wrong.kind).toBe('fail');
    expect(wrong.message).toMatch(/^Not yet: (?!the run ended)/);
    const solution = exercise.solution[0]!;
    const recorded = readOutputFence(solution.output!.meta, solution.output!.value);
    expect(recorded.exitStatus).toBe(0);
    expect(recorded.text.split('\n').at(-1)).toMatch(/^PASS: \S/);
    expect(gradeRecorded(solution)).toEqual({
      kind: 'fail',
      message:
        'Not yet: the run ended with exit status 0 before the check could finish (something ended the program early, such as sys.exit(0) or os._exit(0)).',
    });
  });
});

describe('gradeRun', () => {
  const done = (exitStatus: number, interrupted = false) => ({
    kind: 'done' as const,
    interrupted,
    wallMs: 1,
    result: { exitStatus } as never,
  });
  test('an escaped exception other than AssertionError is named, with the exit status', () => {
    expect(
      gradeRun({
        checkCompleted: false,
        outcome: done(1),
        stdout: '',
        stderr: 'Traceback (most recent call last):\n  File "example.py", line 3\nKeyError: \'pear\'\n',
      }),
    ).toEqual({
      kind: 'fail',
      message: "Not yet: the run ended with KeyError: 'pear' (exit status 1) before the check could finish.",
    });
  });
  test('sys.exit(2) without output, a stopped run and a killed run', () => {
    expect(gradeRun({ outcome: done(2), stdout: '', stderr: '', checkCompleted: false }).message).toBe(
      'Not yet: the run ended with exit status 2 before the check could finish.',
    );
    expect(gradeRun({ outcome: done(130, true), stdout: '', stderr: 'KeyboardInterrupt\n', checkCompleted: false }).kind).toBe('none');
    expect(gradeRun({ outcome: { kind: 'killed', reason: 'grace', wallMs: 1 }, stdout: '', stderr: '', checkCompleted: true }).kind).toBe(
      'none',
    );
  });
  test('the check completed: pass only with exit status 0; a later failure is named', () => {
    expect(gradeRun({ outcome: done(0), stdout: 'PASS: all good\n', stderr: '', checkCompleted: true })).toEqual({
      kind: 'pass',
      message: 'Pass: all good.',
    });
    expect(gradeRun({ outcome: done(3), stdout: 'PASS: all good\n', stderr: '', checkCompleted: true }).message).toBe(
      'Not yet: the check passed, but then the program ended (exit status 3).',
    );
    expect(gradeRun({ outcome: done(0), stdout: 'PASS: x\n', stderr: '', checkCompleted: true, checkReplaced: true }).message).toBe(
      'Pass: x. (Your changes below the check line were not used: the original check ran.)',
    );
  });
});
