/**
 * The Step button and the stepper (issue 14, src/client/stepper.ts) in Chromium against the
 * built site and real Pyodide: a Step button on every runnable example; Step traces the block
 * and shows "Step 1 of n", → moves on; on the page's return-in-try example the marked line, the
 * output and the event text follow CPython's order (the finally line runs after `return index`
 * and before the caller prints); Home, End and Esc; the keyboard alone; edited code is marked in
 * the editor; stderr is shown as in the output panel; a cut trace says why.
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, inject, test } from 'vitest';
import { contentPages, editCode, exampleAt, useBrowser } from './helpers.ts';

const baseURL = inject('baseURL');
const pages = await contentPages();
const finallyPage = pages.find((p) => p.file === 'content/finally.mdx')!;
/** `return` inside `try` with `finally` in a loop: the page's lesson is the order of its lines. */
const findBlock = finallyPage.blocks.find((b) => b.code.startsWith('def find(items, target):'))!;
const session = useBrowser();

/** What the stepper of an example shows now. */
interface StepView {
  step: number;
  steps: number;
  count: string;
  /** The line data-line names (0 for atexit/finalize markers). */
  line: number;
  /** The event's kind (src/examples/trace-types.ts). */
  kind: string;
  event: string;
  output: string;
  /** The marked line's index (1-based) among the code's lines and its text; null when none is marked. */
  marked: { line: number; text: string } | null;
  notes: string[];
}

function readStepper(example: Locator): Promise<StepView> {
  return example.evaluate((root: HTMLElement) => {
    const stepper = root.querySelector<HTMLElement>('.example-stepper')!;
    const lines = [...root.querySelectorAll<HTMLElement>(':scope > .expressive-code pre .ec-line')];
    const editorLines = [...root.querySelectorAll<HTMLElement>('.cm-content .cm-line')];
    const at = lines.findIndex((l) => l.classList.contains('example-step-line'));
    const atEditor = editorLines.findIndex((l) => l.classList.contains('example-editor-step-line'));
    const marked =
      at >= 0
        ? { line: at + 1, text: lines[at]!.textContent ?? '' }
        : atEditor >= 0
          ? { line: atEditor + 1, text: editorLines[atEditor]!.textContent ?? '' }
          : null;
    return {
      step: Number(stepper.dataset.step ?? 0),
      steps: Number(stepper.dataset.steps ?? 0),
      count: stepper.querySelector('.example-stepper-count')?.textContent ?? '',
      line: Number(stepper.dataset.line ?? -1),
      kind: stepper.dataset.kind ?? '',
      event: stepper.querySelector('.example-stepper-event')?.textContent ?? '',
      output: [...stepper.querySelectorAll<HTMLElement>('pre.example-stepper-output > span[data-stream]')]
        .map((span) =>
          [...span.childNodes]
            .filter((n) => n.nodeType === Node.TEXT_NODE)
            .map((n) => n.textContent)
            .join(''),
        )
        .join(''),
      marked,
      notes: [...stepper.querySelectorAll('.example-stepper-note')].map((n) => n.textContent ?? ''),
    };
  });
}

/** Click Step and wait for the stepper (the traced run included: a cold start is seconds). */
async function step(example: Locator): Promise<StepView> {
  await example.locator('.example-step-button').click();
  await example.locator('.example-stepper').waitFor({ timeout: 60_000 });
  return readStepper(example);
}

const focused = (page: Page) => page.evaluate(() => document.activeElement?.className ?? '');

test('every runnable example of every page has a Step button, next to Run, with an accessible name', async () => {
  const context = await session.newContext();
  const page = await context.newPage();
  for (const { path, blocks } of pages) {
    await page.goto(baseURL + path);
    for (const block of blocks) {
      const example = exampleAt(page, block.line);
      const runnable = block.meta.norun === null && block.meta.runtime !== 'native';
      const visible = await example.locator('.example-step-button:not([hidden])').count();
      expect(visible, `${path} line ${block.line}`).toBe(runnable ? 1 : 0);
      if (!runnable) continue;
      // Right after Run in the button group.
      const next = await example
        .locator('.example-run-button')
        .evaluate((run) => (run.nextElementSibling as HTMLElement | null)?.className ?? '');
      expect(next).toContain('example-step-button');
    }
  }
  await page.goto(baseURL + finallyPage.path);
  const first = page.locator('div.example[data-code]').first();
  await expect(first.getByRole('button', { name: 'Step through example 1', exact: true }).count()).resolves.toBe(1);
});

