#!/usr/bin/env node
/**
 * `npm run build`: the app as it ships, plain JavaScript with the files it loads beside it.
 *
 *   dist/renderer/   the React UI (vite)
 *   dist-electron/   main.cjs, preload.cjs: the Electron shell (CommonJS; a sandboxed preload is one file)
 *   dist-engine/     cli.mjs (the `segnas` command), engineHost.mjs (the engine in Electron's utility
 *                    process), trainerWorker.mjs (a TensorFlow.js trainer process) and the chunks they
 *                    share; wasm/kernels.wasm (our convolution kernels); engines/pytorch/ (the PyTorch
 *                    trainer's Python files, when the checkout has them)
 *
 * Packages are not bundled: they ship as production dependencies in node_modules (native addons such
 * as better-sqlite3 and the optional tfjs-node, webgpu and electron cannot be bundled anyway).
 *
 * usage: node scripts/build.mjs [--out DIR] [--no-renderer]
 *   --out DIR      write the three folders into DIR instead of the checkout
 *   --no-renderer  skip the UI (for a quick rebuild of the engine)
 */
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build as esbuild } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The Python engine's folder in the checkout (copied only when it exists). */
const PYTORCH_ENGINE_SOURCE = 'engines/pytorch';

/** Caches and tests inside the Python engine: not part of what ships. */
const NOT_SHIPPED = /(^|[\\/])(__pycache__|\.pytest_cache|tests?)([\\/]|$)|\.py[co]$/;

function engineBundles(out) {
  return esbuild({
    absWorkingDir: root,
    entryPoints: {
      cli: 'main/cli/index.ts',
      engineHost: 'electron/engineHost.ts',
      trainerWorker: 'main/compute/trainerWorker.ts',
    },
    outdir: join(out, 'dist-engine'),
    // Chunks stay in the same folder as the entries: modules find their files (wasm/kernels.wasm, the
    // trainer entry) relative to import.meta.url, which is the chunk's own URL.
    chunkNames: '[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    legalComments: 'none',
    logLevel: 'warning',
  });
}

function shellBundles(out) {
  const common = {
    absWorkingDir: root,
    outdir: join(out, 'dist-electron'),
    outExtension: { '.js': '.cjs' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node22', // Electron's Node
    legalComments: 'none',
    logLevel: 'warning',
  };
  return Promise.all([
    esbuild({ ...common, entryPoints: { main: 'electron/main.ts' }, packages: 'external' }),
    // A sandboxed preload can require nothing but 'electron': everything else is inlined.
    esbuild({ ...common, entryPoints: { preload: 'electron/preload.ts' }, external: ['electron'] }),
  ]);
}

async function renderer(out) {
  const { build } = await import('vite');
  await build({
    configFile: join(root, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: join(out, 'dist', 'renderer'), emptyOutDir: true },
  });
}

function copyAssets(out) {
  const engine = join(out, 'dist-engine');
  mkdirSync(join(engine, 'wasm'), { recursive: true });
  cpSync(join(root, 'main/train/ops/wasm/kernels.wasm'), join(engine, 'wasm', 'kernels.wasm'));
  const python = join(root, PYTORCH_ENGINE_SOURCE);
  if (existsSync(python))
    cpSync(python, join(engine, 'engines', 'pytorch'), {
      recursive: true,
      filter: (path) => !NOT_SHIPPED.test(relative(python, path)),
    });
}

export async function buildApp({ out = root, withRenderer = true } = {}) {
  for (const dir of ['dist-engine', 'dist-electron'])
    rmSync(join(out, dir), { recursive: true, force: true });
  await Promise.all([engineBundles(out), shellBundles(out), withRenderer ? renderer(out) : undefined]);
  copyAssets(out);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, 'no-renderer': { type: 'boolean' } },
  });
  const started = performance.now();
  await buildApp({ out: values.out ? resolve(values.out) : root, withRenderer: !values['no-renderer'] });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`built ${values['no-renderer'] ? 'the engine and shell' : 'the app'} in ${seconds} s`);
}
