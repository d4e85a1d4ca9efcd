#!/usr/bin/env node
// `npm start`: builds the app (scripts/build.mjs: UI, Electron shell, engine bundles), then opens the
// desktop app when Electron is installed; otherwise starts web mode from the build, opens the default
// browser if there is one, and prints the URL. Either way the workspace is the CLI's ($SEGNAS_WORKSPACE,
// else the platform's user data folder), so `segnas list` shows what the app ran; "Use demo data" is one
// click away, and nothing runs TypeScript.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function run(args, what) {
  console.log(`› ${what}`);
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`npm start: ${what} failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
}

/** The Electron binary's path, when the optional dependency installed (its module exports the path). */
function electronBinary() {
  try {
    const path = require('electron');
    return typeof path === 'string' && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

function openBrowser(url) {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => {}); // no browser here (e.g. a server over SSH): the printed URL is enough
    child.unref();
  } catch {
    // same: opening a browser is a convenience
  }
}

run([join(root, 'scripts/build.mjs')], 'building the app (dist/renderer, dist-electron, dist-engine)');

const electron = electronBinary();
if (electron) {
  console.log('› starting SegNAS Studio (Electron)');
  // The engine host runs under this Node, for which better-sqlite3 was compiled (electron/main.ts).
  const app = spawn(electron, ['.'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, SEGNAS_ENGINE_NODE: process.execPath },
  });
  app.on('exit', (code) => process.exit(code ?? 0));
} else {
  // No --workspace: `segnas serve` resolves it as every command does, and prints it.
  console.log('› Electron is not installed: starting web mode');
  const server = spawn(process.execPath, [join(root, 'bin/segnas.mjs'), 'serve', ...process.argv.slice(2)], {
    cwd: root,
    stdio: ['inherit', 'pipe', 'inherit'],
  });
  let opened = false;
  server.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    const match = /Open: (http:\/\/\S+)/.exec(String(chunk));
    if (match && !opened) {
      opened = true;
      openBrowser(match[1]);
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
  server.on('exit', (code) => process.exit(code ?? 0));
}
