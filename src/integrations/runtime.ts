/**
 * The in-browser runtime of the Run buttons, as an Astro integration:
 *
 * - Pyodide's files are self-hosted under a versioned path, `/pyodide/<version>/` (no CDN): copied
 *   from `node_modules/pyodide` into the build output, and served from there by the dev server.
 * - Every response of the dev and preview servers carries `Cross-Origin-Opener-Policy: same-origin`
 *   and `Cross-Origin-Embedder-Policy: require-corp`, so pages are cross-origin isolated, and so is
 *   the sandboxed runner frame they embed (src/client/frame.ts), whose interrupt buffer (a
 *   SharedArrayBuffer) lets Stop raise KeyboardInterrupt. Static hosts get the same headers from a
 *   `_headers` file (Netlify, Cloudflare Pages syntax). The frame requests nothing itself (the page
 *   fetches its files and posts them), so no CORS header is needed.
 * - The dev server serves the runner worker bundled into one module (`workerModule`): the frame
 *   imports it from a blob: URL, from which the dev server's module-by-module imports would not
 *   resolve (and Astro's dev server refuses cross-site requests, which an opaque origin's are).
 * - The runner's memory snapshot is made at build time (snapshot.ts) and written to
 *   `dist/_astro/python-<hash>.snapshot`; the client knows its path and hash, and every start
 *   restores it. On later pages Python starts in the background once it is cached (prestart.ts).
 * - A service worker (`/sw.js`) keeps what a reader loaded, runtime included, for offline reading,
 *   and serves `dist/offline.html` for pages never read (service-worker.ts, offline-page.ts).
 * - The client (src/client/examples.ts) is added to every page; it knows where the runtime is from
 *   the `__EXAMPLES_RUNTIME__` constant defined here.
 * - After the build, every internal link (href/src) of every page must resolve to a file in the
 *   output, and every fragment to an id in the target page; otherwise the build fails.
 */
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AstroIntegration } from 'astro';
import { offlinePageHtml } from './offline-page.ts';
import { SITE_CACHE_PREFIX, serviceWorkerSource } from './service-worker.ts';
import { makeRunnerSnapshot, type RunnerSnapshot } from './snapshot.ts';

/** The files a browser needs to run Pyodide without packages (what `loadPyodide` fetches or imports). */
export const PYODIDE_FILES = ['pyodide.mjs', 'pyodide.asm.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json'] as const;

/** Headers that make a page cross-origin isolated (SharedArrayBuffer, hence KeyboardInterrupt on Stop). */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** Cache policy of files whose URL changes whenever their content does (versioned or hashed). */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

const MIME: Record<string, string> = {
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.zip': 'application/zip',
  '.json': 'application/json; charset=utf-8',
};

/** What the client is told about the runtime (the `__EXAMPLES_RUNTIME__` constant). */
export interface RuntimeInfo {
  /** Pyodide's version, e.g. `314.0.7`. */
  version: string;
  /** Absolute path of the folder holding {@link PYODIDE_FILES}, ending in `/`, e.g. `/pyodide/314.0.7/`. */
  indexPath: string;
  /** Bytes of {@link PYODIDE_FILES}, which the page fetches for the runner frame on a cold start: for progress. */
  downloadBytes: number;
  /** Path of the service worker script, or null when none is registered (dev server). */
  serviceWorker: string | null;
  /** Dev server: path of the runner worker bundled into one module; null in a build (the host uses the worker chunk). */
  workerModule: string | null;
  /**
   * The runner's memory snapshot made at build time (snapshot.ts), which every start restores:
   * its absolute path, Subresource Integrity value and size in bytes (the shipped file, packed:
   * src/client/snapshot-pack.ts), and the snapshot's own length (`memoryBytes`). Null on the dev
   * server, where runner.py may change at any save: the worker loads Pyodide cold and takes its own snapshot.
   */
  snapshot: { path: string; integrity: string; bytes: number; memoryBytes: number } | null;
}

/** The installed `pyodide` package's folder and version. */
export async function pyodidePackage(): Promise<{ dir: string; version: string }> {
  const dir = dirname(createRequire(import.meta.url).resolve('pyodide'));
  const { version } = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version: string };
  return { dir, version };
}

const withSlash = (path: string) => (path.endsWith('/') ? path : `${path}/`);

