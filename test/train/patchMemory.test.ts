import { describe, expect, it } from 'vitest';
import { estimateCandidateBytes } from '../../main/train/candidateMemory';
import { estimateTrainingBytes } from '../../main/train/memoryEstimate';
import { estimateTorchTrainingBytes } from '../../main/train/torchMemoryEstimate';

const SPEC = {
  n: 8,
  p: 3,
  sup: true,
  res: true,
  block: { nodes: 3 as const, ops: [2, 6, 1] as (2 | 6 | 1)[] },
  extras: {},
};
const q = { classes: 3, batch: 2, dropout: true };

describe('memory estimates of native-protocol patches', () => {
  it('count a patch by its voxels at every level: a 16³ patch as the 16³ cube, 8×16×32 the same, 16×16×32 more', () => {
    for (const estimate of [estimateTrainingBytes, estimateTorchTrainingBytes]) {
      const cube = estimate(SPEC, { ...q, size: 16 });
      expect(estimate(SPEC, { ...q, size: 16, patch: [16, 16, 16] })).toBe(cube);
      expect(estimate(SPEC, { ...q, size: 32, patch: [8, 16, 32] })).toBe(cube);
      const bigger = estimate(SPEC, { ...q, size: 32, patch: [16, 16, 32] });
      expect(bigger).toBeGreaterThan(cube);
      expect(bigger).toBeLessThan(estimate(SPEC, { ...q, size: 32 }));
    }
  });

  it('PyTorch counts the native cases it keeps by their own voxels', () => {
    const base = {
      ...q,
      size: 16,
      patch: [16, 16, 16] as [number, number, number],
      torchDevice: 'cuda' as const,
    };
    const without = estimateCandidateBytes(SPEC, base) ?? 0;
    const withCases = estimateCandidateBytes(SPEC, { ...base, cases: 2, caseVoxels: 1e6 }) ?? 0;
    expect(withCases - without).toBe(1e6 * 5);
  });

  it('a patch side that p poolings cannot halve has no estimate (the network cannot be built)', () => {
    expect(estimateCandidateBytes(SPEC, { ...q, size: 16, patch: [12, 16, 16] })).toBeUndefined();
    expect(estimateCandidateBytes(SPEC, { ...q, size: 16, patch: [8, 16, 24] })).toBeGreaterThan(0);
  });
});
