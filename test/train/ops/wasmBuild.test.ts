/**
 * The committed WebAssembly kernels are what their AssemblyScript source compiles to: an edit to the
 * source without `npm run build:wasm` (or a hand-edited binary) fails here instead of shipping stale code.
 */
import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without type declarations
import { compileWasm, WASM_TARGETS } from '../../../scripts/build-wasm.mjs';

const targets = (WASM_TARGETS as Array<{ sources: string[]; binary: string }>).map((t) => ({
  ...t,
  from: t.sources.join(' + '),
}));

it.each(targets)('$binary is the compiled $from (run `npm run build:wasm` after editing them)', async (t) => {
  const committed = await readFile(new URL(`../../../${t.binary}`, import.meta.url));
  const fresh = (await compileWasm(t.sources)) as Buffer;
  expect(fresh.length).toBe(committed.length);
  expect(fresh.equals(committed)).toBe(true);
});