describe('the return-in-try example', () => {
  test('Step shows "Step 1 of n", → "Step 2 of n"; the finally line runs after return and before the caller prints', async () => {
    const page = await session.open(baseURL + finallyPage.path);
    const example = exampleAt(page, findBlock.line);
    const first = await step(example);
    expect(first.count).toMatch(/^Step 1 of \d+$/);
    const n = first.steps;
    expect(n).toBeGreaterThan(10);
    expect(first.count).toBe(`Step 1 of ${n}`);
    expect(first.output).toBe('');
    // The marked line is the event's line of the code.
    expect(first.marked?.line).toBe(first.line);
    await page.keyboard.press('ArrowRight');
    const second = await readStepper(example);
    expect(second.count).toBe(`Step 2 of ${n}`);

    // Walk to the step at `return index` (line 5 of the block), as the reader would with →.
    const lines = findBlock.code.split('\n');
    const returnLine = lines.indexOf('                return index') + 1;
    const finallyLine = lines.indexOf('            print("checked", item)') + 1;
    let view = second;
    while (view.line !== returnLine && view.step < n) {
      await page.keyboard.press('ArrowRight');
      view = await readStepper(example);
    }
    expect(view.line).toBe(returnLine);
    expect(view.marked).toEqual({ line: returnLine, text: '                return index' });
    // "b" is found on the second pass: the first pass's finally printed "checked a" already.
    expect(view.output).toBe('checked a\n');
    // Next line event: the finally block, before the function has returned.
    do {
      await page.keyboard.press('ArrowRight');
      view = await readStepper(example);
    } while (view.line === returnLine);
    expect(view.line).toBe(finallyLine);
    expect(view.marked).toEqual({ line: finallyLine, text: '            print("checked", item)' });
    expect(view.output).toBe('checked a\n');
    // The event text (trace-text.ts) says why control is here.
    expect(view.event).toMatch(/leaving the try block by return: finally runs first/);
    // Then find returns 1, after "checked b" and before the caller printed anything.
    while (view.kind !== 'return' && view.step < n) {
      await page.keyboard.press('ArrowRight');
      view = await readStepper(example);
    }
    expect(view.kind).toBe('return');
    expect(view.output).toBe('checked a\nchecked b\n');
    expect(view.event).toMatch(/find returns 1\b/);
    // The end shows all of it.
    await page.keyboard.press('End');
    const last = await readStepper(example);
    expect(last.count).toBe(`Step ${n} of ${n}`);
    expect(last.output).toBe('checked a\nchecked b\nfound at 1\n');
  });

  test('keyboard alone: Enter on Step, → and ←, Home and End, Esc back to Step; buttons too', async () => {
    const page = await session.open(baseURL + finallyPage.path);
    const example = exampleAt(page, findBlock.line);
    await example.locator('.example-step-button').focus();
    await page.keyboard.press('Enter');
    await example.locator('.example-stepper').waitFor({ timeout: 60_000 });
    // Focus is in the stepper (its Next button), so the keys work at once.
    await expect.poll(() => focused(page)).toContain('example-stepper-next');
    const { steps: n } = await readStepper(example);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    expect((await readStepper(example)).count).toBe(`Step 3 of ${n}`);
    await page.keyboard.press('ArrowLeft');
    expect((await readStepper(example)).count).toBe(`Step 2 of ${n}`);
    await page.keyboard.press('End');
    expect((await readStepper(example)).count).toBe(`Step ${n} of ${n}`);
    // Past the end stays at the end; Next says it is disabled but keeps focus.
    await page.keyboard.press('ArrowRight');
    expect((await readStepper(example)).count).toBe(`Step ${n} of ${n}`);
    await expect(example.locator('.example-stepper-next').getAttribute('aria-disabled')).resolves.toBe('true');
    await page.keyboard.press('Home');
    expect((await readStepper(example)).count).toBe(`Step 1 of ${n}`);
    await expect(example.locator('.example-stepper-prev').getAttribute('aria-disabled')).resolves.toBe('true');
    // The visible buttons, named for what they do.
    await example.getByRole('button', { name: 'Next step' }).click();
    expect((await readStepper(example)).count).toBe(`Step 2 of ${n}`);
    await example.getByRole('button', { name: 'Prev step' }).click();
    expect((await readStepper(example)).count).toBe(`Step 1 of ${n}`);
    // The count, line and event are announced: one polite live region holds them.
    const live = example.locator('.example-stepper [aria-live="polite"]');
    await expect(live.locator('.example-stepper-count').count()).resolves.toBe(1);
    await expect(live.locator('.example-stepper-event').count()).resolves.toBe(1);
    await page.keyboard.press('Escape');
    await expect(example.locator('.example-stepper').count()).resolves.toBe(0);
    await expect(example.locator('.example-step-line').count()).resolves.toBe(0);
    expect(await focused(page)).toContain('example-step-button');
    expect(await example.locator('.example-step-button').evaluate((b) => b === document.activeElement)).toBe(true);
  });
});

