/**
 * Learning-rate schedules. The search trains every candidate at a constant rate (paper §2.4); the final
 * training of the winners decays it polynomially as nnU-Net does (Isensee et al. 2021):
 * lr(e) = lr0 · (1 − e/E)^0.9 for the 0-based epoch e of E, so the first epoch runs at lr0 and the last at
 * lr0 · (1/E)^0.9. engines/pytorch/segnas_torch/trainer.py computes the same numbers.
 */
export const LR_SCHEDULES = ['constant', 'poly'] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];

/** nnU-Net's exponent. */
export const POLY_EXPONENT = 0.9;

/** The learning rate of 1-based `epoch` of `epochs`. */
export function learningRateAt(schedule: LrSchedule, lr0: number, epoch: number, epochs: number): number {
  if (schedule === 'constant') return lr0;
  return lr0 * (1 - (epoch - 1) / epochs) ** POLY_EXPONENT;
}
