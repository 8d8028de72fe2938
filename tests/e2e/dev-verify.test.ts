/**
 * Live verification in `astro dev` (src/integrations/dev-verify.ts, src/client/dev-verify.ts), end
 * to end: a real dev server, real Pyodide, Chromium. A temporary page is written to content/ (and
 * removed afterwards); one character of a recorded output is changed while the page is open; the
 * drift badge must appear without a server restart, and its re-record button must restore the
 * output fence and clear the badge.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { launch } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// In a folder of its own: the other browser tests list content/*.mdx (not sub-folders) and expect
// each page in the built site, which this temporary page never is.
const DIR = join(ROOT, 'content', `zz-dev-fixture-${process.pid}`);
const SLUG = `zz-dev-fixture-${process.pid}/page`;
const FILE = join(DIR, 'page.mdx');

// `draft: true`: a production build running meanwhile leaves the page out.
const PAGE = `---
title: Dev verification fixture
description: A temporary page written by tests/e2e/dev-verify.test.ts; it is deleted when the test ends.
draft: true
---

A page with two examples.

\`\`\`python
print("hello from the fixture ${process.pid}")
print(6 * 7)
\`\`\`

\`\`\`output
hello from the fixture ${process.pid}
42
\`\`\`

\`\`\`python
import sys
print("to stderr", file=sys.stderr)
\`\`\`

\`\`\`output stderr="1"
to stderr
\`\`\`
`;

/** Line of the first python fence in PAGE (the example's id on the page). Its code is new on every run (the pid), so it really runs. */
const FIRST_EXAMPLE_LINE = 9;

let server: ChildProcess | null = null;
let serverLog = '';
let browser: Browser | null = null;
let page: Page;
let origin: string;
const pageLog: string[] = [];

/**
 * The environment without what Vitest sets: with VITEST set, Astro's dev server answers every page
 * with 404, and NODE_ENV=test is not a dev server's mode.
 */
function serverEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(VITEST|NODE_ENV$|TEST$)/.test(key)));
}

/** Start `astro dev` on a port Vite picks (from 4500 on) and read its address from the banner. */
function startServer(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['node_modules/astro/bin/astro.mjs', 'dev', '--host', '127.0.0.1', '--port', String(4500 + (process.pid % 400))],
      {
        cwd: ROOT,
        env: { ...serverEnv(), NO_COLOR: '1', FORCE_COLOR: '0', ASTRO_TELEMETRY_DISABLED: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    server = child;
    const timer = setTimeout(() => reject(new Error(`astro dev did not start in 60 s:\n${serverLog}`)), 60_000);
    const onData = (data: string) => {
      serverLog += data;
      const match = /Local\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(serverLog.replace(/\x1b\[[0-9;]*m/g, ''));
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.stderr!.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`astro dev exited with ${code}:\n${serverLog}`));
    });
  });
}

const summary = () => page.locator('.dev-verify-summary');
const badges = () => page.locator('.dev-verify');

beforeAll(async () => {
  await mkdir(DIR, { recursive: true });
  await writeFile(FILE, PAGE);
  origin = await startServer();
  browser = await launch();
  page = await browser.newPage();
  page.on('console', (message) => pageLog.push(`[console.${message.type()}] ${message.text()}`));
  page.on('pageerror', (error) => pageLog.push(`[pageerror] ${error.message}`));
});

afterEach((context) => {
  if (context.task.result?.state === 'fail') {
    console.error(`--- astro dev output ---\n${serverLog}\n--- browser console ---\n${pageLog.join('\n')}`);
  }
});

afterAll(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (server.exitCode === null) server.kill('SIGKILL');
  }
  await rm(DIR, { recursive: true, force: true });
});

test('drift shows next to the example while the dev server runs, and re-record clears it', { timeout: 90_000 }, async () => {
  const started = performance.now();
  // Right after start-up the content layer may still be indexing the new page: 404 until then.
  await expect.poll(async () => (await page.goto(`${origin}/${SLUG}/`))?.status(), { timeout: 30_000, interval: 500 }).toBe(200);
  await expect.poll(() => summary().textContent(), { timeout: 30_000 }).toContain('all 2 passed');
  await expect.poll(() => badges().count(), { timeout: 15_000 }).toBe(0);

  // Change one recorded character: "42" → "43" in the first output fence.
  const drifted = PAGE.replace(`${process.pid}\n42\n\`\`\``, `${process.pid}\n43\n\`\`\``);
  expect(drifted).not.toBe(PAGE);
  await writeFile(FILE, drifted);

  const badge = page.locator(`div.example[data-example-line="${FIRST_EXAMPLE_LINE}"] .dev-verify[data-status="drifted"]`);
  await badge.waitFor({ timeout: 30_000 });
  expect(await badge.locator('.dev-verify-badge').textContent()).toMatch(/output drifted/i);
  expect(await badge.locator('.dev-verify-where').textContent()).toBe(`content/${SLUG}.mdx:${FIRST_EXAMPLE_LINE}`);
  const diff = await badge.locator('.dev-verify-diff').textContent();
  expect(diff).toContain('-43');
  expect(diff).toContain('+42');
  await expect.poll(() => badges().count(), { timeout: 15_000 }).toBe(1);
  expect(serverLog).toContain(`content/${SLUG}.mdx:${FIRST_EXAMPLE_LINE}: recorded output drifted`);

  await page.getByRole('button', { name: 'Re-record this output' }).click();
  await expect.poll(() => readFile(FILE, 'utf8'), { timeout: 30_000 }).toBe(PAGE);
  await expect.poll(() => summary().textContent(), { timeout: 30_000 }).toContain('all 2 passed');
  await expect.poll(() => badges().count(), { timeout: 15_000 }).toBe(0);
  // The page shows the restored output (after its reload).
  await expect
    .poll(() => page.locator(`div.example[data-example-line="${FIRST_EXAMPLE_LINE}"] figure.example-output pre`).textContent(), {
      timeout: 15_000,
    })
    .toBe(`hello from the fixture ${process.pid}\n42`);
  console.log(`dev-verify e2e: ${((performance.now() - started) / 1000).toFixed(1)} s after the server started`);
});
