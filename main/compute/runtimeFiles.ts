/**
 * Where the files the engine loads at run time are. In a checkout the engine runs from its TypeScript
 * sources (main/…, through tsx or vitest); in the build it runs from bundles in dist-engine/, with the
 * files it loads copied beside them by scripts/build.mjs (wasm/kernels.wasm, engines/pytorch/). Paths
 * are found from this module's own location, never from the working directory or a repository root,
 * so an installed app finds them as a checkout does.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** True when this is the TypeScript source; false in a bundle (dist-engine/*.mjs). */
export const FROM_SOURCES = import.meta.url.endsWith('.ts');

/** The checkout, or the folder holding dist-engine/ and dist/ (the app's folder once installed). */
const APP_ROOT = FROM_SOURCES ? resolve(HERE, '..', '..') : resolve(HERE, '..');

/** How to start a TensorFlow.js trainer process (child_process.fork). */
export interface TrainerEntry {
  modulePath: string;
  execArgv: string[];
  /** Only from the sources: the checkout, so that `--import tsx` resolves from its node_modules. */
  cwd?: string;
}

export function trainerEntry(): TrainerEntry {
  if (FROM_SOURCES)
    return { modulePath: join(HERE, 'trainerWorker.ts'), execArgv: ['--import', 'tsx'], cwd: APP_ROOT };
  // No cwd: inside an installed app the bundle's folder may be an asar archive, not a directory.
  return { modulePath: join(HERE, 'trainerWorker.mjs'), execArgv: [] };
}

/** The built UI that web mode serves (`npm run build` or `vite build` writes it). */
export const RENDERER_DIR = join(APP_ROOT, 'dist', 'renderer');

/**
 * The PyTorch engine's Python files. In the installed desktop app they are extraResources
 * (`<resources>/engines/pytorch`: Python cannot read from inside the asar archive); in the build they
 * sit beside the bundles; in a checkout they are `engines/pytorch/`.
 */
export function pytorchEngineDir(): string {
  if (FROM_SOURCES) return join(APP_ROOT, 'engines', 'pytorch');
  const resources = (process as { resourcesPath?: string }).resourcesPath;
  const packaged = resources ? join(resources, 'engines', 'pytorch') : undefined;
  return packaged && existsSync(packaged) ? packaged : join(HERE, 'engines', 'pytorch');
}
