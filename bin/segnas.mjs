#!/usr/bin/env node
// The `segnas` command. Runs the build (dist-engine/cli.mjs, from `npm run build`) when there is one;
// in a checkout it runs the TypeScript sources through tsx instead when there is no build or when any
// source is newer than the build, so that nobody runs stale code. SEGNAS_FROM_SOURCES=1 forces the
// sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = join(root, 'dist-engine', 'cli.mjs');
const sources = ['main', 'electron', 'assets'].map((dir) => join(root, dir));

/** Whether any file under `dir` was modified after `time` (ms). */
function modifiedAfter(dir, time) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() ? modifiedAfter(path, time) : statSync(path).mtimeMs > time) return true;
  }
  return false;
}

function buildIsCurrent() {
  if (process.env.SEGNAS_FROM_SOURCES === '1' || !existsSync(built)) return false;
  if (!existsSync(join(root, 'main', 'cli', 'index.ts'))) return true;
  const builtAt = statSync(built).mtimeMs;
  return !sources.some((dir) => existsSync(dir) && modifiedAfter(dir, builtAt));
}

let cli;
if (buildIsCurrent()) cli = await import('../dist-engine/cli.mjs');
else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../main/cli/index.ts');
}
process.exitCode = await cli.main(process.argv.slice(2));
