#!/usr/bin/env node
/**
 * `npm run build:wasm`: compiles the AssemblyScript kernels to the .wasm files committed beside them.
 * The .wasm is committed so that running the app needs no compiler; test/train/ops/wasmBuild.test.ts
 * recompiles and fails when a committed binary no longer matches its source.
 *
 * Flags: the memory is imported and shared (one memory for the caller's thread and the worker
 * threads), no runtime or allocator (the caller lays out the buffers), no assertions or abort import.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Sources (AssemblyScript, compiled together into one module) → binary, relative to the repository root. */
export const WASM_TARGETS = [
  {
    sources: ['main/train/ops/wasm/conv3d.as.ts', 'main/train/ops/wasm/batchNormRelu.as.ts'],
    binary: 'main/train/ops/wasm/kernels.wasm',
  },
];

const FLAGS = [
  '-O3',
  '--runtime',
  'stub',
  '--importMemory',
  '--sharedMemory',
  '--initialMemory',
  '1',
  '--maximumMemory',
  '65536',
  '--enable',
  'threads',
  '--enable',
  'simd',
  '--noAssert',
  '--use',
  'abort=',
];

/** Compiles the sources into one module and returns its bytes (nothing written). */
export async function compileWasm(sources) {
  let binary;
  const stderr = [];
  const { error } = await asc.main(
    [...sources.map((s) => resolve(root, s)), '--outFile', 'out.wasm', ...FLAGS],
    {
      writeFile: (name, contents) => {
        if (name.endsWith('.wasm')) binary = contents;
      },
      stderr: { write: (chunk) => stderr.push(String(chunk)) },
      stdout: { write: () => {} },
    },
  );
  if (error) throw new Error(`asc failed on ${sources.join(', ')}: ${error.message}\n${stderr.join('')}`);
  if (!binary) throw new Error(`asc wrote no binary for ${sources.join(', ')}`);
  return Buffer.from(binary);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const { sources, binary } of WASM_TARGETS) {
    const bytes = await compileWasm(sources);
    await mkdir(dirname(resolve(root, binary)), { recursive: true });
    await writeFile(resolve(root, binary), bytes);
    console.log(`${binary}: ${bytes.length} bytes`);
  }
}
