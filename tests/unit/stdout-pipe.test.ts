/**
 * `stdout=pipe` and `env=` python fence meta: validation (meta.ts), and what the page shows
 * (remark-examples.ts through the real unified pipeline over real MDX): the label "stdout
 * redirected to a file" beside the recorded output, and the attributes the browser's Run reads.
 */
import { toHtml } from 'hast-util-to-html';
import type { Root } from 'mdast';
import { toHast } from 'mdast-util-to-hast';
import { markdownToHtml } from 'satteri';
import { describe, expect, test } from 'vitest';
import { extractExamples, parseMdx } from '../../src/examples/extract.ts';
import { readPythonMeta } from '../../src/examples/meta.ts';
import { parseEnvText, stdioLabel } from '../../src/examples/stdio-options.ts';
import { remarkExamples, satteriExamples } from '../../src/integrations/remark-examples.ts';

const FENCE = '```';

describe('stdout= and env= meta', () => {
  test('stdout=pipe and env= are read; the defaults are a terminal and no variables', () => {
    expect(readPythonMeta('stdout=pipe env="PYTHONUNBUFFERED=1"')).toMatchObject({ stdout: 'pipe', env: { PYTHONUNBUFFERED: '1' } });
    expect(readPythonMeta('')).toMatchObject({ stdout: 'terminal', env: {} });
    expect(readPythonMeta('runtime=native stdout=pipe')).toMatchObject({ runtime: 'native', stdout: 'pipe' });
  });

  test.each([
    ['stdout=terminal', 'stdout takes only the value pipe'],
    ['stdout', 'stdout takes only the value pipe'],
    ['stdout=pipe norun="x"', 'a norun block does not run'],
    ['env', 'env needs variables'],
    ['env=""', 'env needs variables'],
    ['env="PYTHONUNBUFFERED"', 'env: expected NAME=value, found "PYTHONUNBUFFERED"'],
    ['env="=1"', 'env: expected NAME=value'],
    ['env="PYTHONUNBUFFERED=1 PYTHONUNBUFFERED=2"', 'env: PYTHONUNBUFFERED is given twice'],
    ['env="PYTHONIOENCODING=latin-1"', 'env: PYTHONIOENCODING is not a start-up variable the runner applies; allowed: PYTHONUNBUFFERED'],
    ['env="HOME=/tmp"', 'allowed: PYTHONUNBUFFERED'],
  ])('%s is an error: %s', (meta, message) => {
    expect(() => readPythonMeta(meta)).toThrow(message);
  });

  test('the verifier reports a bad value at file:line', () => {
    const { problems } = extractExamples('content/p.mdx', `# P\n\n${FENCE}python stdout=file\nprint()\n${FENCE}\n`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'content/p.mdx', line: 3 });
    expect(problems[0]!.message).toContain('stdout takes only the value pipe');
  });
});

/** Render with Sätteri, as `astro build` does by default. */
async function viaSatteri(source: string): Promise<string> {
  return (await markdownToHtml(source, { mdastPlugins: [satteriExamples] })).html;
}

/** Render with unified: the same transform as a remark plugin. */
async function viaUnified(source: string): Promise<string> {
  const tree = parseMdx(source);
  remarkExamples()(tree as Root, {});
  return toHtml(toHast(tree));
}

describe.each([
  ['Sätteri', viaSatteri],
  ['unified', viaUnified],
])('the rendered recorded output (%s)', (_name, render) => {
  const page = (meta: string) =>
    `# P\n\n${FENCE}python ${meta}\nimport sys\nprint("to stdout")\nprint("to stderr", file=sys.stderr)\n${FENCE}\n\n${FENCE}output stderr="1"\nto stderr\nto stdout\n${FENCE}\n`;

  test('a stdout=pipe block says "stdout redirected to a file" in its caption, and carries data-stdout for Run', async () => {
    const html = await render(page('stdout=pipe'));
    expect(html).toContain('<figcaption>Output <span class="example-output-mode">(stdout redirected to a file)</span></figcaption>');
    expect(html).toMatch(/<div class="example"[^>]* data-stdout="pipe"/);
    expect(html).not.toContain('data-env');
  });

  test('env= is named beside it, and carried as data-env', async () => {
    const html = await render(page('stdout=pipe env="PYTHONUNBUFFERED=1"'));
    expect(html).toContain('(stdout redirected to a file; PYTHONUNBUFFERED=1)');
    expect(html).toMatch(/data-env="PYTHONUNBUFFERED=1"/);
  });

  test('a block in a terminal (the default) keeps the plain caption and no attribute', async () => {
    const html = await render(page(''));
    expect(html).toContain('<figcaption>Output</figcaption>');
    expect(html).not.toContain('data-stdout');
    expect(html).not.toContain('example-output-mode');
  });

  test('the label and data-env read back as the browser reads them', () => {
    expect(stdioLabel('terminal', {})).toBeNull();
    expect(stdioLabel('pipe', {})).toBe('stdout redirected to a file');
    expect(stdioLabel('terminal', { PYTHONUNBUFFERED: '1' })).toBe('PYTHONUNBUFFERED=1');
    expect(parseEnvText('PYTHONUNBUFFERED=1')).toEqual({ PYTHONUNBUFFERED: '1' });
    expect(parseEnvText(undefined)).toEqual({});
  });
});
