/**
 * Shared helpers of the browser tests: Chromium (Debian's, through playwright-core), the content
 * pages and their examples (read with the verifier's own extractor), and readers of the live
 * output panel (markup: src/client/session.ts).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { extractExamples, type ExampleBlock } from '../../src/examples/extract.ts';
import type { OutputChunk } from '../../src/examples/output.ts';
import { ROOT } from './paths.ts';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Start Debian's Chromium (or `CHROMIUM_PATH`) headless. */
export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** A content page: its file, its URL path on the site, its example blocks. */
export interface ContentPage {
  file: string;
  path: string;
  blocks: ExampleBlock[];
}

/** Every page of content/, with its examples as the verifier extracts them. */
export async function contentPages(): Promise<ContentPage[]> {
  const files = (await readdir(join(ROOT, 'content'))).filter((f) => /\.mdx?$/.test(f)).sort();
  const pages: ContentPage[] = [];
  for (const name of files) {
    const file = `content/${name}`;
    const { blocks } = extractExamples(file, await readFile(join(ROOT, file), 'utf8'));
    const slug = name.replace(/\.mdx?$/, '');
    pages.push({ file, path: slug === 'index' ? '/' : `/${slug}/`, blocks });
  }
  return pages;
}

/** The `div.example` of the python fence at `line`. */
export function exampleAt(page: Page, line: number): Locator {
  return page.locator(`div.example[data-example-line="${line}"]`);
}

/** What the live panel of an example shows. */
export interface LiveOutput {
  state: string | null;
  chunks: OutputChunk[];
  exitStatus: number | null;
  verdict: string | null;
  text: string;
  note: string;
}

/** Read an example's live panel: chunks as displayed (stream labels left out), exit status, verdict. */
export function readLive(example: Locator): Promise<LiveOutput> {
  return example.locator('.example-run').evaluate((panel: HTMLElement) => {
    const chunks = [...panel.querySelectorAll<HTMLElement>('pre.example-run-transcript > span[data-stream]')].map((span) => ({
      stream: span.dataset.stream as 'stdout' | 'stderr',
      text: [...span.childNodes]
        .filter((n) => n.nodeType === Node.TEXT_NODE)
        .map((n) => n.textContent)
        .join(''),
    }));
    const status = panel.dataset.exitStatus;
    return {
      state: panel.dataset.state ?? null,
      chunks,
      exitStatus: status === undefined ? null : Number(status),
      verdict: panel.querySelector<HTMLElement>('.example-run-verdict')?.dataset.verdict ?? null,
      text: panel.querySelector('pre.example-run-transcript')?.textContent ?? '',
      note: panel.querySelector('.example-run-note')?.textContent ?? '',
    };
  });
}

/** Wait until the example's run has ended (its panel leaves the `running` state). */
export async function waitForEnd(example: Locator, timeout = 60_000): Promise<void> {
  await example.locator('.example-run:not([data-state="running"])').waitFor({ timeout });
  await example.locator('example-runner:not([data-state="running"])').waitFor({ timeout });
}

/** Click Run and wait for the end of the run. */
export async function run(example: Locator, timeout?: number): Promise<LiveOutput> {
  await example.locator('.example-run-button').click();
  await waitForEnd(example, timeout);
  return readLive(example);
}

/** Open the editor of an example and replace its code. */
export async function editCode(page: Page, example: Locator, code: string): Promise<void> {
  const edit = example.locator('.example-edit-button');
  if (await edit.isVisible()) await edit.click();
  const content = example.locator('.cm-content');
  await content.waitFor();
  await content.focus();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(code);
}

/**
 * Open every closed disclosure in the page's content (`<details>`, e.g. an exercise's reference
 * solution; not Starlight's own, like the mobile table of contents) by clicking its summary, as a
 * reader would, so that the examples inside are visible. Works without JavaScript.
 */
export async function openDisclosures(page: Page): Promise<void> {
  // The locator is live: each click removes that disclosure from what it matches.
  const closed = page.locator('.sl-markdown-content details:not([open]) > summary');
  while ((await closed.count()) > 0) await closed.first().click();
}

/** A browser for one test file, with a fresh context per test (see {@link useBrowser}). */
export interface BrowserSession {
  /** A new context (closed after the test), e.g. with permissions or without JavaScript. */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
  /** A page at `url` in a new context (closed after the test). */
  open(url: string, options?: BrowserContextOptions): Promise<Page>;
}

/**
 * Register the hooks of a test file that uses Chromium: launch it once before all tests, close
 * every context a test opened after that test (so no state leaks between tests), close the browser
 * after all tests.
 * @returns the session to open contexts and pages with.
 */
export function useBrowser(): BrowserSession {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    browser = await launch();
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });
  afterAll(async () => {
    await browser?.close();
  });
  const newContext = async (options?: BrowserContextOptions) => {
    const context = await browser!.newContext(options);
    contexts.push(context);
    return context;
  };
  return {
    newContext,
    async open(url, options) {
      const page = await (await newContext(options)).newPage();
      await page.goto(url);
      return page;
    },
  };
}
