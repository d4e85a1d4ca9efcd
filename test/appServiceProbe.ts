/**
 * Run as a child process by appServiceBoundary.test.ts: builds the app service on a fresh workspace
 * (or, with `--load-tfjs`, first imports the TensorFlow.js backend module, the control), answers getInfo
 * (and, with `--check`, checkEngines: the UI's "Check"), and prints what it answered with whether
 * TensorFlow.js is loaded in this process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../main/engineServices';

if (process.argv.includes('--load-tfjs')) await import('../main/compute/backend');
const workspace = mkdtempSync(join(tmpdir(), 'segnas-appservice-'));
const engine = await createEngine({ workspace, host: 'web' });
const info = await engine.handle('getInfo', {});
const check = process.argv.includes('--check') ? await engine.handle('checkEngines', {}) : undefined;
const loaded = Object.keys(createRequire(import.meta.url).cache).filter((p) => p.includes('@tensorflow'));
// tfjs-core makes its engine on import, in whatever module format it was loaded.
const tfjsEngine = '_tfengine' in globalThis;
await engine.close();
rmSync(workspace, { recursive: true, force: true });
console.log(JSON.stringify({ info, check, loaded, tfjsEngine }));
