// Shared by the search tests: a tiny phantom dataset and a tiny search space, so a real search (real
// trainer processes, real WASM training) runs in tens of seconds on 2 cores.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SearchConfig } from '../../main/api';
import { generatePhantomDataset } from '../../main/data/phantom';

/** 8 distinct legal networks (p × res × op), a third of the op range illegal (op 0 = no edge). */
export const TINY_SPACE: SearchConfig['space'] = {
  n: { fixed: 4 },
  p: { lo: 1, hi: 3 },
  sup: { fixed: 0 },
  res: { lo: 0, hi: 2 },
  nodes: { fixed: 2 },
  ops: [{ lo: 0, hi: 3 }],
};

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `segnas-${prefix}-`));
}

/** 10 phantom cases of 16³ (5 train, 2 validation, 3 test). */
export async function phantomDataset(): Promise<string> {
  const dir = join(tempDir('phantom'), 'data');
  await generatePhantomDataset(dir, { cases: 10, size: 16, seed: 3 });
  return dir;
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
