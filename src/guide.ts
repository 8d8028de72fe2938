/**
 * The guide's pages in reading order, by slug (`content/<slug>.mdx`, served at `/<slug>/`). The
 * sidebar (astro.config.mjs) and the 404 page (src/pages/404.astro) both list them from here, so a
 * new page added once appears in both; a slug without its file fails the build (Starlight).
 */
export const GUIDE_PAGES: readonly string[] = ['finally', 'finally-vs-with', 'exit-semantics', 'generators-async', 'myths'];
