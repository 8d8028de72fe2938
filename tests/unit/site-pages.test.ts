/**
 * The pages around the content, checked from their sources: the publishing settings
 * (src/site-settings.ts: SITE_URL and EDIT_URL), the words a 404 page searches for
 * (src/components/not-found.ts), the home page's statement of what is executed
 * (src/components/execution-summary.ts, on the real pages and on small MDX sources), and the home
 * page itself (content/index.mdx: one run-to-reveal example, a map linking every guide page). The
 * built pages are checked in the browser by tests/e2e/site.test.ts and learning.test.ts.
 */
import { readdir, readFile } from 'node:fs/promises';
import type { Link, Root } from 'mdast';
import type { MdxJsxFlowElement } from 'mdast-util-mdx-jsx';
import { visit } from 'unist-util-visit';
import { describe, expect, test } from 'vitest';
import { summarizeExecution, type PageSource } from '../../src/components/execution-summary.ts';
import { searchQueryFromPath } from '../../src/components/not-found.ts';
import { extractExamples, pairExamples, parseMdx } from '../../src/examples/extract.ts';
import { GUIDE_PAGES } from '../../src/guide.ts';
import { readSiteSettings } from '../../src/site-settings.ts';

const CONTENT = new URL('../../content/', import.meta.url);

async function contentSources(): Promise<PageSource[]> {
  const names = (await readdir(CONTENT)).filter((n) => n.endsWith('.mdx')).sort();
  return Promise.all(
    names.map(async (name) => {
      const slug = name.replace(/\.mdx$/, '');
      return {
        slug: slug === 'index' ? '' : slug,
        title: slug,
        file: `content/${name}`,
        source: await readFile(new URL(name, CONTENT), 'utf8'),
      };
    }),
  );
}