test('edited code: the editor marks the line; stderr is shown as in the panel; typing closes the stepper', async () => {
  const page = await session.open(baseURL + finallyPage.path);
  const example = page.locator('div.example[data-code]').first();
  await editCode(page, example, 'import sys\nprint("out")\nprint("err", file=sys.stderr)\nx = 1\n');
  const first = await step(example);
  expect(first.count).toMatch(/^Step 1 of \d+$/);
  expect(first.marked).toEqual({ line: 1, text: 'import sys' });
  await page.keyboard.press('End');
  const last = await readStepper(example);
  expect(last.output).toBe('out\nerr\n');
  const stderr = example.locator('.example-stepper pre.example-stepper-output > span.stderr');
  await expect(stderr.getAttribute('data-stream')).resolves.toBe('stderr');
  await expect(stderr.locator('.example-stream-label').textContent()).resolves.toBe('stderr: ');
  // At `x = 1` (line 4) both prints are done; the editor marks that line.
  await page.keyboard.press('Home');
  let view = await readStepper(example);
  while (view.line !== 4 && view.step < view.steps) {
    await page.keyboard.press('ArrowRight');
    view = await readStepper(example);
  }
  expect(view.marked).toEqual({ line: 4, text: 'x = 1' });
  expect(view.output).toBe('out\nerr\n');
  // The steps belong to the code as it was: an edit closes the stepper and clears the mark.
  await example.locator('.cm-content').focus();
  await page.keyboard.press('End');
  await page.keyboard.type(' ');
  await expect(example.locator('.example-stepper').count()).resolves.toBe(0);
  await expect(example.locator('.example-editor-step-line').count()).resolves.toBe(0);
});

test('output is text, never HTML', async () => {
  const page = await session.open(baseURL + finallyPage.path);
  const example = page.locator('div.example[data-code]').first();
  await editCode(page, example, 'print("<img src=x onerror=alert(1)><b>bold</b>")\n');
  await step(example);
  await page.keyboard.press('End');
  expect((await readStepper(example)).output).toBe('<img src=x onerror=alert(1)><b>bold</b>\n');
  await expect(example.locator('.example-stepper img, .example-stepper b').count()).resolves.toBe(0);
});

test('a trace cut at its limit says why', async () => {
  const page = await session.open(baseURL + finallyPage.path);
  const example = page.locator('div.example[data-code]').first();
  await editCode(page, example, 'total = 0\nfor i in range(50_000):\n    total += i\nprint(total)\n');
  const view = await step(example);
  expect(view.notes.join(' ')).toMatch(/^Tracing stopped before the end: .+/);
  // The run itself went on to its end: the last step's output may stop early, the note says so.
  expect(view.steps).toBeGreaterThan(0);
});

describe('where the output is the answer to a question', () => {
  const hidden = (locator: Locator) => locator.evaluate((node) => getComputedStyle(node).display === 'none');

  test('Step in a quiz counts as choosing to see the answer; after "Try again" the stepper is hidden too', async () => {
    const page = await session.open(baseURL + finallyPage.path);
    await page.locator('[data-quiz][data-state="pending"]').first().waitFor();
    const quiz = page.locator('[data-quiz]').first();
    const example = quiz.locator('div.example[data-code]');
    expect(await hidden(example.locator('figure.example-output'))).toBe(true);
    await step(example);
    expect(await quiz.getAttribute('data-state')).toBe('answered');
    expect(await hidden(example.locator('figure.example-output'))).toBe(false);
    expect(await hidden(example.locator('.example-stepper'))).toBe(false);
    await quiz.locator('.quiz-retry').click();
    expect(await hidden(example.locator('.example-stepper'))).toBe(true);
  });

  test('Step reveals the home page example hidden until Run', async () => {
    const page = await session.open(`${baseURL}/`);
    await page.locator('[data-run-to-reveal][data-state="hidden"]').waitFor();
    const box = page.locator('[data-run-to-reveal]');
    const example = box.locator('div.example[data-code]');
    expect(await hidden(example.locator('figure.example-output'))).toBe(true);
    await step(example);
    expect(await box.getAttribute('data-state')).toBe('revealed');
    expect(await hidden(example.locator('figure.example-output'))).toBe(false);
  });
});
