/**
 * Where the site is published and where its pages can be edited: the one place astro.config.mjs
 * reads them from. Both come from environment variables, so no address is written into the
 * sources and none is guessed: a placeholder address published as the canonical URL, in the
 * sitemap or behind "Edit page" would send readers and search engines to the wrong place.
 *
 * - `SITE_URL`: the absolute address the built site is served at (`https://docs.example.com/`).
 *   It becomes Astro's `site`: the sitemap and every page's `<link rel="canonical">` are built from
 *   it. Unset (the default): no sitemap and no canonical links are published.
 * - `EDIT_URL`: the address that a page's source path (`content/finally.mdx`) is appended to for
 *   its "Edit page" link, e.g. `https://github.com/<owner>/<repo>/edit/main/`. Unset (the
 *   default): no page shows an edit link.
 *
 * README.md, "Publishing the site", documents both.
 */

/** What the build publishes; `undefined` means "publish none" (see the module comment). */
export interface SiteSettings {
  /** Astro's `site`: an absolute http(s) URL ending in `/`, or undefined (no sitemap, no canonical links). */
  site: string | undefined;
  /** Starlight's `editLink.baseUrl`, ending in `/`, or undefined (no edit links). */
  editBaseUrl: string | undefined;
}

/** The environment variables read, by purpose. */
export const SITE_URL_VAR = 'SITE_URL';
export const EDIT_URL_VAR = 'EDIT_URL';

/**
 * Names reserved as placeholders (RFC 2606 and RFC 6761: example, example.com/.net/.org, invalid):
 * an address on them was copied from documentation and can never be the real one.
 */
const PLACEHOLDER_HOST = /(^|\.)(example(\.(com|net|org))?|invalid)$/i;

/**
 * Read one URL variable: empty or unset is undefined; otherwise it must be an absolute http(s)
 * URL on a real host, returned with a trailing `/` (Astro and Starlight append paths to it).
 * @throws Error naming the variable, its value and what to set, for a relative or malformed
 *   URL, another scheme, a query or fragment, or a placeholder host (example.org, *.invalid).
 */
function readUrl(name: string, value: string | undefined): string | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  const fix = `set ${name} to an absolute https:// address (see README.md, "Publishing the site"), or unset it`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${name}=${text} is not an absolute URL: ${fix}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${name}=${text} is not an http(s) URL: ${fix}`);
  if (url.search || url.hash) throw new Error(`${name}=${text} has a query or fragment, which pages would be appended after: ${fix}`);
  if (PLACEHOLDER_HOST.test(url.hostname)) throw new Error(`${name}=${text} is a placeholder address, not one readers can reach: ${fix}`);
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

/**
 * The site's publishing settings from the environment.
 * @param env the environment to read (`process.env` in astro.config.mjs); only `SITE_URL` and
 *   `EDIT_URL` are read.
 * @returns `{ site, editBaseUrl }`, each an absolute URL ending in `/` or undefined when unset.
 * @throws Error with a one-line message naming the variable when a value is not a usable address.
 */
export function readSiteSettings(env: Readonly<Record<string, string | undefined>>): SiteSettings {
  return { site: readUrl(SITE_URL_VAR, env[SITE_URL_VAR]), editBaseUrl: readUrl(EDIT_URL_VAR, env[EDIT_URL_VAR]) };
}
