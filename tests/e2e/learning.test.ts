/**
 * Quizzes (src/components/Quiz.astro), the home page's run-to-reveal example (RunToReveal.astro)
 * and guided exercises (Exercise.astro) in a real browser: a quiz hides the recorded output until
 * the reader commits to a guess, then reveals it with a right or wrong verdict (or reveals it
 * without one), and "Try again" starts it over; the home page's example hides its output until it
 * is run; an exercise's check, run by the same Pyodide worker as every example, says "Not yet: …"
 * for the starter code and "Pass: …" for a solution typed into the editor.
 */
import { readFile } from 'node:fs/promises';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, inject, test } from 'vitest';
import { splitExercise } from '../../src/components/grade.ts';
import { pairExamples, parseMdx } from '../../src/examples/extract.ts';
import { editCode, readLive, useBrowser, waitForEnd } from './helpers.ts';
import { ROOT } from './paths.ts';

const baseURL = inject('baseURL');
const session = useBrowser();
const open = (path: string) => session.open(baseURL + path);

const hidden = (locator: Locator) =>
  locator.evaluate((node) => getComputedStyle(node).display === 'none' || (node as HTMLElement).offsetParent === null);

describe('quizzes', () => {
  /** Every quiz of the page with its answer index, once quiz.ts has set them up. */
  async function quizzes(page: Page): Promise<{ quiz: Locator; answer: number }[]> {
    await page.locator('[data-quiz][data-state="pending"]').first().waitFor();
    const all = page.locator('[data-quiz]');
    const found = [];
    for (let i = 0; i < (await all.count()); i++) {
      found.push({ quiz: all.nth(i), answer: Number(await all.nth(i).getAttribute('data-answer')) });
    }
    return found;
  }

  test('the output and explanation stay hidden until a guess; a right guess is confirmed', async () => {
    const page = await open('/finally/');
    const { quiz, answer } = (await quizzes(page))[0]!;
    const figure = quiz.locator('figure.example-output');
    const explanation = quiz.locator('.quiz-explanation');
    expect(await hidden(figure)).toBe(true);
    expect(await hidden(explanation)).toBe(true);
    await quiz.locator('.quiz-choice').nth(answer).click();
    expect(await quiz.getAttribute('data-state')).toBe('answered');
    expect(await hidden(figure)).toBe(false);
    expect(await hidden(explanation)).toBe(false);
    expect(await quiz.locator('.quiz-feedback').textContent()).toMatch(/^Right: [A-Z]\./);
    expect(await quiz.locator('.quiz-choice').nth(answer).getAttribute('data-result')).toBe('right');
  });

  test('a wrong guess reveals the output and names both the guess and the answer', async () => {
    const page = await open('/finally/');
    const { quiz, answer } = (await quizzes(page))[0]!;
    const wrong = answer === 0 ? 1 : 0;
    await quiz.locator('.quiz-choice').nth(wrong).click();
    const letter = (i: number) => String.fromCharCode(65 + i);
    expect(await quiz.locator('.quiz-feedback').textContent()).toContain(
      `Not quite: you picked ${letter(wrong)}, the answer is ${letter(answer)}.`,
    );
    expect(await quiz.locator('.quiz-choice').nth(wrong).getAttribute('data-result')).toBe('wrong');
    expect(await hidden(quiz.locator('figure.example-output'))).toBe(false);
    // Answered once: further clicks change nothing (force: the choices are aria-disabled now).
    await quiz.locator('.quiz-choice').nth(answer).click({ force: true });
    expect(await quiz.locator('.quiz-choice').nth(answer).getAttribute('aria-pressed')).toBe('false');
  });

  test('"Show the output without guessing" reveals it from the keyboard and keeps focus in the quiz', async () => {
    const page = await open('/finally-vs-with/');
    const { quiz, answer } = (await quizzes(page))[0]!;
    await quiz.locator('.quiz-skip').focus();
    await page.keyboard.press('Enter');
    expect(await quiz.locator('.quiz-feedback').textContent()).toMatch(new RegExp(`^The answer is ${String.fromCharCode(65 + answer)}\\.`));
    expect(await hidden(quiz.locator('figure.example-output'))).toBe(false);
    expect(await page.evaluate(() => document.activeElement?.classList.contains('quiz-feedback'))).toBe(true);
  });

  test('"Try again", from the keyboard, hides the output again, clears the guess and says so', async () => {
    const page = await open('/finally/');
    const { quiz, answer } = (await quizzes(page))[0]!;
    const wrong = answer === 0 ? 1 : 0;
    const retry = quiz.locator('.quiz-retry');
    expect(await retry.isVisible()).toBe(false);
    await quiz.locator('.quiz-choice').nth(wrong).click();
    expect(await retry.isVisible()).toBe(true);
    await retry.focus();
    await page.keyboard.press('Enter');
    expect(await quiz.getAttribute('data-state')).toBe('pending');
    expect(await hidden(quiz.locator('figure.example-output'))).toBe(true);
    expect(await hidden(quiz.locator('.quiz-explanation'))).toBe(true);
    expect(await retry.isVisible()).toBe(false);
    expect(await quiz.locator('.quiz-feedback').textContent()).toMatch(/^Try again: /);
    expect(await quiz.locator('.quiz-feedback').getAttribute('role')).toBe('status');
    for (const choice of await quiz.locator('.quiz-choice').all()) {
      expect(await choice.getAttribute('aria-pressed')).toBe('false');
      expect(await choice.getAttribute('aria-disabled')).toBeNull();
      expect(await choice.getAttribute('data-result')).toBeNull();
    }
    // Focus stays in the quiz, on the first choice: Enter picks it.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-index'))).toBe('0');
    await quiz.locator('.quiz-choice').nth(answer).focus();
    await page.keyboard.press('Space');
    expect(await quiz.locator('.quiz-feedback').textContent()).toMatch(/^Right: [A-Z]\./);
    expect(await hidden(quiz.locator('figure.example-output'))).toBe(false);
  });

  test('after "Try again", an earlier run is hidden, and a run started from the editor reveals the answer', async () => {
    const page = await open('/finally/');
    const { quiz } = (await quizzes(page))[0]!;
    const example = quiz.locator('div.example[data-code]');
    await example.locator('.example-run-button').click();
    expect(await quiz.getAttribute('data-state')).toBe('answered');
    await waitForEnd(example);
    expect(await hidden(example.locator('.example-run'))).toBe(false);
    await quiz.locator('.quiz-retry').click();
    expect(await hidden(example.locator('.example-run'))).toBe(true);
    await example.locator('.example-edit-button').click();
    await example.locator('.cm-content').focus();
    await page.keyboard.press('ControlOrMeta+Enter');
    await expect.poll(() => quiz.getAttribute('data-state')).toBe('answered');
    expect(await hidden(example.locator('.example-run'))).toBe(false);
    expect(await quiz.locator('.quiz-feedback').textContent()).toMatch(/^The answer is [A-Z]\./);
    await waitForEnd(example);
  });
});

