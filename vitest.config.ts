import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Real Pyodide: a cold load takes ~2-3 s and each example ~0.2 s; browser tests build the site.
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
