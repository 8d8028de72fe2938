/**
 * A `runtime=native` block on the page, rendered by the examples transform as the site runs it
 * (Sätteri, and unified): its recorded output, the note saying where it was verified and why it
 * cannot run in the browser, the controls box (Edit and Copy) and the marker the client reads to
 * add no Run button (src/client/examples.ts).
 */
import { toHtml } from 'hast-util-to-html';
import type { Root } from 'mdast';
import { toHast } from 'mdast-util-to-hast';
import { markdownToHtml } from 'satteri';
import { describe, expect, test } from 'vitest';
import { parseMdx } from '../../src/examples/extract.ts';
import { DEFAULT_NATIVE_NEEDS, remarkExamples, satteriExamples } from '../../src/integrations/remark-examples.ts';

const FENCE = '```';
const CODE = ['import os, signal', 'print("sending SIGTERM")', 'os.kill(os.getpid(), signal.SIGTERM)'];
const page = (meta: string, output: string | null) =>
  [
    `${FENCE}python ${meta}`,
    ...CODE,
    FENCE,
    '',
    ...(output === null ? [] : [`${FENCE}output ${output}`, 'sending SIGTERM', FENCE]),
    '',
  ].join('\n');

async function viaSatteri(source: string): Promise<string> {
  return (await markdownToHtml(source, { mdastPlugins: [satteriExamples] })).html;
}

function viaUnified(source: string): string {
  const tree = parseMdx(source);
  remarkExamples()(tree as Root, {});
  return toHtml(toHast(tree));
}

describe.each([
  ['Sätteri', viaSatteri],
  ['unified', async (source: string) => viaUnified(source)],
])('%s', (_name, render) => {
  test('a native block is marked for the client, keeps its code and controls, and shows its note and output', async () => {
    const html = await render(page('runtime=native needs="real signals"', 'exit=143 python=3.11'));
    expect(html).toMatch(
      /<div class="example example-native" data-example-line="1" id="example-[0-9a-f]{8}" data-example-id="[0-9a-f]{8}" data-code="import os, signal\n[^"]*" data-runtime="native">/,
    );
    expect(html).toMatch(/<div class="example-controls"><a class="example-button example-permalink" href="#example-[0-9a-f]{8}">/);
    expect(html).toContain(
      '<p class="example-note example-native-note not-content">Verified with CPython 3.11 on Linux at build time; needs real signals, which cannot run in your browser</p>',
    );
    expect(html).toContain('<span class="line">sending SIGTERM</span>');
    expect(html).toContain('<p class="example-exit">exit status 143</p>');
    // The note comes before the output figure, right under the controls.
    expect(html.indexOf('example-native-note')).toBeLessThan(html.indexOf('<figure class="example-output'));
  });

  test('without needs="…", the note names what WebAssembly lacks in general', async () => {
    const html = await render(page('runtime=native', 'exit=143 python=3.12'));
    expect(html).toContain(
      `Verified with CPython 3.12 on Linux at build time; needs ${DEFAULT_NATIVE_NEEDS}, which cannot run in your browser`,
    );
  });

  test('before its output is recorded, the note does not claim it was verified', async () => {
    const html = await render(page('runtime=native', null));
    expect(html).toContain('>Runs with CPython on Linux at build time; needs');
    expect(html).not.toContain('Verified with');
  });

  test('a Pyodide block has no runtime marker and no note', async () => {
    const html = await render(page('', 'exit=143'));
    expect(html).not.toContain('data-runtime');
    expect(html).not.toContain('example-note');
    expect(html).toContain('<div class="example" data-example-line="1"');
  });
});
