import { describe, expect, it } from 'vitest';
import type { PruneSettings } from '../../main/core/searchConfig';
import { ashaRungs, bestWithin, expectedEpochs, replayPruning, shouldPrune } from '../../main/nas/pruning';

const asha = (eta = 3, minEpochs = 1): PruneSettings => ({
  rule: 'asha',
  eta,
  minEpochs,
  warmupEpochs: 2,
  minCandidates: 3,
});
const median = (warmupEpochs = 2, minCandidates = 3): PruneSettings => ({
  rule: 'median',
  eta: 3,
  minEpochs: 1,
  warmupEpochs,
  minCandidates,
});

describe('ASHA rungs', () => {
  it('are r·η^k epochs below the full budget', () => {
    expect(ashaRungs({ eta: 3, minEpochs: 1 }, 10)).toEqual([1, 3, 9]);
    expect(ashaRungs({ eta: 2, minEpochs: 2 }, 16)).toEqual([2, 4, 8]);
    expect(ashaRungs({ eta: 3, minEpochs: 2 }, 6)).toEqual([2]);
    expect(ashaRungs({ eta: 3, minEpochs: 10 }, 10)).toEqual([]);
  });
});

describe('shouldPrune', () => {
  it('never stops anything when off, absent, or after the last epoch', () => {
    const earlier = [[0.9, 0.9, 0.9]];
    expect(shouldPrune(undefined, 3, earlier, [0.1])).toBe(false);
    expect(shouldPrune({ ...asha(), rule: 'off' }, 3, earlier, [0.1])).toBe(false);
    expect(shouldPrune(asha(), 3, earlier, [0.1, 0.1, 0.1])).toBe(false);
  });

  it('ASHA: the first candidate always goes on; later ones only in the top 1/η at a rung', () => {
    const s = asha(3, 1);
    expect(shouldPrune(s, 9, [], [0.1])).toBe(false);
    // Two candidates at the rung: ⌊2/3⌋ = 0 → at least 1 goes on, the better one.
    expect(shouldPrune(s, 9, [[0.5]], [0.4])).toBe(true);
    expect(shouldPrune(s, 9, [[0.5]], [0.5])).toBe(false); // ties go on
    // Six at the rung: the top ⌊6/3⌋ = 2 go on.
    const five = [[0.1], [0.2], [0.3], [0.4], [0.5]];
    expect(shouldPrune(s, 9, five, [0.45])).toBe(false);
    expect(shouldPrune(s, 9, five, [0.35])).toBe(true);
    // Between rungs nothing is decided.
    expect(shouldPrune(s, 9, [[0.9, 0.9]], [0.1, 0.1])).toBe(false);
  });

  it('ASHA scores the best Dice so far, and counts an earlier pruned candidate only at the rungs it reached', () => {
    const s = asha(3, 1);
    // At rung 3 the earlier candidate pruned after 1 epoch is not there: this one is alone, goes on.
    expect(shouldPrune(s, 9, [[0.9]], [0.2, 0.6, 0.1])).toBe(false);
    // Against a full curve whose best within 3 epochs is 0.5: 0.6 (epoch 2) beats it, a 0.1 at epoch 3 does not matter.
    expect(shouldPrune(s, 9, [[0.3, 0.5, 0.4, 0.9]], [0.2, 0.6, 0.1])).toBe(false);
    expect(bestWithin([0.2, 0.6, 0.1], 3)).toBe(0.6);
  });

  it('median: after the warm-up, below the median of earlier candidates at the same epoch, once enough reached it', () => {
    const s = median(2, 3);
    const earlier = [
      [0.2, 0.4, 0.6],
      [0.3, 0.5, 0.7],
      [0.1, 0.2, 0.3],
    ];
    expect(shouldPrune(s, 5, earlier, [0.0])).toBe(false); // warm-up
    expect(shouldPrune(s, 5, earlier, [0.3, 0.35])).toBe(true); // median at epoch 2 is 0.4
    expect(shouldPrune(s, 5, earlier, [0.3, 0.45])).toBe(false);
    expect(shouldPrune(s, 5, earlier.slice(0, 2), [0.0, 0.0])).toBe(false); // only 2 earlier
    // Even count: the mean of the middle two (0.4, 0.5).
    expect(shouldPrune(median(2, 1), 5, [...earlier, [0.0, 0.9]], [0.0, 0.44])).toBe(true);
  });
});

describe('replayPruning', () => {
  it('gives the epochs each candidate would have trained, in search order', () => {
    const curves = [
      [0.5, 0.6, 0.7, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8],
      [0.2, 0.3, 0.4, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], // below #0 at rung 1
      [0.6, 0.7, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9], // best everywhere
    ];
    expect(replayPruning(asha(3, 1), 9, curves)).toEqual([9, 1, 9]);
    expect(replayPruning({ ...asha(), rule: 'off' }, 9, curves)).toEqual([9, 9, 9]);
  });
});

describe('expectedEpochs', () => {
  it('counts the epochs ASHA saves as docs/search.md measured them, and none for the other rules', () => {
    const asha = { rule: 'asha', eta: 2, minEpochs: 2, warmupEpochs: 2, minCandidates: 3 } as const;
    // Rungs 2, 4, 8 of 10: 2 + ¾·2 + (¾)²·4 + (¾)³·2.
    expect(expectedEpochs(asha, 10)).toBeCloseTo(2 + 1.5 + 2.25 + 0.84375);
    expect(1 - expectedEpochs(asha, 10) / 10).toBeGreaterThan(0.28);
    expect(1 - expectedEpochs(asha, 10) / 10).toBeLessThan(0.42);
    expect(expectedEpochs({ ...asha, rule: 'median' }, 10)).toBe(10);
    expect(expectedEpochs(undefined, 10)).toBe(10);
  });
});
