import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', '.data/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more workers only make the real services the tests talk to slower.
    maxWorkers: 2,
    globalSetup: ['test/support/global-setup.ts'],
  },
});
