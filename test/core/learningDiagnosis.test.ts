import { describe, expect, it } from 'vitest';
import { DID_NOT_LEARN, learningDiagnosis } from '../../main/core/learningDiagnosis';

const curve = (losses: number[], dice: Array<number | null>) =>
  losses.map((loss, i) => ({ loss, valDice: dice[i] }));

describe('learningDiagnosis', () => {
  it('says "did not learn" for Dice 0 at every epoch with a flat loss (a residual network saturated at start)', () => {
    expect(learningDiagnosis(curve([5.236, 5.216, 5.2], [0, 0, 0]))).toBe(DID_NOT_LEARN);
    expect(DID_NOT_LEARN).toBe('did not learn (loss flat, all background)');
    // A loss that rises is no better.
    expect(learningDiagnosis(curve([1.2, 1.3], [0, 0]))).toBe(DID_NOT_LEARN);
  });

  it('says nothing when the network learned, even late or poorly', () => {
    expect(learningDiagnosis(curve([5.2, 3.1, 2.4], [0.31, 0.55, 0.62]))).toBeNull();
    // Dice 0 so far, but the loss is falling: it is learning, just not there yet.
    expect(learningDiagnosis(curve([5.2, 4.6], [0, 0]))).toBeNull();
    // Flat loss, but some overlap at one epoch: not all background.
    expect(learningDiagnosis(curve([5.2, 5.19, 5.18], [0, 0.01, 0]))).toBeNull();
  });

  it('says nothing when the curve cannot tell: one epoch, no validation, a non-finite loss', () => {
    expect(learningDiagnosis(curve([5.2], [0]))).toBeNull();
    expect(learningDiagnosis([])).toBeNull();
    expect(learningDiagnosis(curve([5.2, 5.2], [null, null]))).toBeNull();
    expect(learningDiagnosis(curve([Number.NaN, Number.NaN], [0, 0]))).toBeNull();
  });
});
