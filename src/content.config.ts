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
import { docsSchema } from '@astrojs/starlight/schema';
import { glob } from 'astro/loaders';
import { defineCollection } from 'astro:content';

export const collections = {
  docs: defineCollection({
    loader: glob({ pattern: '**/*.{md,mdx}', base: './content' }),
    schema: docsSchema(),
  }),
};
