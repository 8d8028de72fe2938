/**
 * Stable example ids (src/examples/example-id.ts): the hash, the `id=` meta, uniqueness on a page,
 * and that the page keeps an example's id (and so its share links, permalink and stored edit) when
 * text is added above it, with both renderers the site can use and the verifier's extractor agreeing.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Root } from 'mdast';
import { toHtml } from 'hast-util-to-html';
import { toHast } from 'mdast-util-to-hast';
import { markdownToHtml } from 'satteri';
import { describe, expect, test } from 'vitest';
import { assignExampleIds, codeHash, HASH_ID } from '../../src/examples/example-id.ts';
import { extractExamples, parseMdx } from '../../src/examples/extract.ts';
import { MetaError, readPythonMeta } from '../../src/examples/meta.ts';
import { remarkExamples, satteriExamples } from '../../src/integrations/remark-examples.ts';

const FENCE = '```';
const ROOT = join(import.meta.dirname, '../..');

describe('codeHash', () => {
  // Test vectors of the FNV reference (http://www.isthe.com/chongo/tech/comp/fnv/, test_fnv.c: fnv1a_32).
  test.each([
    ['', '811c9dc5'],
    ['a', 'e40c292c'],
    ['foobar', 'bf9cf968'],
  ])('is 32-bit FNV-1a: %j hashes to %s', (text, hash) => {
    expect(codeHash(text)).toBe(hash);
  });

  test('hashes UTF-8 bytes, and ignores how line endings were saved', () => {
    expect(codeHash('print("é")')).not.toBe(codeHash('print("e")'));
    expect(codeHash('a = 1\r\nprint(a)\r\n')).toBe(codeHash('a = 1\nprint(a)\n'));
    expect(codeHash('a = 1\rprint(a)')).toBe(codeHash('a = 1\nprint(a)'));
    expect(codeHash('print(1)')).toMatch(HASH_ID);
  });
});

describe('assignExampleIds', () => {
  test('uses id= when given, else the hash; the same code again gets -2, -3', () => {
    const { ids, problems } = assignExampleIds([
      { line: 1, code: 'print(1)', explicit: null },
      { line: 5, code: 'print(1)', explicit: null },
      { line: 9, code: 'print(2)', explicit: 'second-print' },
      { line: 13, code: 'print(1)', explicit: null },
    ]);
    const hash = codeHash('print(1)');
    expect(ids).toEqual([hash, `${hash}-2`, 'second-print', `${hash}-3`]);
    expect(problems).toEqual([]);
  });

  test('reports an id= used twice at the second fence, naming the first, and still gives every example an id', () => {
    const { ids, problems } = assignExampleIds([
      { line: 3, code: 'print(1)', explicit: 'cleanup' },
      { line: 20, code: 'print(2)', explicit: 'cleanup' },
    ]);
    expect(problems).toEqual([{ line: 20, message: expect.stringMatching(/^id=cleanup is already the id of the example at line 3: /) }]);
    expect(ids).toEqual(['cleanup', codeHash('print(2)')]);
  });
});

describe('the id= meta', () => {
  test.each(['cleanup', 'return-in-finally', 'x', 'step-2', 'a'.repeat(64)])('accepts id=%s', (id) => {
    expect(readPythonMeta(`id=${id}`).id).toBe(id);
  });

  test('is null when absent', () => {
    expect(readPythonMeta('title="a.py"').id).toBeNull();
  });

  test.each([
    ['Cleanup', 'upper case'],
    ['2nd-example', 'starts with a digit'],
    ['under_score', 'an underscore'],
    ['deadbeef', 'the form of a computed id'],
    ['0badcafe-2', 'the form of a computed id, with a suffix'],
    ['a'.repeat(65), 'longer than 64'],
  ])('rejects id=%s (%s), saying what an id may hold', (id) => {
    let error: unknown;
    try {
      readPythonMeta(`id=${id}`);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MetaError);
    expect((error as MetaError).message).toMatch(/is not a valid id: use lower-case letters, digits and hyphens, starting with a letter/);
  });

  test.each(['id', 'id=""'])('rejects %s without a value', (meta) => {
    expect(() => readPythonMeta(meta)).toThrow(/^id needs a value, e\.g\. id=cleanup-order$/);
  });

  test('a duplicate id= on a page is a problem of the file, at the second fence', () => {
    const source = [`${FENCE}python id=same`, 'print(1)', FENCE, '', `${FENCE}python id=same`, 'print(2)', FENCE, ''].join('\n');
    const { problems } = extractExamples('content/dup.mdx', source);
    expect(problems).toEqual([
      {
        file: 'content/dup.mdx',
        line: 5,
        column: undefined,
        message: expect.stringMatching(/^id=same is already the id of the example at line 1/),
      },
    ]);
  });

  test('a duplicate id= stops the page from rendering, with file:line', () => {
    const source = [`${FENCE}python id=same`, 'print(1)', FENCE, '', `${FENCE}python id=same`, 'print(2)', FENCE, ''].join('\n');
    expect(() => remarkExamples()(parseMdx(source), { path: 'content/dup.mdx' })).toThrow(
      /^content\/dup\.mdx:5: id=same is already the id of the example at line 1/,
    );
  });
});

/** `data-example-line` → `data-example-id` of every example in rendered HTML. */
function renderedIds(html: string): Map<number, string> {
  const found = new Map<number, string>();
  for (const [, line, id] of html.matchAll(
    /<div class="example[^"]*" data-example-line="(\d+)" id="example-([^"]+)" data-example-id="\2"/g,
  )) {
    found.set(Number(line), id!);
  }
  return found;
}

const renderers: [string, (source: string) => Promise<string>][] = [
  ['Sätteri', async (source) => (await markdownToHtml(source, { mdastPlugins: [satteriExamples] })).html],
  [
    'unified',
    async (source) => {
      const tree = parseMdx(source);
      remarkExamples()(tree as Root, {});
      return toHtml(toHast(tree));
    },
  ],
];

describe.each(renderers)('rendered with %s', (_name, render) => {
  const examples = [
    `${FENCE}python`,
    'try:\n    print("body")\nfinally:\n    print("cleanup")',
    FENCE,
    '',
    `${FENCE}output`,
    'body\ncleanup',
    FENCE,
    '',
    `${FENCE}python id=named norun="a reason"`,
    'import threading',
    FENCE,
    '',
  ].join('\n');

  test('an example keeps its id when text is added above it; only its line changes', async () => {
    const before = renderedIds(await render(`# A page\n\n${examples}`));
    const after = renderedIds(await render(`# A page\n\nA new paragraph.\n\nAnd another one,\nover two lines.\n\n${examples}`));
    expect([...before.keys()]).not.toEqual([...after.keys()]);
    expect([...after.values()]).toEqual([...before.values()]);
    expect([...before.values()]).toEqual([codeHash('try:\n    print("body")\nfinally:\n    print("cleanup")'), 'named']);
  });

  test('every example, norun included, has a permalink to its anchor', async () => {
    const html = await render(examples);
    for (const id of renderedIds(html).values()) {
      expect(html).toContain(`<a class="example-button example-permalink" href="#example-${id}">Permalink`);
    }
  });
});

test("the site's pages get the ids the verifier extracts, unique on each page", async () => {
  const files = (await readdir(join(ROOT, 'content'))).filter((f) => /\.mdx?$/.test(f));
  let total = 0;
  for (const name of files) {
    const source = await readFile(join(ROOT, 'content', name), 'utf8');
    const { blocks, problems } = extractExamples(`content/${name}`, source);
    expect(problems).toEqual([]);
    const tree = parseMdx(source);
    remarkExamples()(tree as Root, { path: `content/${name}` });
    const rendered = renderedIds(toHtml(toHast(tree)));
    expect(rendered.size, name).toBe(blocks.length);
    for (const block of blocks) expect(rendered.get(block.line), `${name}:${block.line}`).toBe(block.id);
    expect(new Set(rendered.values()).size, name).toBe(rendered.size);
    total += blocks.length;
  }
  expect(total).toBeGreaterThan(20);
});
