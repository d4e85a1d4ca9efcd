/**
 * Segmentation metrics on hard labels. Validation Dice (what the search optimizes) is computed from the
 * argmax of the softmax (argmaxLabels.ts), per label, then averaged over the foreground labels 1..K−1.
 * No TensorFlow.js here: the app service scores test predictions with these.
 */
/**
 * Dice of each label 0..K−1 between two label volumes. A label absent from both counts as Dice 1
 * (nothing to find, nothing found), so a case without some structure does not drag the mean to 0.
 */
export function perLabelDice(pred: ArrayLike<number>, truth: ArrayLike<number>, classes: number): number[] {
  if (pred.length !== truth.length) {
    throw new Error(`perLabelDice: prediction has ${pred.length} voxels, truth ${truth.length}.`);
  }
  const inter = new Float64Array(classes);
  const predCount = new Float64Array(classes);
  const truthCount = new Float64Array(classes);
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i];
    const t = truth[i];
    predCount[p]++;
    truthCount[t]++;
    if (p === t) inter[p]++;
  }
  return Array.from(inter, (n, l) => {
    const denom = predCount[l] + truthCount[l];
    return denom === 0 ? 1 : (2 * n) / denom;
  });
}

/**
 * Dice of one label value between two label maps of the same grid, for maps that still hold the
 * dataset's original values (e.g. 5 and 9) rather than 0..K−1. Absent from both counts as 1, as above.
 */
export function labelValueDice(a: ArrayLike<number>, b: ArrayLike<number>, value: number): number {
  let na = 0;
  let nb = 0;
  let both = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] === value;
    const y = b[i] === value;
    if (x) na++;
    if (y) nb++;
    if (x && y) both++;
  }
  return na + nb === 0 ? 1 : (2 * both) / (na + nb);
}

/** Mean Dice over labels 1..K−1 (background excluded). */
export function meanForegroundDice(perLabel: readonly number[]): number {
  if (perLabel.length < 2) throw new Error('meanForegroundDice: needs at least one foreground label.');
  let s = 0;
  for (let l = 1; l < perLabel.length; l++) s += perLabel[l];
  return s / (perLabel.length - 1);
}
