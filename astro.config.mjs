// @ts-check
import starlight from '@astrojs/starlight';
import { defineConfig } from 'astro/config';
import { GUIDE_PAGES } from './src/guide.ts';
import { devVerify } from './src/integrations/dev-verify.ts';
import { examples } from './src/integrations/remark-examples.ts';
import { runtime } from './src/integrations/runtime.ts';
import { readSiteSettings } from './src/site-settings.ts';

// Where the site is published (SITE_URL) and where pages are edited (EDIT_URL): environment
// variables, unset by default, so that no placeholder address is ever published (README.md,
// "Publishing the site"). A bad value stops here with a one-line error naming the variable.
const { site, editBaseUrl } = readSiteSettings(process.env);
if (!site && process.argv.includes('build')) {
  console.warn('SITE_URL is not set: building without a sitemap and canonical links (README.md, "Publishing the site")');
}

export default defineConfig({
  // Absolute URL of the deployed site: the sitemap and canonical URLs are built from it; without
  // it Astro publishes neither.
  site,
  integrations: [
    // Starlight brings @astrojs/mdx (as mdx({ optimize: true })), Expressive Code, the sitemap
    // and Pagefind itself: listing them here again would replace its settings with ours.
    starlight({
      title: 'finally, verified',
      description: 'How Python’s try/finally really behaves, with examples that are executed at build time and whose output is checked.',
      // "Edit page" goes to `${EDIT_URL}content/<page>.mdx`; without EDIT_URL no page shows one.
      editLink: editBaseUrl ? { baseUrl: editBaseUrl } : {},
      // Explicit slugs: a reading order, and a build error if a page goes missing.
      sidebar: [{ label: 'Guide', items: [...GUIDE_PAGES] }],
      // Our 404 page (src/pages/404.astro) links every guide page and search; Starlight's own
      // would also look for a `404` content entry on every build.
      disable404Route: true,
      customCss: ['./src/styles/examples.css', './src/client/runner.css', './src/client/stepper.css'],
      // Long code lines wrap (with their indentation) instead of scrolling sideways: nothing on a
      // page needs a horizontal scroll or an extra tab stop. `wrap=false` on a fence opts out.
      expressiveCode: { defaultProps: { wrap: true } },
      // Starlight only runs its Markdown transforms (asides, heading anchors) under
      // src/content/docs/ unless told about other content folders.
      markdown: { processedDirs: ['./content'] },
    }),
    // Our examples transform, added to the Markdown processor that renders .md and .mdx: Astro 7's
    // default processor is Sätteri, which ignores markdown.remarkPlugins (see remark-examples.ts).
    examples(),
    // Run buttons: self-hosted Pyodide under /pyodide/<version>/, cross-origin isolation headers
    // (dev, preview, and a _headers file), the client script, a service worker for offline reading,
    // and a build-time check that every internal link resolves.
    runtime(),
    // `astro dev` only: re-verifies a page's examples when it is saved, shows drift on the page
    // with a re-record button, and in the terminal with file:line (see CONTRIBUTING.md).
    devVerify(),
  ],
});
