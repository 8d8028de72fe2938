/**
 * The page the service worker (service-worker.ts) shows, with no network, for a page of the site
 * that was never read on this device: instead of the browser's error page, it says so and links
 * the pages that were saved (read from the service worker's cache by a small script, in the site's
 * own origin). Self-contained: no stylesheet or script of its own, since nothing else may be cached.
 */

/** What {@link offlinePageHtml} needs. */
export interface OfflinePageOptions {
  /** The site's base path, ending in `/`. */
  base: string;
  /** The site's title, e.g. `finally, verified`. */
  siteTitle: string;
  /** Prefix of the names of the service worker's caches of pages (`site-`). */
  cachePrefix: string;
}

/**
 * The offline page's HTML.
 * @returns a whole document (UTF-8), to be written to `dist/offline.html`.
 */
export function offlinePageHtml({ base, siteTitle, cachePrefix }: OfflinePageOptions): string {
  const json = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');
  const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  // Saved pages: documents (not assets) of this site in a page cache, by URL, with their <title>.
  const script = `(async () => {
  const base = ${json(base)}, prefix = ${json(cachePrefix)};
  const list = document.getElementById('saved');
  const found = new Map();
  for (const name of await caches.keys()) {
    if (!name.startsWith(prefix)) continue;
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const url = new URL(request.url);
      if (url.origin !== location.origin || !url.pathname.startsWith(base) || !/(\\/|\\.html)$/.test(url.pathname)) continue;
      if (url.pathname === base + 'offline.html' || found.has(url.pathname)) continue;
      const response = await cache.match(request, { ignoreVary: true });
      if (!response || !(response.headers.get('Content-Type') || '').startsWith('text/html')) continue;
      const title = new DOMParser().parseFromString(await response.text(), 'text/html').title || url.pathname;
      found.set(url.pathname, title);
    }
  }
  for (const [path, title] of [...found].sort((a, b) => a[0].localeCompare(b[0]))) {
    const item = document.createElement('li');
    const link = document.createElement('a');
    link.href = path;
    link.textContent = title;
    item.append(link);
    list.append(item);
  }
  document.getElementById(found.size ? 'some' : 'none').hidden = false;
})();`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Offline | ${escapeHtml(siteTitle)}</title>
<style>
:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }
body { max-width: 40rem; margin: 3rem auto; padding: 0 1rem; }
a { color: LinkText; }
button { font: inherit; padding: 0.3rem 0.9rem; }
</style>
</head>
<body>
<main>
<h1>You are offline</h1>
<p>This page has not been read on this device yet, so it was not saved and cannot be shown without a network connection.</p>
<div id="some" hidden>
<p>The pages you have read are saved and open offline:</p>
<ul id="saved"></ul>
</div>
<p id="none" hidden>No page of this site is saved on this device yet.</p>
<p><button type="button" onclick="location.reload()">Try again</button></p>
</main>
<script>${script}</script>
</body>
</html>
`;
}
