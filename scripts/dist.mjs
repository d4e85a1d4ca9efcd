#!/usr/bin/env node
/**
 * `npm run dist`: the installers for the current platform (Linux: AppImage + deb, macOS: dmg,
 * Windows: nsis), from electron-builder.yml. Needs internet: electron-builder and @electron/rebuild are
 * fetched by npx at the versions below, and electron-builder downloads Electron's release zip.
 *
 * 1. the production build (scripts/build.mjs);
 * 2. better-sqlite3 rebuilt for Electron's ABI (the one V8 addon; Electron bundles its own Node);
 * 3. electron-builder, which packs the build and the production dependencies;
 * 4. better-sqlite3 rebuilt back for this Node, so that the CLI and the tests keep working.
 *
 * Extra arguments go to electron-builder, e.g. `npm run dist -- --linux deb` or `-- --dir`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ELECTRON_BUILDER = 'electron-builder@26.17.0';
const ELECTRON_REBUILD = '@electron/rebuild@4.2.1';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function step(what, command, args) {
  console.log(`› ${what}`);
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (result.status !== 0) {
    console.error(`npm run dist: ${what} failed (exit ${result.status ?? result.signal})`);
    return false;
  }
  return true;
}

const electronPackage = join(root, 'node_modules/electron/package.json');
if (!existsSync(join(root, 'node_modules/electron/dist'))) {
  console.error(
    'npm run dist: Electron is not installed (node_modules/electron/dist is missing). It is an optional ' +
      'dependency that downloads its binary during `npm ci`; run `npm ci` on a machine with internet.',
  );
  process.exit(1);
}
const electronVersion = JSON.parse(readFileSync(electronPackage, 'utf8')).version;

let ok =
  step('building the app (scripts/build.mjs)', process.execPath, [join(root, 'scripts/build.mjs')]) &&
  step(`rebuilding better-sqlite3 for Electron ${electronVersion}`, npx, [
    '--yes',
    ELECTRON_REBUILD,
    '--only',
    'better-sqlite3',
    '--version',
    electronVersion,
    '--force',
  ]);
if (ok)
  ok = step('packing the installers (electron-builder)', npx, [
    '--yes',
    ELECTRON_BUILDER,
    '--publish',
    'never',
    ...process.argv.slice(2),
  ]);
// Whatever happened, this checkout's better-sqlite3 goes back to Node's ABI.
const restored = step(`rebuilding better-sqlite3 for Node ${process.version}`, npm, [
  'rebuild',
  'better-sqlite3',
]);
if (ok) console.log(`installers in ${join(root, 'release')}`);
process.exit(ok && restored ? 0 : 1);
