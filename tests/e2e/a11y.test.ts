/**
 * axe-core on every page, in the light and the dark theme: no violations. Also on a page after
 * interaction (a run that matches, a run that differs and shows its diff, the editor open), where
 * the Run buttons' own markup is, and with steppers open (src/client/stepper.ts: a line marked in
 * the static code and in the editor, output with stderr).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { contentPages, editCode, launch, run } from './helpers.ts';

const baseURL = inject('baseURL');
const AXE = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const pages = [...(await contentPages()).map((p) => p.path), '/404.html'];
const THEMES = ['light', 'dark'] as const;

let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
});

interface Violation {
  id: string;
  impact: string;
  help: string;
  nodes: { target: string[]; failureSummary: string }[];
}

async function openThemed(path: string, theme: (typeof THEMES)[number]): Promise<Page> {
  const context = await browser.newContext({ colorScheme: theme });
  await context.addInitScript((value) => localStorage.setItem('starlight-theme', value), theme);
  const page = await context.newPage();
  await page.goto(baseURL + path);
  expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
  return page;
}

async function axe(page: Page): Promise<string> {
  await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run(c: Document, o: object): Promise<{ violations: Violation[] }> } }).axe.run(
      document,
      {
        resultTypes: ['violations'],
      },
    );
    return result.violations;
  });
  return violations
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `  ${n.target.join(' ')}: ${n.failureSummary}`).join('\n')}`)
    .join('\n');
}

describe.each(THEMES)('%s theme', (theme) => {
  test.each(pages)('axe finds no violations on %s', async (path) => {
    const page = await openThemed(path, theme);
    expect(await axe(page)).toBe('');
    await page.context().close();
  });

  test('axe finds no violations with live output, a diff and the editor open', async () => {
    const page = await openThemed('/finally/', theme);
    const examples = page.locator('div.example[data-code]');
    await run(examples.nth(0), 60_000);
    // A recorded output changed under the page's feet: the run differs and shows a diff.
    await examples
      .nth(1)
      .locator('figure.example-output span.line')
      .first()
      .evaluate((line) => (line.textContent = 'something else'));
    expect((await run(examples.nth(1))).verdict).toBe('differs');
    await editCode(page, examples.nth(2), 'import sys\nprint("out")\nprint("err", file=sys.stderr)\nraise SystemExit(3)');
    await run(examples.nth(2));
    expect(await axe(page)).toBe('');
    await page.context().close();
  });

  test('axe finds no violations with the stepper open, on static code and on edited code', async () => {
    const page = await openThemed('/finally/', theme);
    const examples = page.locator('div.example[data-code]');
    await examples.nth(0).locator('.example-step-button').click();
    await examples.nth(0).locator('.example-stepper').waitFor({ timeout: 60_000 });
    await page.keyboard.press('ArrowRight');
    await editCode(page, examples.nth(1), 'import sys\nprint("out")\nprint("err", file=sys.stderr)\nx = 1\n');
    await examples.nth(1).locator('.example-step-button').click();
    await examples.nth(1).locator('.example-stepper').waitFor({ timeout: 60_000 });
    await page.keyboard.press('End');
    await expect(examples.nth(0).locator('.ec-line.example-step-line').count()).resolves.toBe(1);
    await expect(examples.nth(1).locator('.cm-line.example-editor-step-line').count()).resolves.toBe(1);
    await expect(examples.nth(1).locator('.example-stepper-output .stderr').count()).resolves.toBe(1);
    expect(await axe(page)).toBe('');
    await page.context().close();
  });
});