describe('publishing settings (SITE_URL, EDIT_URL)', () => {
  test('unset or empty: no site and no edit links, rather than a placeholder', () => {
    expect(readSiteSettings({})).toEqual({ site: undefined, editBaseUrl: undefined });
    expect(readSiteSettings({ SITE_URL: '', EDIT_URL: '  ' })).toEqual({ site: undefined, editBaseUrl: undefined });
  });

  test('set: absolute URLs, with the trailing slash Astro and Starlight append paths to', () => {
    expect(
      readSiteSettings({ SITE_URL: 'https://docs.python-finally.dev', EDIT_URL: 'https://github.com/acme/finally/edit/main' }),
    ).toEqual({
      site: 'https://docs.python-finally.dev/',
      editBaseUrl: 'https://github.com/acme/finally/edit/main/',
    });
    expect(readSiteSettings({ SITE_URL: 'http://127.0.0.1:4321/' }).site).toBe('http://127.0.0.1:4321/');
  });

  test.each([
    ['SITE_URL', 'docs.python-finally.dev', /^SITE_URL=docs\.python-finally\.dev is not an absolute URL: set SITE_URL to/],
    ['SITE_URL', 'ftp://docs.python-finally.dev/', /is not an http\(s\) URL/],
    ['SITE_URL', 'https://finally-verified.example.org', /is a placeholder address/],
    ['EDIT_URL', 'https://github.com/acme/finally/edit/main/?ref=x', /^EDIT_URL=.* has a query or fragment/],
    ['EDIT_URL', 'https://example.com/edit/', /^EDIT_URL=https:\/\/example\.com\/edit\/ is a placeholder address/],
    ['EDIT_URL', 'https://repo.invalid/edit/', /is a placeholder address/],
  ])('%s=%s is refused with a one-line error naming the variable', (name, value, message) => {
    expect(() => readSiteSettings({ [name]: value })).toThrow(message);
    try {
      readSiteSettings({ [name]: value });
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });
});

describe('404 page search words', () => {
  test.each([
    ['/exit-semantic/', 'exit semantic'],
    ['/finally/index.html', 'finally'],
    ['/generators_async.htm', 'generators async'],
    ['/caf%C3%A9/try+finally', 'café try finally'],
    ['/bad%E0%A4%A/x', 'bad%E0%A4%A x'],
    ['/', ''],
  ])('%s searches "%s"', (path, query) => {
    expect(searchQueryFromPath(path)).toBe(query);
  });
});

describe('what is executed (the home page statement)', () => {
  test('counts Pyodide, native and norun blocks, with each reason and the heading above it', () => {
    const source = [
      '# Page',
      '',
      '```python norun="no heading yet"',
      'pass',
      '```',
      '',
      '## Signals and `os._exit`',
      '',
      '```python',
      'print(1)',
      '```',
      '',
      '```output',
      '1',
      '```',
      '',
      '```python runtime=native',
      'print(2)',
      '```',
      '',
      '```output python=3.11',
      '2',
      '```',
      '',
      '```python norun="needs a real Ctrl-C"',
      'input()',
      '```',
      '',
    ].join('\n');
    const summary = summarizeExecution([{ slug: 'demo', title: 'Demo', file: 'content/demo.mdx', source }]);
    expect(summary.pyodide).toBe(1);
    expect(summary.native).toBe(1);
    expect(summary.notRun).toEqual([
      { slug: 'demo', title: 'Demo', heading: 'Page', reason: 'no heading yet' },
      { slug: 'demo', title: 'Demo', heading: 'Signals and os._exit', reason: 'needs a real Ctrl-C' },
    ]);
  });

  test('a page with content errors is refused with file:line', () => {
    const source = '```python norun\npass\n```\n';
    expect(() => summarizeExecution([{ slug: 'bad', title: 'Bad', file: 'content/bad.mdx', source }])).toThrow(/^content\/bad\.mdx:1: /);
  });

  test('on the real pages, every python block is counted once and every norun reason is listed', async () => {
    const pages = await contentSources();
    const summary = summarizeExecution(pages);
    let blocks = 0;
    const reasons: string[] = [];
    for (const page of pages) {
      const extracted = extractExamples(page.file, page.source).blocks;
      blocks += extracted.length;
      for (const block of extracted) if (block.meta.norun !== null) reasons.push(`${page.slug}: ${block.meta.norun}`);
    }
    expect(summary.pyodide + summary.native + summary.notRun.length).toBe(blocks);
    expect(summary.notRun.map((b) => `${b.slug}: ${b.reason}`)).toEqual(reasons);
    expect(summary.pyodide).toBeGreaterThan(0);
  });
});

describe('the home page (content/index.mdx)', () => {
  const tree = readFile(new URL('index.mdx', CONTENT), 'utf8').then((text) => parseMdx(text) as Root);

  test('one example, inside <RunToReveal>, with a recorded output', async () => {
    const root = await tree;
    const wrappers: MdxJsxFlowElement[] = [];
    visit(root, 'mdxJsxFlowElement', (node: MdxJsxFlowElement) => {
      if (node.name === 'RunToReveal') wrappers.push(node);
    });
    expect(wrappers).toHaveLength(1);
    const all = pairExamples(root).pairs;
    const inside = pairExamples({ type: 'root', children: wrappers[0]!.children } as Root).pairs;
    expect(all).toHaveLength(1);
    expect(inside).toHaveLength(1);
    expect(inside[0]!.output?.value.trim()).not.toBe('');
  });

  test('the map under "The guide" links every guide page, in reading order', async () => {
    const root = await tree;
    const start = root.children.findIndex((n) => n.type === 'heading' && n.children.some((c) => 'value' in c && c.value === 'The guide'));
    expect(start).toBeGreaterThanOrEqual(0);
    const end = root.children.findIndex((n, i) => i > start && n.type === 'heading');
    const links: string[] = [];
    for (const node of root.children.slice(start, end === -1 ? undefined : end)) {
      visit(node, 'link', (link: Link) => {
        links.push(link.url);
      });
    }
    expect(links).toEqual(GUIDE_PAGES.map((slug) => `/${slug}/`));
    for (const slug of GUIDE_PAGES) await expect(readFile(new URL(`${slug}.mdx`, CONTENT), 'utf8')).resolves.toBeTruthy();
  });
});
