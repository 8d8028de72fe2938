/**
 * Site basics on the built site: readable without JavaScript, search, sidebar, dark mode, 404,
 * sitemap with the site URL, every internal link resolving, the self-hosted runtime and the
 * static hosts' headers file.
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { checkInternalLinks, PYODIDE_FILES } from '../../src/integrations/runtime.ts';
import { contentPages, exampleAt, launch, openDisclosures } from './helpers.ts';
import { DIST, ROOT } from './paths.ts';

const baseURL = inject('baseURL');
const pages = await contentPages();
const SITE = 'https://finally-verified.example.org';
let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
});

describe('without JavaScript', () => {
  test.each(pages.filter((p) => p.blocks.length > 0))(
    '$file: every example shows its code and its recorded output',
    async ({ path, blocks }) => {
      const context = await browser.newContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      await page.goto(baseURL + path);
      await openDisclosures(page);
      for (const block of blocks) {
        const example = exampleAt(page, block.line);
        // innerText, not textContent: Expressive Code renders each line as a block, and only the
        // rendered text has the line breaks between them.
        // biome-ignore lint/performance/useDomNodeTextContent: see above
        const code = (await example.locator(':scope > .expressive-code pre').innerText()).replace(/\n$/, '');
        expect(code.replace(/\s+/g, ' ').trim()).toBe(block.code.replace(/\s+/g, ' ').trim());
        expect(await example.locator('example-runner, button.example-button').count()).toBe(0);
        if (block.meta.norun !== null) {
          expect(await example.locator('.example-note').isVisible()).toBe(true);
          continue;
        }
        if (!block.output) continue;
        const figure = example.locator(':scope > figure.example-output');
        // A quiz hides the output only once its script runs: without JavaScript it is shown.
        expect(await figure.isVisible()).toBe(true);
        const shown = await figure.locator('pre.example-transcript').evaluate((pre) =>
          [...pre.querySelectorAll('span.line')]
            .map((line) =>
              [...line.childNodes]
                .filter((n) => !(n as Element).classList?.contains('example-stream-label'))
                .map((n) => n.textContent)
                .join(''),
            )
            .join('\n'),
        );
        expect(shown).toBe(block.output.recorded.text);
        const exit = block.output.recorded.exitStatus;
        if (exit !== 0) expect(await figure.locator('.example-exit').textContent()).toBe(`exit status ${exit}`);
      }
      await context.close();
    },
  );
});

test('search finds a page by a word in its text', async () => {
  const page = await browser.newPage();
  await page.goto(`${baseURL}/`);
  await page.locator('button[data-open-modal]').click();
  await page.locator('dialog[open] input[type="search"], dialog[open] input').first().fill('KeyboardInterrupt');
  const result = page.locator('dialog[open] .pagefind-ui__result-link').first();
  await result.waitFor({ timeout: 15_000 });
  expect(await result.getAttribute('href')).toMatch(/^\/[a-z-]+\/(#.*)?$/);
  await page.close();
});

test('the sidebar links every guide page, and marks the current one', async () => {
  const page = await browser.newPage();
  await page.goto(`${baseURL}/finally/`);
  const links = await page.locator('#starlight__sidebar a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  for (const { path } of pages.filter((p) => p.path !== '/')) expect(links).toContain(path);
  expect(await page.locator('#starlight__sidebar a[aria-current="page"]').getAttribute('href')).toBe('/finally/');
  await page.close();
});

test('dark mode: the theme switch sets and remembers the theme', async () => {
  const context = await browser.newContext({ colorScheme: 'light' });
  const page = await context.newPage();
  await page.goto(`${baseURL}/finally/`);
  expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
  await page.locator('starlight-theme-select select').first().selectOption('dark');
  expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
  await page.reload();
  expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
  await context.close();
});

test('a missing page answers 404 with the site’s 404 page', async () => {
  const page = await browser.newPage();
  const response = await page.goto(`${baseURL}/no-such-page/`);
  expect(response?.status()).toBe(404);
  expect(await page.locator('h1').textContent()).toMatch(/404/);
  expect(await page.locator('a[href="/"]').count()).toBeGreaterThan(0); // a way back: the site title
  await page.close();
});

test('the sitemap lists every page under the site URL', async () => {
  const index = await readFile(`${DIST}/sitemap-index.xml`, 'utf8');
  expect(index).toContain(`<loc>${SITE}/sitemap-0.xml</loc>`);
  const sitemap = await readFile(`${DIST}/sitemap-0.xml`, 'utf8');
  const locs = [...sitemap.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]);
  expect(locs.sort()).toEqual(pages.map((p) => `${SITE}${p.path}`).sort());
});

test('every internal link and fragment of the built site resolves', async () => {
  const broken = await checkInternalLinks(DIST, SITE, '/');
  expect(broken.map((b) => `dist/${b.page}: ${b.url} (${b.reason})`)).toEqual([]);
});

test('the link check catches a missing page, a missing fragment and a missing asset', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'links-'));
  try {
    await mkdir(join(dir, 'a'));
    await writeFile(join(dir, 'a', 'index.html'), '<h2 id="here">x</h2><a href="#here">ok</a>');
    await writeFile(
      join(dir, 'index.html'),
      `<a href="/a/">ok</a><a href="/a/#here">ok</a><a href="${SITE}/a/">ok</a><a href="https://example.com/x">external</a>` +
        '<a href="/b/">page</a><a href="/a/#nowhere">fragment</a><img src="/missing.png">',
    );
    const broken = await checkInternalLinks(dir, SITE, '/');
    expect(broken.map((b) => b.url)).toEqual(['/b/', '/a/#nowhere', '/missing.png']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('Pyodide is self-hosted under a versioned path, and _headers isolates the site', async () => {
  const { version } = JSON.parse(await readFile(`${ROOT}/node_modules/pyodide/package.json`, 'utf8')) as { version: string };
  for (const file of PYODIDE_FILES) {
    const [built, installed] = await Promise.all([
      stat(`${DIST}/pyodide/${version}/${file}`),
      stat(`${ROOT}/node_modules/pyodide/${file}`),
    ]);
    expect(built.size).toBe(installed.size);
  }
  const headers = await readFile(`${DIST}/_headers`, 'utf8');
  expect(headers).toMatch(/^\/\*\n {2}Cross-Origin-Opener-Policy: same-origin\n {2}Cross-Origin-Embedder-Policy: require-corp$/m);
  // No page or script refers to a CDN.
  const html = await readFile(`${DIST}/finally/index.html`, 'utf8');
  expect(html).not.toMatch(/cdn\.jsdelivr|unpkg\.com|cdnjs/);
});