describe('the home page’s example, hidden until Run', () => {
  test('its output and explanation stay hidden until it runs; the run matches the revealed record', async () => {
    const page = await open('/');
    await page.locator('[data-run-to-reveal][data-state="hidden"]').waitFor();
    const box = page.locator('[data-run-to-reveal]');
    const example = box.locator('div.example[data-code]');
    expect(await hidden(example.locator('figure.example-output'))).toBe(true);
    expect(await hidden(box.locator('.reveal-explanation'))).toBe(true);
    expect(await box.locator('.reveal-prompt').isVisible()).toBe(true);
    await example.locator('.example-run-button').click();
    expect(await box.getAttribute('data-state')).toBe('revealed');
    await waitForEnd(example);
    expect((await readLive(example)).verdict).toBe('match');
    expect(await hidden(example.locator('figure.example-output'))).toBe(false);
    expect(await hidden(box.locator('.reveal-explanation'))).toBe(false);
    expect(await box.locator('.reveal-status').textContent()).toMatch(/^The recorded output is now shown under your run/);
  });

  test('"Show the output without running" reveals it from the keyboard and keeps focus in the box', async () => {
    const page = await open('/');
    await page.locator('[data-run-to-reveal][data-state="hidden"]').waitFor();
    const box = page.locator('[data-run-to-reveal]');
    await box.locator('.reveal-show').focus();
    await page.keyboard.press('Enter');
    expect(await box.getAttribute('data-state')).toBe('revealed');
    expect(await hidden(box.locator('figure.example-output'))).toBe(false);
    expect(await box.locator('.reveal-show').isVisible()).toBe(false);
    expect(await page.evaluate(() => document.activeElement?.classList.contains('reveal-status'))).toBe(true);
  });
});

