// Shared by the search tests: a tiny phantom dataset and a tiny search space, so a real search (real
// trainer processes, real WASM training) runs in tens of seconds on 2 cores.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { datasetSubset } from '../../bench/datasetSubset';
import type { SearchConfig } from '../../main/api';
import { generatePhantomDataset } from '../../main/data/phantom';
import { hippocampusDir } from '../data/helpers';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface SegnasRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; output: string }>;
}

/**
 * `segnas <args>` as a user runs it from the checkout, stdout and stderr collected. `detached` puts it
 * in a process group of its own (so a signal to the group reaches it and its trainers, as Ctrl-C
 * would); `env` is added to this process's environment.
 */
export function segnas(
  args: string[],
  options: { detached?: boolean; env?: Record<string, string> } = {},
): SegnasRun {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'segnas.mjs'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
    detached: options.detached ?? false,
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  return { child, done: new Promise((res) => child.on('exit', (code) => res({ code, output }))) };
}

type CliOptions = Record<string, string | number | true>;

/** `options` as CLI arguments, `--key value` (`true`: a bare `--key`), in the order given. */
export function cliOptions(options: CliOptions): string[] {
  return Object.entries(options).flatMap(([k, v]) => (v === true ? [`--${k}`] : [`--${k}`, String(v)]));
}

/** A CLI search of a bounds file on phantoms as the kill-and-resume tests run it: 12³, no augmentation, seed 1. */
export function smallSearchArgv(
  where: { data: string; bounds: string; workspace: string },
  options: CliOptions,
) {
  return ['search', ...cliOptions({ ...where, size: 12, 'no-augment': true, seed: 1, ...options })];
}

/** 8 distinct legal networks (p × res × op), a third of the op range illegal (op 0 = no edge). */
export const TINY_SPACE: SearchConfig['space'] = {
  n: { fixed: 4 },
  p: { lo: 1, hi: 3 },
  sup: { fixed: 0 },
  res: { lo: 0, hi: 2 },
  nodes: { fixed: 2 },
  ops: [{ lo: 0, hi: 3 }],
};

/**
 * 40 legal networks, so that a search still trains new ones after its initial population and most of
 * its evaluations are reflections and mutations that depend on f.
 */
export const SMALL_SPACE: SearchConfig['space'] = {
  n: { lo: 2, hi: 7 },
  p: { lo: 1, hi: 3 },
  sup: { fixed: 0 },
  res: { lo: 0, hi: 2 },
  nodes: { fixed: 2 },
  ops: [{ lo: 0, hi: 3 }],
};

/** Folders made by tempDir in this test file (vitest isolates files, so each file has its own list). */
const made: string[] = [];

/** A new folder in the system temp dir; a test file that uses it calls removeTempDirs in afterAll. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `segnas-${prefix}-`));
  made.push(dir);
  return dir;
}

/** Removes every folder tempDir made; for afterAll, after the runners (and their trainers) are closed. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** 10 phantom cases of 16³ (5 train, 2 validation, 3 test). */
export async function phantomDataset(): Promise<string> {
  const dir = join(tempDir('phantom'), 'data');
  await generatePhantomDataset(dir, { cases: 10, size: 16, seed: 3 });
  return dir;
}

/** The first `cases` hippocampus cases as a dataset folder of symlinks (the data is never copied). */
export function hippocampusSubset(cases: number): string {
  return datasetSubset(hippocampusDir(), cases, join(tempDir('hippo'), 'hippocampus'));
}

export function tinyConfig(datasetPath: string, overrides: Partial<SearchConfig> = {}): SearchConfig {
  return {
    datasetPath,
    variant: 'custom',
    space: TINY_SPACE,
    training: { size: 12, epochs: 1, batch: 1, learningRate: 1e-3, augmentation: false },
    seed: 1,
    evaluations: 10,
    backend: 'wasm',
    memoryBudgetMB: 4096,
    ...overrides,
  };
}
