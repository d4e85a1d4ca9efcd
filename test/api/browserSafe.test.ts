/**
 * The contract runs where Node does not: the renderer (a browser, or Electron's page) and the sandboxed
 * preload (which can require nothing but 'electron') bundle main/api.ts with everything it imports at run
 * time, schemas included. So a response schema must live in a module without Node APIs; bundling the
 * contract for a browser, as esbuild does here, fails on the first `node:` import it meets.
 */
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** Bundles `source` (imports relative to the repository root) for a browser; the modules it took in. */
async function browserBundle(source: string): Promise<string[]> {
  const result = await build({
    stdin: { contents: source, resolveDir: ROOT, loader: 'ts' },
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs);
}

describe('the contract in a browser', () => {
  it('bundles main/api.ts with its schemas for a browser, without a Node module', async () => {
    const inputs = await browserBundle("export * from './main/api';");
    expect(inputs).toContain('main/search/configValidation.ts');
    expect(inputs.filter((f) => f.startsWith('node:'))).toEqual([]);
  });

  it('refuses a module that uses Node APIs, naming the import', async () => {
    const failure = await browserBundle("export * from './main/compute/slurmCommands';").catch(
      (e: Error) => e.message,
    );
    expect(failure).toMatch(/node:child_process/);
  });
});