describe('exercises', () => {
  /** The exercises of content/finally.mdx as written: the starter's line and the solution's code. */
  async function exercisesOf(file: string): Promise<{ starterLine: number; solution: string }[]> {
    const tree = parseMdx(await readFile(`${ROOT}/${file}`, 'utf8'));
    const found: { starterLine: number; solution: string }[] = [];
    const pairs = pairExamples(tree).pairs;
    for (const [i, pair] of pairs.entries()) {
      const parts = splitExercise(pair.python.value);
      const next = pairs[i + 1];
      if (parts && next && splitExercise(next.python.value)?.check === parts.check) {
        found.push({ starterLine: pair.python.position!.start.line, solution: next.python.value });
      }
    }
    return found;
  }

  test('the starter fails the check with its message; the solution typed in the editor passes', async () => {
    const list = await exercisesOf('content/finally.mdx');
    expect(list.length).toBeGreaterThanOrEqual(2);
    const page = await open('/finally/');
    await page.locator('[data-exercise][data-state="ready"]').first().waitFor();
    for (const { starterLine, solution } of list) {
      const inTask = `.exercise-task div.example[data-example-line="${starterLine}"]`;
      const exercise = page.locator('[data-exercise]', { has: page.locator(inTask) });
      const example = exercise.locator(inTask);
      const feedback = exercise.locator('.exercise-feedback');
      expect(await exercise.locator('.exercise-howto').isVisible()).toBe(true);

      await example.locator('.example-run-button').click();
      await waitForEnd(example);
      expect(await exercise.getAttribute('data-grade')).toBe('fail');
      expect(await feedback.textContent()).toMatch(/^Not yet: \S/);

      // Another wrong answer, which no assert catches: the function ends the program.
      await editCode(page, example, solution.replace(/^(def \w+\(.*\):)$/m, '$1\n    raise SystemExit(2)'));
      await example.locator('.example-run-button').click();
      await waitForEnd(example);
      expect(await exercise.getAttribute('data-grade')).toBe('fail');
      expect(await feedback.textContent()).toMatch(/^Not yet: the run ended with exit status 2/);

      await editCode(page, example, solution);
      await page.keyboard.press('ControlOrMeta+Enter');
      await example.locator('.example-run[data-state="done"]').waitFor({ timeout: 60_000 });
      await waitForEnd(example);
      expect(await exercise.getAttribute('data-grade')).toBe('pass');
      expect(await feedback.textContent()).toMatch(/^Pass: \S/);
    }
  });

  test("sys.exit(0) at the top, or only the PASS line, does not pass; the check's token never shows", async () => {
    const { starterLine, solution } = (await exercisesOf('content/finally.mdx'))[0]!;
    const page = await open('/finally/');
    await page.locator('[data-exercise][data-state="ready"]').first().waitFor();
    const inTask = `.exercise-task div.example[data-example-line="${starterLine}"]`;
    const exercise = page.locator('[data-exercise]', { has: page.locator(inTask) });
    const example = exercise.locator(inTask);
    const feedback = exercise.locator('.exercise-feedback');
    const pass = solution.split('\n').findLast((line) => line.startsWith('print("PASS'))!;
    for (const code of [`import sys\nsys.exit(0)\n${solution}`, pass]) {
      await editCode(page, example, code);
      await example.locator('.example-run-button').click();
      await waitForEnd(example);
      expect(await exercise.getAttribute('data-grade')).toBe('fail');
      expect(await feedback.textContent()).toMatch(/^Not yet: /);
    }
    expect((await readLive(example)).exitStatus).not.toBeNull();
    await editCode(page, example, solution);
    await example.locator('.example-run-button').click();
    await waitForEnd(example);
    expect(await exercise.getAttribute('data-grade')).toBe('pass');
    const live = await readLive(example);
    expect(live.exitStatus).toBe(0);
    expect(live.text.trimEnd().split('\n').at(-1)).toBe(pass.replace(/^print\("(.*)"\)$/, '$1'));
    expect(live.text).not.toContain('\u2063');
  });

  test('running the reference solution inside the disclosure does not grade the exercise', async () => {
    const page = await open('/finally/');
    const exercise = page.locator('[data-exercise]').first();
    await exercise.locator('.exercise-solution summary').click();
    const solution = exercise.locator('.exercise-solution div.example[data-code]');
    await solution.locator('.example-run-button').click();
    await waitForEnd(solution);
    expect(await solution.locator('.example-run-verdict').getAttribute('data-verdict')).toBe('match');
    expect(await exercise.getAttribute('data-grade')).toBeNull();
  });
});
