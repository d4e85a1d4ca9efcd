/**
 * The demo: a phantom dataset and a search small enough to show learning within two minutes on a
 * laptop CPU. `Use demo data` in the UI and `segnas demo` both take their settings from here, so the
 * figure docs/search.md quotes holds for either door.
 */
import type { SearchConfig } from './searchConfig';

/** Phantom subjects and their cube side, generated once per workspace. */
export const DEMO_PHANTOM = { cases: 12, size: 24 } as const;

/**
 * SegNAS11 scaled down: n, p, sup, res and a block of up to 3 nodes with ops none / Conv(1,1) /
 * Conv(3,1), so the demo shows illegal blocks (free evaluations) next to trained networks. n stays
 * small so that every candidate trains in seconds.
 */
export const DEMO_SPACE: SearchConfig['space'] = {
  n: { lo: 4, hi: 9 },
  p: { lo: 1, hi: 3 },
  sup: { lo: 0, hi: 2 },
  res: { lo: 0, hi: 2 },
  nodes: { lo: 2, hi: 4 },
  ops: [
    { lo: 0, hi: 3 },
    { lo: 0, hi: 3 },
    { lo: 0, hi: 3 },
  ],
};

/** What the demo search changes from DEFAULT_SEARCH_CONFIG; the dataset path is the phantom's. */
export const DEMO_SEARCH = {
  variant: 'custom',
  name: 'demo: small SegNAS11 on phantoms',
  space: DEMO_SPACE,
  // 30 short epochs at a higher rate: at 16³ an epoch takes a fraction of a second, and the
  // default 10⁻³ over 6 epochs leaves every candidate below Dice 0.3.
  training: { size: 16, epochs: 30, batch: 1, learningRate: 3e-3, augmentation: true },
  evaluations: 24,
  memoryBudgetMB: 2048,
  topK: 2,
} as const satisfies Partial<SearchConfig>;

/**
 * The paper's protocol (SegNAS3D §2.4, §3): 128³ images, batch 3, 100 epochs at Nadam's 10⁻³ with
 * augmentation, 300 evaluations, every candidate trained to the end (no pruning), no time limit. The
 * setup page's "Paper settings" restores it whatever a time goal proposed; the search space stays.
 */
export const PAPER_SEARCH = {
  training: { size: 128, epochs: 100, batch: 3, learningRate: 1e-3, augmentation: true },
  evaluations: 300,
  prune: { rule: 'off', eta: 2, minEpochs: 2, warmupEpochs: 2, minCandidates: 3 },
} as const satisfies Partial<SearchConfig>;

/** `config` with the paper's protocol; its space, data, engine and the fields the paper leaves open kept. */
export function withPaperSettings(config: SearchConfig): SearchConfig {
  const { budgetHours: _, ...rest } = config;
  return {
    ...rest,
    training: { ...PAPER_SEARCH.training },
    evaluations: PAPER_SEARCH.evaluations,
    prune: { ...PAPER_SEARCH.prune },
  };
}