/** `_headers` for static hosts: isolation everywhere, long caching for versioned and hashed files. */
export function headersFile(base: string, runtimePath: string): string {
  const isolation = Object.entries(ISOLATION_HEADERS).map(([name, value]) => `  ${name}: ${value}`);
  return [
    '# Written by src/integrations/runtime.ts (Netlify / Cloudflare Pages syntax).',
    '/*',
    ...isolation,
    '  Cross-Origin-Resource-Policy: same-origin',
    `${runtimePath}*`,
    `  Cache-Control: ${IMMUTABLE}`,
    `${base}_astro/*`,
    `  Cache-Control: ${IMMUTABLE}`,
    `${base}sw.js`,
    '  Cache-Control: no-cache',
    '',
  ].join('\n');
}

/** Every file under `dir`, as paths relative to it with `/` separators. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
}

/** One broken internal link. */
export interface BrokenLink {
  /** The page holding the link, relative to the output folder. */
  page: string;
  url: string;
  reason: string;
}

/** Decode the few HTML entities that occur in attribute values. */
function decodeAttribute(value: string): string {
  return value
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}

/**
 * Check every internal `href` and `src` of every HTML page in `dir`: the target must be a file of the
 * output (a folder URL meaning its index.html), and a fragment must name an id of the target page.
 *
 * @param dir the build output folder.
 * @param site the site URL (links to it count as internal), or undefined.
 * @param base the configured base path, ending in `/`.
 * @returns the broken links, empty when all resolve.
 */
export async function checkInternalLinks(dir: string, site: string | undefined, base: string): Promise<BrokenLink[]> {
  const files = new Set(await listFiles(dir));
  const pages = [...files].filter((f) => f.endsWith('.html'));
  const html = new Map<string, string>();
  for (const page of pages) html.set(page, await readFile(join(dir, page), 'utf8'));
  const idsCache = new Map<string, Set<string>>();
  const ids = (page: string): Set<string> => {
    let set = idsCache.get(page);
    if (!set) {
      set = new Set([...html.get(page)!.matchAll(/\sid="([^"]*)"/g)].map((m) => decodeAttribute(m[1]!)));
      idsCache.set(page, set);
    }
    return set;
  };
  const origin = 'http://internal.invalid';
  const siteOrigin = site ? new URL(site).origin : null;
  const broken: BrokenLink[] = [];
  for (const page of pages) {
    const pageUrl = new URL(`${base}${page.replace(/(^|\/)index\.html$/, '$1')}`, origin);
    // Skip inline scripts: their text is not markup. The 404 page is served at any missing URL, so
    // its canonical URL (Starlight writes /404/) names no file; it is not a link readers follow.
    let text = html.get(page)!.replace(/<script\b[^>]*>[\s\S]*?<\/script>/g, (tag) => tag.slice(0, tag.indexOf('>') + 1));
    if (page === '404.html') text = text.replace(/<link\b[^>]*\brel="canonical"[^>]*>/g, '');
    for (const match of text.matchAll(/\s(?:href|src)="([^"]*)"/g)) {
      const raw = decodeAttribute(match[1]!);
      if (raw === '' || /^(mailto|tel|javascript|data):/i.test(raw)) continue;
      let url: URL;
      try {
        url = new URL(raw, pageUrl);
      } catch {
        broken.push({ page, url: raw, reason: 'not a valid URL' });
        continue;
      }
      if (siteOrigin && url.origin === siteOrigin) url = new URL(url.pathname + url.search + url.hash, origin);
      if (url.origin !== origin) continue;
      let path = decodeURIComponent(url.pathname);
      if (!path.startsWith(base)) {
        broken.push({ page, url: raw, reason: `outside the base path ${base}` });
        continue;
      }
      path = path.slice(base.length);
      const candidates = path === '' || path.endsWith('/') ? [`${path}index.html`] : [path, `${path}/index.html`, `${path}.html`];
      const target = candidates.find((c) => files.has(c));
      if (!target) {
        broken.push({ page, url: raw, reason: `no file ${candidates.map((c) => `dist/${c}`).join(' or ')}` });
        continue;
      }
      const fragment = decodeURIComponent(url.hash.slice(1));
      if (fragment && target.endsWith('.html') && !ids(target).has(fragment)) {
        broken.push({ page, url: raw, reason: `no element with id "${fragment}" in dist/${target}` });
      }
    }
  }
  return broken;
}

/** Set the isolation headers (and CORP, for workers and module scripts) on a response. */
function isolate(res: ServerResponse): void {
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) res.setHeader(name, value);
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/**
 * The integration. List it after Starlight in `astro.config.mjs`.
 * @param options.checkLinks what a broken internal link does to the build: `'error'` (default) fails
 *   it, `'warn'` only logs; the environment variable `LINK_CHECK=warn` overrides the default (the e2e
 *   tests build that way and report broken links as a failing test instead).
 * @param options.siteTitle the site's title, for the offline page (default `finally, verified`).
 */
