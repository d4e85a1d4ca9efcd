/**
 * Builds the Electron shell (main process, preload, engine host) into dist-electron as CommonJS.
 * Only our sources are bundled; packages stay external and ship in node_modules, so native addons
 * (better-sqlite3, tfjs-node) and wasm files load from their usual places (asarUnpack'ed).
 * Usage: npx vite build -c electron/vite.config.ts
 */
import { isAbsolute } from 'node:path';
import { defineConfig } from 'vite';

const isPackage = (id: string) => !id.startsWith('.') && !isAbsolute(id) && !id.startsWith('\0');

export default defineConfig({
  // The preload is bundled whole (sandboxed preloads can only require 'electron').
  build: {
    outDir: 'dist-electron',
    emptyOutDir: true,
    ssr: true,
    target: 'node22',
    minify: false,
    sourcemap: true,
    rollupOptions: {
      input: {
        main: 'electron/main.ts',
        preload: 'electron/preload.ts',
        engineHost: 'electron/engineHost.ts',
      },
      external: (id, importer) => isPackage(id) && !(importer?.endsWith('preload.ts') && id !== 'electron'),
      output: { format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name]-[hash].cjs' },
    },
  },
});
