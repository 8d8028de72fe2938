/**
 * Global setup of the e2e project (vitest.config.ts): build the site with `npx astro build` when
 * dist/ is missing or older than its sources (the verify step is left to the other tests), then
 * serve dist/ on a free port, twice: as a host configured by dist/_headers would (cross-origin
 * isolated), and without the isolation headers (for the Stop-without-isolation test).
 *
 * The build runs with LINK_CHECK=warn so a broken link in content does not hide every browser
 * test; site.test.ts reports broken links as its own failure.
 */
import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ROOT, DIST } from './paths.ts';
import { serveStatic, type StaticServer } from './server.ts';

declare module 'vitest' {
  interface ProvidedContext {
    /** The isolated server's origin, e.g. `http://127.0.0.1:41234`. */
    baseURL: string;
    /** The same files without the cross-origin isolation headers. */
    plainURL: string;
  }
}

/** Newest modification time under the given files and folders (0 when none exist). */
async function newest(paths: string[]): Promise<number> {
  let latest = 0;
  for (const path of paths) {
    const info = await stat(path).catch(() => null);
    if (!info) continue;
    if (info.isFile()) latest = Math.max(latest, info.mtimeMs);
    else {
      for (const entry of await readdir(path, { recursive: true, withFileTypes: true })) {
        if (entry.isFile()) latest = Math.max(latest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
      }
    }
  }
  return latest;
}

/** True when dist/ is missing or older than anything it is built from. */
export async function distIsStale(): Promise<boolean> {
  // sw.js is written last, by the runtime integration's build:done hook: a build that failed has none.
  const built = await stat(join(DIST, 'sw.js')).catch(() => null);
  if (!built) return true;
  const sources = ['src', 'content', 'public', 'astro.config.mjs', 'package.json', 'node_modules/pyodide/package.json'];
  return (await newest(sources.map((p) => join(ROOT, p)))) > built.mtimeMs;
}

/** `npx astro build`, with its output shown only when it fails. */
export function buildSite(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['astro', 'build'], {
      cwd: ROOT,
      // Vitest sets NODE_ENV=test, which would make Astro build with import.meta.env.DEV true
      // (Starlight then renders its development-only search placeholder).
      // SITE_URL: a site address (RFC 6761's reserved .test), so the sitemap and canonical links are
      // built and checked (site.test.ts); EDIT_URL stays unset, so no page may show an edit link.
      env: { ...process.env, NODE_ENV: 'production', LINK_CHECK: 'warn', NO_COLOR: '1', SITE_URL: E2E_SITE_URL, EDIT_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`npx astro build failed (${code}):\n${output.slice(-4000)}`))));
  });
}

/** The SITE_URL the site is built with for the browser tests. */
export const E2E_SITE_URL = 'https://finally-verified.test/';

let servers: StaticServer[] = [];

export async function setup(project: TestProject): Promise<void> {
  if (await distIsStale()) await buildSite();
  servers = [await serveStatic(DIST), await serveStatic(DIST, { isolate: false })];
  project.provide('baseURL', servers[0]!.url);
  project.provide('plainURL', servers[1]!.url);
}

export async function teardown(): Promise<void> {
  await Promise.all(servers.map((s) => s.close()));
}
