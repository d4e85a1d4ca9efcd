/**
 * Early stopping across candidates (multi-fidelity): after each epoch of a candidate, decide from the
 * recorded validation curves of earlier candidates whether to stop it. Pure: the decision is a
 * function of the curves and the settings only, so a search that replays its record (resume) meets the
 * same decisions wherever the same earlier curves are recorded — always at one trainer.
 *
 * Scores are the best validation Dice so far (the curve's running maximum), the quantity f is made of.
 */
import type { PruneSettings } from '../core/searchConfig';

/** Validation Dice after each epoch (index 0 = after the first epoch). */
export type DiceCurve = readonly number[];

/** Best validation Dice within the first `epochs` epochs of a curve. */
export function bestWithin(curve: DiceCurve, epochs: number): number {
  let best = 0;
  for (let i = 0; i < Math.min(epochs, curve.length); i++) if (curve[i] > best) best = curve[i];
  return best;
}

/** ASHA's rungs: minEpochs·η^k epochs, below the full budget (a rung at the end decides nothing). */
export function ashaRungs(settings: Pick<PruneSettings, 'eta' | 'minEpochs'>, fullEpochs: number): number[] {
  const rungs: number[] = [];
  for (let e = settings.minEpochs; e < fullEpochs; e *= settings.eta) {
    const rung = Math.round(e);
    if (rung >= 1 && rung !== rungs[rungs.length - 1]) rungs.push(rung);
    if (settings.eta < 2) break;
  }
  return rungs;
}

/**
 * Epochs an average candidate trains under a pruning rule, for time estimates. ASHA lets 1 in η of the
 * candidates at a rung go on only asymptotically: the first candidates always go on, and ties go on, so
 * in searches of tens of candidates more pass. Counting (1 + 1/η)/2 of them (¾ for η 2) reproduces the
 * 28–42 % of epochs the default ASHA saved in docs/search.md's measurement, where 1/η would claim 57 %.
 * The median rule's savings depend on the curves: counted as none.
 */
export function expectedEpochs(settings: PruneSettings | undefined, fullEpochs: number): number {
  if (settings?.rule !== 'asha' || settings.eta < 2) return fullEpochs;
  let epochs = 0;
  let reaching = 1;
  let from = 0;
  for (const rung of [...ashaRungs(settings, fullEpochs), fullEpochs]) {
    epochs += reaching * (rung - from);
    from = rung;
    reaching *= (1 + 1 / settings.eta) / 2;
  }
  return epochs;
}

/**
 * Asynchronous successive halving as a stopping rule: at a rung r, a candidate goes on only if its
 * best Dice within r epochs is among the top ⌊n/η⌋ (at least 1) of the n candidates that reached r,
 * itself and the earlier ones; ties go on. Earlier candidates stopped at a rung count at it (they
 * reached it), not beyond.
 */
function ashaStops(
  settings: PruneSettings,
  fullEpochs: number,
  earlier: readonly DiceCurve[],
  curve: DiceCurve,
): boolean {
  const rung = curve.length;
  if (!ashaRungs(settings, fullEpochs).includes(rung)) return false;
  const score = bestWithin(curve, rung);
  const scores = earlier.filter((c) => c.length >= rung).map((c) => bestWithin(c, rung));
  const n = scores.length + 1;
  const better = scores.filter((s) => s > score).length;
  return better >= Math.max(1, Math.floor(n / settings.eta));
}

/**
 * Median stopping rule: after the warm-up, at every epoch e a candidate stops when its best Dice
 * within e epochs is below the median of the same figure of the earlier candidates that reached e,
 * once at least `minCandidates` of them have.
 */
function medianStops(settings: PruneSettings, earlier: readonly DiceCurve[], curve: DiceCurve): boolean {
  const e = curve.length;
  if (e < settings.warmupEpochs) return false;
  const scores = earlier
    .filter((c) => c.length >= e)
    .map((c) => bestWithin(c, e))
    .sort((a, b) => a - b);
  if (scores.length < Math.max(1, settings.minCandidates)) return false;
  const mid = scores.length >> 1;
  const median = scores.length % 2 === 1 ? scores[mid] : (scores[mid - 1] + scores[mid]) / 2;
  return bestWithin(curve, e) < median;
}

/**
 * Whether to stop a candidate now, after the last epoch of `curve`. `earlier` holds the recorded
 * curves of the candidates evaluated before it (trained ones in full, pruned ones as far as they
 * went). Never stops after the last epoch: that training is complete.
 */
export function shouldPrune(
  settings: PruneSettings | undefined,
  fullEpochs: number,
  earlier: readonly DiceCurve[],
  curve: DiceCurve,
): boolean {
  if (!settings || settings.rule === 'off' || curve.length === 0 || curve.length >= fullEpochs) return false;
  return settings.rule === 'asha'
    ? ashaStops(settings, fullEpochs, earlier, curve)
    : medianStops(settings, earlier, curve);
}

/**
 * Replays a rule over complete curves taken in search order, as if each candidate had been stopped
 * when the rule fired: the epochs each would have trained. What bench:fidelity reports.
 */
export function replayPruning(
  settings: PruneSettings,
  fullEpochs: number,
  curves: readonly DiceCurve[],
): number[] {
  const recorded: DiceCurve[] = [];
  return curves.map((curve) => {
    let trained = Math.min(curve.length, fullEpochs);
    for (let e = 1; e < trained; e++)
      if (shouldPrune(settings, fullEpochs, recorded, curve.slice(0, e))) {
        trained = e;
        break;
      }
    recorded.push(curve.slice(0, trained));
    return trained;
  });
}
