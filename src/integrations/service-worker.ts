/**
 * The service worker written to `dist/sw.js` by runtime.ts, so a page read once (and its examples,
 * once run) works offline. It caches only what the reader's browser fetched anyway, as it is
 * fetched: no pre-caching, so Pyodide's bytes still load only when the reader first runs something.
 *
 * - Pyodide's versioned folder and Astro's hashed `_astro/` assets: cache first (their URLs change
 *   whenever their contents do). The runtime has its own cache named by its path, kept across builds.
 * - Everything else of the site (pages, search index): network first, the cache when offline.
 * - A `{ type: 'cache', urls }` message caches URLs that were fetched before this worker controlled
 *   the page (the first visit); the reply, on the message's port, says when they are stored.
 *
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
}

/** The script's source text. */
export function serviceWorkerSource({ base, runtimePath, buildId }: ServiceWorkerOptions): string {
  return `// Written by src/integrations/service-worker.ts at build time; see there.
const BASE = ${JSON.stringify(base)};
const RUNTIME = ${JSON.stringify(runtimePath)};
const SITE_CACHE = ${JSON.stringify(`site-${buildId}`)};
const RUNTIME_CACHE = ${JSON.stringify(`runtime-${runtimePath}`)};

self.addEventListener('install', () => self.skipWaiting());

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== SITE_CACHE && name !== RUNTIME_CACHE) await caches.delete(name);
    }
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

async function cacheFirst(request, url) {
  const cache = await caches.open(cacheFor(url));
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (storable(url, response)) await cache.put(request, response.clone());
  return response;
}

async function networkFirst(request, url) {
  const cache = await caches.open(cacheFor(url));
  try {
    const response = await fetch(request);
    if (storable(url, response)) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const hit = await cache.match(request, { ignoreSearch: request.mode === 'navigate' });
    if (hit) return hit;
    throw error;
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || request.headers.has('range')) return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith(BASE)) return;
  event.respondWith(immutable(url) ? cacheFirst(request, url) : networkFirst(request, url));
});

self.addEventListener('message', (event) => {
  const data = event.data;
  if (!data || data.type !== 'cache' || !Array.isArray(data.urls)) return;
  event.waitUntil((async () => {
    for (const href of data.urls) {
      try {
        const url = new URL(href, self.location.href);
        if (url.origin !== self.location.origin || !url.pathname.startsWith(BASE)) continue;
        const cache = await caches.open(cacheFor(url));
        if (await cache.match(url.href)) continue;
        const response = await fetch(url.href);
        if (storable(url, response)) await cache.put(url.href, response);
      } catch {
        // Offline or gone: it will be cached when next fetched.
      }
    }
    event.ports[0]?.postMessage({ type: 'cached' });
  })());
});
`;
}
