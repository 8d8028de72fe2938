// @ts-check
import starlight from '@astrojs/starlight';
import { defineConfig } from 'astro/config';
import { devVerify } from './src/integrations/dev-verify.ts';
import { examples } from './src/integrations/remark-examples.ts';
import { runtime } from './src/integrations/runtime.ts';

/** Placeholder repository: edit links are `${REPO}/edit/main/content/<page>.mdx`. */
const REPO = 'https://github.com/example/finally-verified';

export default defineConfig({
  // Absolute URL of the deployed site: required for the sitemap and canonical URLs.
  site: 'https://finally-verified.example.org',
  integrations: [
    // Starlight brings @astrojs/mdx (as mdx({ optimize: true })), Expressive Code, the sitemap
    // and Pagefind itself: listing them here again would replace its settings with ours.
    starlight({
      title: 'finally, verified',
      description: 'How Python’s try/finally really behaves, with examples that are executed at build time and whose output is checked.',
      editLink: { baseUrl: `${REPO}/edit/main/` },
      // Explicit slugs: a reading order, and a build error if a page goes missing.
      sidebar: [{ label: 'Guide', items: ['finally', 'finally-vs-with', 'exit-semantics', 'generators-async', 'myths'] }],
      customCss: ['./src/styles/examples.css', './src/client/runner.css'],
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
