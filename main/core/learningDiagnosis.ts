/**
 * Whether a trained candidate learned anything, read from its stored learning curve. A network that
 * predicts background everywhere gets validation Dice 0 and f = −ln(1e−4) like a bad architecture;
 * when its loss also stayed flat the cause is almost always that it never started learning (e.g. a
 * softmax saturated at initialisation), not the architecture, and the user should see that.
 */

/** What the diagnosis reads of one epoch (the store's and the API's EpochRecord have these fields). */
export interface CurvePoint {
  loss: number;
  valDice: number | null;
}

/** The loss counts as flat when it fell by less than this fraction of its first epoch's value. */
export const FLAT_LOSS_FRACTION = 0.05;

export const DID_NOT_LEARN = 'did not learn (loss flat, all background)';

/**
 * DID_NOT_LEARN when the candidate trained for at least two epochs, its validation Dice was 0 after
 * every epoch, and its training loss fell by less than FLAT_LOSS_FRACTION from the first epoch to the
 * last (or rose); otherwise null. One epoch is too short to call a loss flat.
 */
export function learningDiagnosis(curve: readonly CurvePoint[]): string | null {
  if (curve.length < 2) return null;
  if (!curve.every((e) => e.valDice === 0)) return null;
  const first = curve[0].loss;
  const last = curve[curve.length - 1].loss;
  if (!Number.isFinite(first) || !Number.isFinite(last)) return null;
  return first - last < FLAT_LOSS_FRACTION * Math.abs(first) ? DID_NOT_LEARN : null;
}
