/**
 * Content collections. Pages live in the top-level `content/` folder (not Starlight's default
 * `src/content/docs/`), so the docs collection uses Astro's glob loader over it with Starlight's
 * schema. Entry ids are paths relative to `content/` (`finally.mdx` → `finally`), and
 * `entry.filePath` is relative to the project root (`content/finally.mdx`), which is what
 * Starlight appends to `editLink.baseUrl`.
 */
// `astro:content` is declared by astro/client, which .astro/types.d.ts pulls in only after
// `astro sync`/`astro build`; referencing it here lets `tsc --noEmit` pass on a fresh checkout.
/// <reference types="astro/client" />
import { i18nLoader } from '@astrojs/starlight/loaders';
import { docsSchema, i18nSchema } from '@astrojs/starlight/schema';
import { glob } from 'astro/loaders';
import { z } from 'astro/zod';
import { defineCollection } from 'astro:content';

/**
 * Our frontmatter rules on top of Starlight's (see CONTRIBUTING.md, "Adding a page"). Each message
 * names the field; Astro prefixes it with the entry and the file (`… docs → finally data does not
 * match collection schema. … content/finally.mdx`).
 */
const pageFrontmatter = z.object({
  title: z
    .string({ error: (issue) => (issue.input === undefined ? 'title is required' : 'title must be text') })
    .trim()
    .min(1, { error: 'title must not be empty' }),
  description: z
    .string({
      error: (issue) =>
        issue.input === undefined ? "description is required: the page's one-line summary (tl;dr)" : 'description must be text',
    })
    .trim()
    .min(1, { error: "description must not be empty: write the page's one-line summary (tl;dr)" }),
  tags: z
    .array(z.string({ error: 'each tag must be text' }).trim().min(1, { error: 'a tag must not be empty' }), {
      error: 'tags must be a list of strings',
    })
    .optional(),
});

export const collections = {
  docs: defineCollection({
    loader: glob({ pattern: '**/*.{md,mdx}', base: './content' }),
    schema: docsSchema({ extend: pageFrontmatter }),
  }),
  // Starlight reads this collection (UI string overrides) on every page, and Astro warns on each
  // build when it is not defined; one empty entry (src/content/i18n/en.json) overrides nothing and
  // silences the warning (an empty folder would make the loader warn instead).
  i18n: defineCollection({ loader: i18nLoader(), schema: i18nSchema() }),
};
