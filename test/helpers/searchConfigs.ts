/**
 * The search settings the tests share: SegNAS4's space on a small training protocol, as the store
 * records it (`experimentConfig`) and as a user submits it (`searchConfig`). A test overrides only what
 * it is about, so the rest stays one literal.
 */

import type { SearchBounds } from '../../main/core/searchBounds';
import type { SearchConfig } from '../../main/core/searchConfig';
import type { ExperimentConfig } from '../../main/store/types';

/** SegNAS4: n, p, sup and res searched, the block fixed to two cascaded Conv(3,1). */
export function segnas4Space(): SearchBounds {
  return {
    n: { lo: 8, hi: 33 },
    p: { lo: 2, hi: 6 },
    sup: { lo: 0, hi: 2 },
    res: { lo: 0, hi: 2 },
    nodes: { fixed: 3 },
    ops: [{ fixed: 2 }, { fixed: 0 }, { fixed: 2 }],
  };
}

type ConfigOverrides = Partial<Omit<ExperimentConfig, 'training'>> & {
  training?: Partial<ExperimentConfig['training']>;
  evaluations?: number;
};

/** A recorded experiment's configuration (what the store keeps and `getExperiment` answers). */
export function experimentConfig({
  training,
  evaluations = 300,
  ...rest
}: ConfigOverrides = {}): ExperimentConfig {
  return {
    datasetPath: '/data/hippocampus',
    variant: 'segnas4',
    space: segnas4Space(),
    training: {
      size: 32,
      epochs: 10,
      batch: 1,
      learningRate: 1e-3,
      augmentation: true,
      dropout: 0.1,
      seed: 1,
      ...training,
    },
    budget: { evaluations },
    ...rest,
  };
}

/** The settings a user starts a search with (the setup page, `segnas search`). */
export function searchConfig(overrides: Partial<SearchConfig> = {}): SearchConfig {
  return {
    datasetPath: '/d',
    variant: 'segnas4',
    space: segnas4Space(),
    training: { size: 32, epochs: 10, batch: 1, learningRate: 1e-3, augmentation: true },
    seed: 1,
    evaluations: 300,
    backend: 'wasm',
    memoryBudgetMB: 4096,
    ...overrides,
  };
}