export function runtime(options: { checkLinks?: 'error' | 'warn'; siteTitle?: string } = {}): AstroIntegration {
  let pkg: { dir: string; version: string };
  let base = '/';
  let site: string | undefined;
  let runtimePath = '';
  let snapshot: RunnerSnapshot | null = null;
  const editorEntry = fileURLToPath(new URL('../client/editor.ts', import.meta.url));
  /** The client's chunks that make up the editor (editor.ts and what it imports), as `_astro/…` file names. */
  const editorChunks = new Set<string>();
  return {
    name: 'finally-verified:runtime',
    hooks: {
      'astro:config:setup': async ({ config, command, updateConfig, injectScript }) => {
        pkg = await pyodidePackage();
        base = withSlash(config.base || '/');
        site = config.site;
        runtimePath = `${base}pyodide/${pkg.version}/`;
        let downloadBytes = 0;
        for (const file of PYODIDE_FILES) {
          downloadBytes += (await stat(join(pkg.dir, file))).size;
        }
        // Made before the client is bundled: its path and hash are compiled into the client.
        snapshot = command === 'build' ? await makeRunnerSnapshot() : null;
        const info: RuntimeInfo = {
          version: pkg.version,
          indexPath: runtimePath,
          downloadBytes,
          serviceWorker: command === 'build' ? `${base}sw.js` : null,
          workerModule: command === 'build' ? null : `${base}__runner/worker.js`,
          snapshot: snapshot
            ? {
                path: `${base}_astro/${snapshot.fileName}`,
                integrity: snapshot.integrity,
                bytes: snapshot.bytes.length,
                memoryBytes: snapshot.memoryBytes,
              }
            : null,
        };
        const files = new Map(PYODIDE_FILES.map((f) => [`${runtimePath}${f}`, join(pkg.dir, f)]));
        const define = { __EXAMPLES_RUNTIME__: JSON.stringify(info) };
        updateConfig({
          // Astro applies these to its pages in dev and to every response of `astro preview`.
          server: { headers: { ...ISOLATION_HEADERS, 'Cross-Origin-Resource-Policy': 'same-origin' } },
          vite: {
            define,
            // The runner worker is a module worker; ES output keeps its `import()` of pyodide.mjs.
            worker: { format: 'es' },
            plugins: [
              {
                // The editor's chunks, for the service worker (cached once Python ran, so Edit works offline).
                name: 'finally-verified:editor-chunks',
                apply: 'build',
                generateBundle(_options, bundle) {
                  const chunks = new Map(Object.values(bundle).flatMap((o) => (o.type === 'chunk' ? [[o.fileName, o] as const] : [])));
                  const add = (fileName: string) => {
                    if (editorChunks.has(fileName) || !fileName.startsWith('_astro/')) return;
                    editorChunks.add(fileName);
                    for (const imported of chunks.get(fileName)?.imports ?? []) add(imported);
                  };
                  for (const chunk of chunks.values()) if (chunk.moduleIds.includes(editorEntry)) add(chunk.fileName);
                },
              },
              {
                name: 'finally-verified:runtime-dev',
                // Runs before Vite's own middlewares: isolation headers on every dev response (module
                // scripts and the worker included, which COEP requires), the runtime files, and the
                // bundled worker module (rebuilt after any change of a watched file).
                configureServer(server) {
                  const worker = devWorkerBundle(fileURLToPath(new URL('../client/worker.ts', import.meta.url)), define);
                  server.watcher.on('all', () => worker.invalidate());
                  server.middlewares.use((req, res, next) => {
                    isolate(res);
                    const path = (req.url ?? '').split('?')[0]!;
                    if (path === info.workerModule) {
                      worker.code().then(
                        (code) => {
                          res.setHeader('Content-Type', MIME['.js']!);
                          res.setHeader('Cache-Control', 'no-cache');
                          res.end(code);
                        },
                        (error: Error) => next(error),
                      );
                      return;
                    }
                    const file = files.get(path);
                    if (!file) return next();
                    res.setHeader('Content-Type', MIME[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream');
                    res.setHeader('Cache-Control', IMMUTABLE);
                    createReadStream(file).on('error', next).pipe(res);
                  });
                },
              },
            ],
          },
        });
        injectScript('page', `import ${JSON.stringify(fileURLToPath(new URL('../client/examples.ts', import.meta.url)))};`);
        // Python started in the background on later pages, once the runtime is cached (prestart.ts).
        injectScript('page', `import ${JSON.stringify(fileURLToPath(new URL('../client/prestart.ts', import.meta.url)))};`);
      },
      'astro:build:done': async ({ dir, logger }) => {
        const out = fileURLToPath(dir);
        const target = join(out, runtimePath.slice(base.length));
        await mkdir(target, { recursive: true });
        for (const file of PYODIDE_FILES) await copyFile(join(pkg.dir, file), join(target, file));
        logger.info(`Pyodide ${pkg.version} copied to ${relative(process.cwd(), target)}/`);
        if (snapshot) {
          await mkdir(join(out, '_astro'), { recursive: true });
          await writeFile(join(out, '_astro', snapshot.fileName), snapshot.bytes);
          logger.info(`runner snapshot written to dist/_astro/${snapshot.fileName}`);
        }
        await writeFile(join(out, '_headers'), headersFile(base, runtimePath));
        const offlinePath = `${base}offline.html`;
        await writeFile(
          join(out, 'offline.html'),
          offlinePageHtml({ base, siteTitle: options.siteTitle ?? 'finally, verified', cachePrefix: SITE_CACHE_PREFIX }),
        );
        const built = await listFiles(out);
        const assets = built.filter((f) => f.startsWith('_astro/')).sort();
        const editorAssets = [...editorChunks].filter((f) => assets.includes(f)).map((f) => base + f);
        if (!editorAssets.length)
          throw new Error('runtime.ts: no chunk of src/client/editor.ts in the build (the service worker would not cache the editor)');
        const searchAssets = built
          .filter((f) => f.startsWith('pagefind/'))
          .sort()
          .map((f) => base + f);
        const source = serviceWorkerSource({
          base,
          runtimePath,
          buildId: await buildId(out, assets),
          offlinePath,
          editorAssets,
          searchAssets,
        });
        await writeFile(join(out, 'sw.js'), source);
        const broken = await checkInternalLinks(out, site, base);
        if (broken.length) {
          const lines = broken.map((b) => `  dist/${b.page}: ${b.url} (${b.reason})`);
          const message = `${broken.length} broken internal link(s):\n${lines.join('\n')}`;
          const mode = process.env.LINK_CHECK === 'warn' ? 'warn' : (options.checkLinks ?? 'error');
          if (mode === 'error') throw new Error(`${message}\n(LINK_CHECK=warn builds anyway)`);
          logger.warn(message);
          return;
        }
        logger.info('internal links: all resolve');
      },
    },
  };
}

/**
 * The dev server's runner worker, bundled into one ES module with Vite's build API (on first
 * request, then again after {@link invalidate}).
 *
 * @param entry absolute path of src/client/worker.ts.
 * @param define the client's compile-time constants.
 * @returns `code()` resolving to the module's text (rejecting with the build error), and `invalidate()`.
 */
function devWorkerBundle(entry: string, define: Record<string, string>): { code(): Promise<string>; invalidate(): void } {
  let pending: Promise<string> | null = null;
  const bundle = async (): Promise<string> => {
    const { build } = await import('vite');
    const output = await build({
      configFile: false,
      logLevel: 'warn',
      publicDir: false,
      define,
      build: { write: false, minify: false, lib: { entry, formats: ['es'], fileName: 'worker' } },
    });
    const outputs = Array.isArray(output) ? output : [output];
    for (const result of outputs) {
      if (!('output' in result)) continue;
      const chunk = result.output.find((o) => o.type === 'chunk' && o.isEntry);
      if (chunk && chunk.type === 'chunk') return chunk.code;
    }
    throw new Error(`bundling ${entry} for the dev server gave no entry chunk`);
  };
  return {
    code() {
      pending ??= bundle().catch((error: unknown) => {
        pending = null;
        throw error;
      });
      return pending;
    },
    invalidate() {
      pending = null;
    },
  };
}

/** A short id of this build's contents, naming the service worker's cache. */
async function buildId(out: string, assets: string[]): Promise<string> {
  const { createHash } = await import('node:crypto');
  const hash = createHash('sha256').update(assets.join('\n'));
  for (const page of (await listFiles(out)).filter((f) => f.endsWith('.html')).sort()) {
    hash.update(page).update(await readFile(join(out, page)));
  }
  return hash.digest('hex').slice(0, 12);
}
