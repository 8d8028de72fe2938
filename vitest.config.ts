import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Real Pyodide: a cold load takes ~2-3 s and each example ~0.2 s; browser tests build the site.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    projects: [
      {
        extends: true,
        test: { name: 'node', include: ['tests/**/*.test.ts'], exclude: [...configDefaults.exclude, 'tests/e2e/**'] },
      },
      {
        // Browser tests (Chromium + the built site). Their global setup builds dist/ when it is
        // missing or older than the sources, and serves it; it runs only when e2e tests are selected.
        extends: true,
        test: { name: 'e2e', include: ['tests/e2e/**/*.test.ts'], globalSetup: ['tests/e2e/global-setup.ts'] },
      },
    ],
  },
});
