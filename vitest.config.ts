import { defineConfig } from 'vitest/config';

// Tests train real (tiny) networks on the WASM backend and read real NIfTI data, so timeouts are
// generous; the whole suite is kept well under 20 minutes on 2 cores.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
