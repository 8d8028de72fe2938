/**
 * The service worker written to `dist/sw.js` by runtime.ts, so a page read once (and its examples,
 * once run) works offline. It caches only what the reader's browser fetched anyway, as it is
 * fetched: no pre-caching, so Pyodide's bytes still load only when the reader first runs something.
 *
 * - Pyodide's versioned folder and Astro's hashed `_astro/` assets: cache first (their URLs change
 *   whenever their contents do). The runtime has its own cache named by its path, kept across builds.
 * - Except the runner's files (Pyodide's folder, the build's memory snapshot, the runner worker's
 *   module `_astro/worker-*.js`: ≈28 MB) while they are not stored: the worker leaves those
 *   requests to the browser (no `respondWith`), so that the first Run reads them straight from the
 *   network and the HTTP cache, not through this worker's thread and a Cache Storage write at the
 *   same time (≈0.4 s of a first Run on 2 busy cores). The runner host asks for them to be stored
 *   once Python started (`cache` message below), with the bytes the page fetched, so they are not
 *   fetched again. To tell stored from not stored in the fetch event itself, the worker lists the
 *   stored ones when it starts; a request that comes before that list is read waits for it.
 * - Everything else of the site (pages, search index): network first, the cache when offline.
 * - A `{ type: 'cache', urls, bodies }` message caches URLs that were fetched before this worker
 *   controlled the page (the first visit), each runner file among them from its body in `bodies`
 *   (`[url, Blob]` pairs) when given; with `editor: true` (the runner host sends it once Python
 *   ran) the editor's chunks too, so that Edit works offline after a first Run even if the editor
 *   was never opened, and no reader who never ran anything loads them. The reply, on the
 *   message's port, says when they are stored.
 * - The first request of the search index (Pagefind's folder) caches the whole index, so that any
 *   search works offline once one was made.
 * - A page never read, asked for offline, gets the offline page (offline-page.ts, cached when the
 *   worker installs) with status 503, instead of the browser's error page.
 *
 * Stored copies are matched with `ignoreVary`: a server may send `Vary: Origin` (astro preview
 * does), and a module script's request carries an `Origin` header that the request a copy was
 * stored under (a navigation, a `cache` message) did not, so a strict match finds nothing offline
 * (Service Workers: "Request Matches Cached Item"). Every file here has one content per URL.
 * Responses keep their headers in the cache, so pages served offline are still cross-origin isolated.
 */

/** Values baked into the script. */
export interface ServiceWorkerOptions {
  /** The site's base path, ending in `/`. */
  base: string;
  /** The runtime folder, e.g. `/pyodide/314.0.7/`. */
  runtimePath: string;
  /** Id of the build: names the cache of pages and assets. */
  buildId: string;
  /** Absolute path of the offline page, e.g. `/offline.html` (offline-page.ts). */
  offlinePath: string;
  /** Absolute paths of the editor's chunks (`/_astro/…`), cached once Python ran. */
  editorAssets: readonly string[];
  /** Absolute paths of every file of the search index (`/pagefind/…`), cached once it is used. */
  searchAssets: readonly string[];
}

/** Prefix of the name of the cache of pages and assets (`site-<buildId>`). */
export const SITE_CACHE_PREFIX = 'site-';

