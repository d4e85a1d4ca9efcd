/** Builds the renderer (React UI) into dist/renderer, served by web mode and loaded by Electron. */
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { cspMetaTag } from './electron/security';

/**
 * The Content-Security-Policy as a <meta> tag in the built page (file:// pages get no headers). Only in
 * builds: the dev server's hot reload needs inline scripts.
 */
function cspMeta(): Plugin {
  return {
    name: 'segnas-csp-meta',
    apply: 'build',
    transformIndexHtml: (html) => html.replace('<head>', `<head>\n    ${cspMetaTag()}`),
  };
}

export default defineConfig({
  root: 'renderer',
  // Relative asset URLs, so the same build loads from file:// (Electron) and http:// (web mode).
  base: './',
  plugins: [react(), cspMeta()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    chunkSizeWarningLimit: 4000,
    sourcemap: false,
  },
});
