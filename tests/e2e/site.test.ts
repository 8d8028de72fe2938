/**
 * Site basics on the built site: readable without JavaScript, search, sidebar, dark mode, the home
 * page (title, map of the guide, what is executed), the 404 page (every guide page, search),
 * sitemap and canonical links under SITE_URL and no placeholder address or edit link, every
 * internal link resolving, the self-hosted runtime and the static hosts' headers file.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { GUIDE_PAGES } from '../../src/guide.ts';
import { checkInternalLinks, PYODIDE_FILES } from '../../src/integrations/runtime.ts';
import { contentPages, exampleAt, launch, openDisclosures } from './helpers.ts';
import { DIST, ROOT } from './paths.ts';

const baseURL = inject('baseURL');
const pages = await contentPages();
const guidePaths = GUIDE_PAGES.map((slug) => `/${slug}/`);
let browser: Browser;

/**
 * The site URL dist/ was built with (SITE_URL; the e2e setup sets one), without its final slash,
 * read from the home page's canonical link; undefined when it was built without one.
 */
async function builtSite(): Promise<string | undefined> {
  const page = await browser.newPage();
  await page.goto(`${baseURL}/`);
  const canonical = await page.locator('link[rel="canonical"]').evaluateAll((links) => links.map((l) => l.getAttribute('href')));
  await page.close();
  return canonical[0]?.replace(/\/$/, '');
}

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

describe('the home page', () => {
  test('its title is not the site title repeated', async () => {
    const page = await browser.newPage();
    await page.goto(`${baseURL}/`);
    const title = await page.title();
    expect(title).not.toMatch(/^(.+) \| \1$/);
    expect(title).toMatch(/^finally, verified: \S/);
    await page.close();
  });

  test('the map under "The guide" links every guide page, in reading order, each with a question', async () => {
    const page = await browser.newPage();
    await page.goto(`${baseURL}/`);
    const items = await page
      .locator('.sl-markdown-content h2#the-guide')
      .locator('xpath=ancestor-or-self::*[contains(@class, "sl-heading-wrapper")][1]/following-sibling::ul[1]/li')
      .evaluateAll((lis) => lis.map((li) => ({ href: li.querySelector('a')?.getAttribute('href'), text: li.textContent ?? '' })));
    expect(items.map((item) => item.href)).toEqual(guidePaths);
    for (const item of items) expect(item.text).toMatch(/\?$/);
    await page.close();
  });

  test('"What is executed" gives the counts of the pages’ blocks and every norun reason', async () => {
    const blocks = pages.flatMap((p) => p.blocks.map((block) => ({ ...block, path: p.path })));
    const norun = blocks.filter((block) => block.meta.norun !== null);
    const page = await browser.newPage();
    await page.goto(`${baseURL}/`);
    const summary = page.locator('[data-execution-summary]');
    const count = async (name: string) => Number(await summary.locator(`[data-count="${name}"]`).textContent());
    expect(await count('executed')).toBe(blocks.length - norun.length);
    expect(await count('pyodide')).toBe(blocks.filter((b) => b.meta.norun === null && b.meta.runtime !== 'native').length);
    const listed = await summary
      .locator('.execution-norun li')
      .evaluateAll((lis) => lis.map((li) => ({ href: li.querySelector('a')?.getAttribute('href') ?? '', text: li.textContent ?? '' })));
    expect(listed).toHaveLength(norun.length);
    norun.forEach((block, i) => {
      expect(listed[i]!.href.startsWith(block.path)).toBe(true);
      expect(listed[i]!.text.endsWith(`: ${block.meta.norun}`)).toBe(true);
    });
    await page.close();
  });
});

describe('the 404 page', () => {
  test('a missing address answers 404, names it, and links the home page and every guide page', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${baseURL}/exit-semantic/`);
    expect(response?.status()).toBe(404);
    expect(await page.locator('h1').textContent()).toMatch(/404/);
    expect(await page.locator('[data-not-found-path]').textContent()).toBe('/exit-semantic/');
    const links = await page.locator('.sl-markdown-content a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(links).toContain('/');
    for (const path of guidePaths) expect(links).toContain(path);
    await page.close();
  });

  test('its search button, from the keyboard, searches the words of the missing address', async () => {
    const page = await browser.newPage();
    await page.goto(`${baseURL}/exit-semantic/`);
    const button = page.locator('[data-not-found-search]');
    expect(await button.textContent()).toBe('Search the site for “exit semantic”');
    await button.focus();
    await page.keyboard.press('Enter');
    const field = page.locator('dialog[open] input[type="search"], dialog[open] .pagefind-ui__search-input').first();
    await field.waitFor();
    await expect.poll(() => field.inputValue()).toBe('exit semantic');
    const result = page.locator('dialog[open] .pagefind-ui__result-link').first();
    await result.waitFor({ timeout: 15_000 });
    expect(await result.getAttribute('href')).toMatch(/^\/exit-semantics\/(#.*)?$/);
    await page.close();
  });

  test('without JavaScript it still lists every guide page, and shows no dead search button', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${baseURL}/no-such-page/`);
    const links = await page.locator('.not-found-pages a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(links).toEqual(guidePaths);
    expect(await page.locator('[data-not-found-search]').isVisible()).toBe(false);
    await context.close();
  });
});

test('the sitemap and the canonical links use the site URL the build was given, and only it', async () => {
  const site = await builtSite();
  expect(site, 'dist/ has no canonical link: build it with SITE_URL set (the e2e setup does: delete dist/)').toBeDefined();
  const index = await readFile(`${DIST}/sitemap-index.xml`, 'utf8');
  expect(index).toContain(`<loc>${site}/sitemap-0.xml</loc>`);
  const sitemap = await readFile(`${DIST}/sitemap-0.xml`, 'utf8');
  const locs = [...sitemap.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]);
  expect(locs.sort()).toEqual(pages.map((p) => `${site}${p.path}`).sort());
  const page = await browser.newPage();
  for (const { path } of pages) {
    await page.goto(baseURL + path);
    expect(await page.locator('link[rel="canonical"]').getAttribute('href')).toBe(`${site}${path}`);
  }
  await page.close();
});

test('no built file publishes a placeholder address, and without EDIT_URL no page has an edit link', async () => {
  const found: string[] = [];
  for (const entry of await readdir(DIST, { recursive: true, withFileTypes: true })) {
    // What is published as an address: pages, the sitemap, robots.txt, _headers (Pagefind's own
    // scripts use example.com as a URL base internally, which no reader sees).
    if (!entry.isFile() || !/\.(html|xml|txt)$|^_headers$/.test(entry.name)) continue;
    const file = join(entry.parentPath, entry.name);
    const text = await readFile(file, 'utf8');
    for (const placeholder of ['example.org', 'example.com', 'github.com/example/'])
      if (text.includes(placeholder)) found.push(`${file.slice(DIST.length + 1)}: ${placeholder}`);
  }
  expect(found).toEqual([]);
  const page = await browser.newPage();
  for (const { path } of pages) {
    await page.goto(baseURL + path);
    expect(await page.locator('.sl-editlink, a[href*="/edit/"]').count(), path).toBe(0);
  }
  await page.close();
});

test('every internal link and fragment of the built site resolves', async () => {
  const broken = await checkInternalLinks(DIST, await builtSite(), '/');
  expect(broken.map((b) => `dist/${b.page}: ${b.url} (${b.reason})`)).toEqual([]);
});

test('the link check catches a missing page, a missing fragment and a missing asset', async () => {
  const SITE = 'https://finally-verified.test';
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
