/**
 * Smaller things a reader hits (issue 13, part 6): one copy control per block; the editor's
 * colours are the static highlighting's (Expressive Code's Night Owl), in both themes; editing
 * folds the recorded output away with a note, and going back to the original unfolds it; on a
 * touch-only device the editor's hint does not speak of keyboard shortcuts.
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, inject, test } from 'vitest';
import { editCode, useBrowser } from './helpers.ts';

const baseURL = inject('baseURL');
const session = useBrowser();

describe('copy controls', () => {
  test("every block has one visible copy control: ours on runnable examples, Expressive Code's elsewhere", async () => {
    const page = await session.open(`${baseURL}/finally/`);
    await page.locator('example-runner').first().waitFor();
    const counts = await page.locator('.sl-markdown-content .expressive-code').evaluateAll((blocks) =>
      blocks.map((block) => {
        const visible = (node: Element | null) =>
          !!node && (node as HTMLElement).offsetParent !== null && getComputedStyle(node).display !== 'none';
        const example = block.closest('div.example');
        const ours = example?.querySelector(':scope > .example-controls .example-copy-button') ?? null;
        return {
          line: (example as HTMLElement | null)?.dataset.exampleLine ?? null,
          runnable: !!ours,
          ec: [...block.querySelectorAll('.copy button')].filter(visible).length,
          ours: visible(ours) ? 1 : 0,
        };
      }),
    );
    expect(counts.filter((c) => c.runnable).length).toBeGreaterThan(5);
    for (const c of counts) expect({ ...c, total: c.ec + c.ours }).toEqual({ ...c, total: 1, ours: c.runnable ? 1 : 0 });
  });
});

/** text → computed colour of each token span in the static block and in the editor of `example`. */
async function tokenColours(example: Locator): Promise<{ static: Record<string, string>; editor: Record<string, string> }> {
  return example.evaluate((node) => {
    const read = (spans: Element[]) => {
      const out: Record<string, string> = {};
      for (const span of spans) {
        if (span.children.length > 0) continue;
        // A string is one token in the editor, and quotes plus content in Shiki: compare the content.
        const text = (span.textContent ?? '').trim().replace(/^(["'])(.+)\1$/, '$2');
        if (text && !/^[\s()[\]{}:,."']+$/.test(text)) out[text] ??= getComputedStyle(span).color;
      }
      return out;
    };
    const code = node.querySelector<HTMLElement>(':scope > .expressive-code')!;
    code.hidden = false;
    const result = {
      static: read([...code.querySelectorAll('.ec-line .code span')]),
      editor: read([...node.querySelectorAll('.cm-content .cm-line span')]),
    };
    code.hidden = true;
    return result;
  });
}

describe('editor colours', () => {
  test('each token of an example has the same colour in the editor as in the static block, dark and light', async () => {
    const page = await session.open(`${baseURL}/finally/`);
    await page.locator('example-runner').first().waitFor();
    // The example with the most kinds of tokens: a def, a comment, a number, a string, print.
    const index = await page.locator('div.example[data-code]').evaluateAll((all) =>
      all.findIndex((e) => {
        const code = (e as HTMLElement).dataset.code ?? '';
        return (
          /\bdef \w+\(/.test(code) &&
          /#/.test(code) &&
          /\b\d+\b/.test(code) &&
          /print\(/.test(code) &&
          /"/.test(code) &&
          /\braise\b/.test(code)
        );
      }),
    );
    expect(index).toBeGreaterThanOrEqual(0);
    const example = page.locator('div.example[data-code]').nth(index);
    await example.locator('.example-edit-button').click();
    await example.locator('.cm-content .cm-line span').first().waitFor();
    for (const theme of ['dark', 'light']) {
      await page.evaluate((t) => (document.documentElement.dataset.theme = t), theme);
      const colours = await tokenColours(example);
      const shared = Object.keys(colours.static).filter((text) => text in colours.editor);
      // Keywords, names, strings, numbers and comments are all compared.
      expect(shared).toEqual(expect.arrayContaining(['def', 'print', 'raise']));
      expect(shared.length).toBeGreaterThanOrEqual(8);
      const differ = shared
        .filter((text) => colours.static[text] !== colours.editor[text])
        .map((text) => [text, colours.static[text], colours.editor[text]]);
      expect(differ, `${theme}: token, static colour, editor colour`).toEqual([]);
      // Background and plain text as the static block's.
      const backgrounds = await example.evaluate((node) => {
        const code = node.querySelector<HTMLElement>(':scope > .expressive-code pre')!;
        return [getComputedStyle(code).backgroundColor, getComputedStyle(node.querySelector('.cm-editor')!).backgroundColor];
      });
      expect(backgrounds[1]).toBe(backgrounds[0]);
    }
  });
});

describe('recorded output of edited code', () => {
  const figureBody = (example: Locator) => example.locator('figure.example-output > pre.example-transcript');

  test('is folded with a note once the code changes, can be shown, and unfolds for the original code and after Reset', async () => {
    const page = await session.open(`${baseURL}/finally/`);
    const example = page.locator('div.example[data-code]').first();
    await example.locator('example-runner').waitFor();
    const original = (await example.getAttribute('data-code'))!;
    expect(await figureBody(example).isVisible()).toBe(true);
    await editCode(page, example, 'print("changed")\n');
    const note = example.locator('.example-stale-note');
    expect(await note.textContent()).toMatch(/^You edited the code: this output was recorded for the original code\./);
    expect(await figureBody(example).isVisible()).toBe(false);
    const toggle = note.locator('button');
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    expect(await figureBody(example).isVisible()).toBe(true);
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await toggle.click();
    expect(await figureBody(example).isVisible()).toBe(false);

    // Typed back to the original: the output is the code's again.
    await editCode(page, example, original);
    expect(await note.count()).toBe(0);
    expect(await figureBody(example).isVisible()).toBe(true);

    await editCode(page, example, 'print("changed again")\n');
    expect(await figureBody(example).isVisible()).toBe(false);
    await example.locator('.example-reset-button').click();
    expect(await note.count()).toBe(0);
    expect(await figureBody(example).isVisible()).toBe(true);
  });
});

describe('editor hint', () => {
  const hintOf = async (page: Page) => {
    const example = page.locator('div.example[data-code]').first();
    await example.locator('.example-edit-button').click();
    return example.locator('.example-editor-hint').textContent();
  };

  test('names keyboard shortcuts with a mouse and keyboard, and none on a touch-only device', async () => {
    const desktop = await session.open(`${baseURL}/finally/`);
    expect(await hintOf(desktop)).toMatch(/Ctrl\+Enter/);

    const phone = await session.open(`${baseURL}/finally/`, { hasTouch: true, isMobile: true, viewport: { width: 390, height: 844 } });
    expect(await phone.evaluate(() => matchMedia('(hover: none) and (pointer: coarse)').matches)).toBe(true);
    const hint = await hintOf(phone);
    expect(hint).toMatch(/^Editing\. Tap Run/);
    expect(hint).not.toMatch(/Ctrl|⌘|Tab|Esc|Enter/);
  });
});