/** The script's source text. */
export function serviceWorkerSource(options: ServiceWorkerOptions): string {
  const { base, runtimePath, buildId, offlinePath, editorAssets, searchAssets } = options;
  return `// Written by src/integrations/service-worker.ts at build time; see there.
const BASE = ${JSON.stringify(base)};
const RUNTIME = ${JSON.stringify(runtimePath)};
const SITE_CACHE = ${JSON.stringify(`${SITE_CACHE_PREFIX}${buildId}`)};
const RUNTIME_CACHE = ${JSON.stringify(`runtime-${runtimePath}`)};
const OFFLINE_PAGE = ${JSON.stringify(offlinePath)};
const EDITOR_ASSETS = ${JSON.stringify(editorAssets)};
const SEARCH_ASSETS = ${JSON.stringify(searchAssets)};
const SEARCH = BASE + 'pagefind/';
const MATCH = { ignoreVary: true };

/** URLs of the runner's big files in the caches (see runnerFile), or null until listed. */
let storedRunnerFiles = null;

/** Pyodide's folder, the build's memory snapshot and the runner worker's module: what a first Run fetches. */
function runnerFile(url) {
  const asset = url.pathname.startsWith(BASE + '_astro/') ? url.pathname.slice(BASE.length + 7) : null;
  return url.pathname.startsWith(RUNTIME) || (asset !== null && (asset.endsWith('.snapshot') || asset.startsWith('worker-')));
}

async function listRunnerFiles() {
  const stored = new Set();
  for (const name of [RUNTIME_CACHE, SITE_CACHE]) {
    if (!(await caches.has(name))) continue;
    for (const request of await (await caches.open(name)).keys()) {
      if (runnerFile(new URL(request.url))) stored.add(request.url);
    }
  }
  storedRunnerFiles = stored;
}
let listing = listRunnerFiles().catch(() => {});

self.addEventListener('install', (event) => {
  self.skipWaiting();
  // The offline page, for pages never read; an install without network goes on without it.
  event.waitUntil(caches.open(SITE_CACHE).then((cache) => cache.add(OFFLINE_PAGE)).catch(() => {}));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== SITE_CACHE && name !== RUNTIME_CACHE) await caches.delete(name);
    }
    listing = listRunnerFiles().catch(() => {});
    await listing;
    await self.clients.claim();
  })());
});

function cacheFor(url) {
  return url.pathname.startsWith(RUNTIME) ? RUNTIME_CACHE : SITE_CACHE;
}

function immutable(url) {
  return url.pathname.startsWith(RUNTIME) || url.pathname.startsWith(BASE + '_astro/');
}

function storable(url, response) {
  return response.ok && response.status === 200 && response.type === 'basic' && url.pathname !== BASE + 'sw.js';
}

async function cacheFirst(event, request, url) {
  const cache = await caches.open(cacheFor(url));
  const hit = await cache.match(request, MATCH);
  if (hit) return hit;
  const response = await fetch(request);
  // Stored while the page reads it: awaiting the store first held each response until its whole
  // body was on disk (≈0.5 s for the 31 MB snapshot on the first Run).
  if (storable(url, response)) event.waitUntil(cache.put(request, response.clone()).then(() => noteStored(url), () => {}));
  return response;
}

async function networkFirst(request, url) {
  const cache = await caches.open(cacheFor(url));
  try {
    const response = await fetch(request);
    if (storable(url, response)) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    // Pagefind asks for its entry file with a cache-busting query (\`?ts=<time>\`): any stored copy will do offline.
    const hit = await cache.match(request, { ...MATCH, ignoreSearch: request.mode === 'navigate' || url.pathname.startsWith(SEARCH) });
    if (hit) return hit;
    if (request.mode === 'navigate') {
      const offline = await cache.match(OFFLINE_PAGE, MATCH);
      if (offline) return new Response(offline.body, { status: 503, statusText: 'Offline', headers: offline.headers });
    }
    throw error;
  }
}

/**
 * Store each of \`urls\` (absolute paths or URLs of this site) not stored yet; failures are left for
 * later. \`bodies\` maps URLs of runner files to the bytes the page fetched: stored as they are
 * instead of fetched again.
 */
async function store(urls, bodies = new Map()) {
  for (const href of urls) {
    try {
      const url = new URL(href, self.location.href);
      if (url.origin !== self.location.origin || !url.pathname.startsWith(BASE)) continue;
      const cache = await caches.open(cacheFor(url));
      if (await cache.match(url.href, MATCH)) continue;
      const body = runnerFile(url) ? bodies.get(url.href) : undefined;
      const response = body ? new Response(body, { headers: { 'Content-Type': body.type } }) : await fetch(url.href);
      if (body || storable(url, response)) {
        await cache.put(url.href, response);
        noteStored(url);
      }
    } catch {
      // Offline or gone: it will be cached when next fetched.
    }
  }
}

function noteStored(url) {
  if (runnerFile(url)) storedRunnerFiles?.add(url.href);
}

let searchStored = null;

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || request.headers.has('range')) return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith(BASE)) return;
  if (runnerFile(url)) {
    // Not stored yet: the browser fetches it itself (see the top of service-worker.ts).
    if (storedRunnerFiles && !storedRunnerFiles.has(url.href)) return;
    // This worker has just started (the browser stops an idle one): once the list is read, a file
    // not stored is fetched without being stored here too (the page sends its bytes afterwards).
    if (!storedRunnerFiles) {
      const stored = () => !storedRunnerFiles || storedRunnerFiles.has(url.href); // unlisted: as before
      event.respondWith(listing.then(() => (stored() ? cacheFirst(event, request, url) : fetch(request))));
      return;
    }
  }
  event.respondWith(immutable(url) ? cacheFirst(event, request, url) : networkFirst(request, url));
  if (url.pathname.startsWith(SEARCH)) {
    searchStored ??= store(SEARCH_ASSETS);
    event.waitUntil(searchStored);
  }
});

self.addEventListener('message', (event) => {
  const data = event.data;
  if (!data || data.type !== 'cache' || !Array.isArray(data.urls)) return;
  event.waitUntil((async () => {
    const urls = data.urls.filter((href) => typeof href === 'string');
    const bodies = new Map(
      (Array.isArray(data.bodies) ? data.bodies : []).filter(
        (pair) => Array.isArray(pair) && typeof pair[0] === 'string' && pair[1] instanceof Blob,
      ),
    );
    await store(data.editor === true ? [...urls, ...EDITOR_ASSETS] : urls, bodies);
    event.ports[0]?.postMessage({ type: 'cached' });
  })());
});
`;
}
