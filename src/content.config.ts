/**
 * Content collections. Pages live in the top-level `content/` folder (not Starlight's default
 * `src/content/docs/`), so the docs collection uses Astro's glob loader over it with Starlight's
 * schema. Entry ids are paths relative to `content/` (`finally.mdx` → `finally`), and
 * `entry.filePath` is relative to the project root (`content/finally.mdx`), which is what
 * Starlight appends to `editLink.baseUrl`.
 */
import { docsSchema } from '@astrojs/starlight/schema';
import { glob } from 'astro/loaders';
import { defineCollection } from 'astro:content';

export const collections = {
  docs: defineCollection({
    loader: glob({ pattern: '**/*.{md,mdx}', base: './content' }),
    schema: docsSchema(),
  }),
};
