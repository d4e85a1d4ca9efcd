/**
 * A rule of the renderer as code: components render and the store calls the app service, so a view's
 * data has one path, with one busy/error handling. (Function length: functionLength.ts.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { API_METHODS } from '../../main/api';

/** Where the bridge may be used: the store, the bridges themselves, and the entry point wiring them. */
const MAY_CALL_API = (path: string) =>
  path.startsWith('renderer/store/') || path.startsWith('renderer/api/') || path === 'renderer/main.tsx';

/** The contract's methods and the bridge's own helpers: calling any of these is talking to the service. */
const BRIDGE_CALLS = [...API_METHODS, 'onEvent', 'onMenuCommand', 'pickDatasetFolder', 'datasetFromDrop'];
const CALL_RE = new RegExp(`\\.\\s*(${BRIDGE_CALLS.join('|')})\\s*\\(`, 'g');
const BRIDGE_IMPORT_RE = /(?:from|import)\s*\(?\s*['"][./]*\/api\/(?:client|wsClient|hostBridge|drop)['"]/g;

export function rendererFiles(repo: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.tsx?$/.test(name)) out.push(relative(repo, path).split(sep).join('/'));
    }
  };
  walk(join(repo, 'renderer'));
  return out.sort();
}

/** "file: what" for each direct use of the bridge outside the store. */
export function directApiCalls(path: string, source: string): string[] {
  if (MAY_CALL_API(path)) return [];
  const found = [...source.matchAll(CALL_RE)].map((m) => `${path}: calls ${m[1]}() directly`);
  for (const m of source.matchAll(BRIDGE_IMPORT_RE)) found.push(`${path}: imports the bridge (${m[0]})`);
  if (/\buseApi\b|\bApiContext\b/.test(source)) found.push(`${path}: reaches for the API client`);
  return found;
}

export function readSource(repo: string, path: string): string {
  return readFileSync(join(repo, path), 'utf8');
}
