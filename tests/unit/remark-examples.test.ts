/**
 * The examples transform as the site runs it: Sätteri (Astro 7's default Markdown processor, with
 * `satteriExamples`) and unified (`remarkExamples`, then mdast-util-to-hast and hast-util-to-html).
 * Real Markdown in, real HTML out: aliases of `python` render as runnable examples highlighted as
 * Python, and the wildcard opt-in reaches the page for the browser's comparison.
 */
import { toHtml } from 'hast-util-to-html';
import type { Root } from 'mdast';
import { toHast } from 'mdast-util-to-hast';
import { markdownToHtml } from 'satteri';
import { describe, expect, test } from 'vitest';
import { codeHash } from '../../src/examples/example-id.ts';
import { parseMdx } from '../../src/examples/extract.ts';
import { remarkExamples, satteriExamples } from '../../src/integrations/remark-examples.ts';

const FENCE = '```';
const page = (lang: string, meta = '') =>
  [`${FENCE}${lang}${meta ? ' ' + meta : ''}`, 'print([1])', FENCE, '', `${FENCE}output`, '[1]', FENCE, ''].join('\n');

/** Render with Sätteri, as `astro build` does by default. */
async function viaSatteri(source: string): Promise<string> {
  return (await markdownToHtml(source, { mdastPlugins: [satteriExamples] })).html;
}

/** Render with unified: the same transform as a remark plugin. */
function viaUnified(source: string): string {
  const tree = parseMdx(source);
  remarkExamples()(tree as Root, {});
  return toHtml(toHast(tree));
}

describe.each([
  ['Sätteri', viaSatteri],
  ['unified', async (source: string) => viaUnified(source)],
])('%s', (_name, render) => {
  test.each(['python', 'py', 'python3'])('a %s fence renders as a runnable example highlighted as Python', async (lang) => {
    const html = await render(page(lang));
    const id = codeHash('print([1])');
    expect(html).toContain(`<div class="example" data-example-line="1" id="example-${id}" data-example-id="${id}" data-code="print([1])">`);
    expect(html).toContain('<code class="language-python">');
    expect(html).toContain(
      `<div class="example-controls"><a class="example-button example-permalink" href="#example-${id}">Permalink<span class="sr-only"> to this example</span></a></div>`,
    );
    expect(html).toContain('<span class="line">[1]</span>');
  });

  test.each([
    ['ellipsis', true],
    ['nondeterministic', true],
    ['title="a.py"', false],
  ])('with the meta %s, data-ellipsis is present: %s', async (meta, present) => {
    const html = await render(page('python3', meta));
    expect(html.includes('data-ellipsis=""')).toBe(present);
  });

  test('a fence whose language only names Python is left alone (the verifier reports it)', async () => {
    const html = await render(page('pycon'));
    expect(html).not.toContain('class="example"');
    expect(html).toContain('<code class="language-pycon">');
  });
});
