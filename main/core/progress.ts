/**
 * Progress within a candidate's training: the shape a trainer reports after its steps (protocol `step`)
 * and a search passes on to its listeners (the `step` event), and the ETA read from it.
 */
import { z } from 'zod';

export const stepProgressSchema = z.object({
  epoch: z.number().int().min(1),
  epochs: z.number().int().min(1),
  /** Steps (batches) done in this epoch, 1-based. */
  step: z.number().int().min(1),
  /** Steps per epoch. */
  steps: z.number().int().min(1),
  /** Seconds since this epoch began. */
  seconds: z.number().finite().min(0),
});
export type StepProgress = z.infer<typeof stepProgressSchema>;

/**
 * Seconds left, from the steps measured so far, before any candidate has finished: the rest of this
 * candidate, and every evaluation still to come trained as long as this one. An upper bound in effect
 * (illegal and cached candidates take no time; validation is not counted), and better than no figure
 * during the first candidate, which can take many minutes.
 */
export function etaFromSteps(p: StepProgress, evaluationsLeft: number): number {
  const perStep = p.seconds / p.step;
  const perCandidate = perStep * p.steps * p.epochs;
  const leftInCandidate = perStep * ((p.epochs - p.epoch) * p.steps + (p.steps - p.step));
  return leftInCandidate + Math.max(0, evaluationsLeft - 1) * perCandidate;
}
