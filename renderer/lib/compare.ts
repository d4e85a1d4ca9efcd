/** What differs between compared candidates, pure so the compare view and its tests share it. */
import type { CandidateSummary, EpochRecord } from '../../main/api';
import { blockEdges } from '../../main/core/blockMatrix';
import type { BlockSpec } from '../../main/core/spec';
import { edgeKeyOf } from './edgeKey';

/** Per block, the keys of its (non-none) edges that not every compared block has with the same op. */
export function edgeDifferences(blocks: readonly BlockSpec[]): Set<string>[] {
  const keys = blocks.map(
    (b) =>
      new Set(
        blockEdges(b)
          .filter((e) => e.op !== 0)
          .map(edgeKeyOf),
      ),
  );
  return keys.map((mine) => new Set([...mine].filter((k) => !keys.every((other) => other.has(k)))));
}

/** Rows of [label, value per candidate]; `differs` marks rows whose values are not all equal. */
export interface CompareRow {
  label: string;
  values: string[];
  differs: boolean;
}

export function compareRows(
  candidates: readonly CandidateSummary[],
  fields: readonly [string, (c: CandidateSummary) => string][],
): CompareRow[] {
  return fields.map(([label, get]) => {
    const values = candidates.map(get);
    return { label, values, differs: values.some((v) => v !== values[0]) };
  });
}

/** Learning curves of several candidates merged by epoch, for one overlaid chart: keys d<i>, l<i>. */
export function overlayCurves(curves: readonly (readonly EpochRecord[])[]): Record<string, number | null>[] {
  const byEpoch = new Map<number, Record<string, number | null>>();
  curves.forEach((curve, i) => {
    for (const e of curve) {
      const row = byEpoch.get(e.epoch) ?? { epoch: e.epoch };
      row[`d${i}`] = e.valDice;
      row[`l${i}`] = e.loss;
      byEpoch.set(e.epoch, row);
    }
  });
  return [...byEpoch.values()].sort((a, b) => (a.epoch as number) - (b.epoch as number));
}

/** Label names over all candidates' per-label Dice, in first-seen order. */
export function labelNames(candidates: readonly CandidateSummary[]): string[] {
  const names = new Set<string>();
  for (const c of candidates) for (const k of Object.keys(c.perLabelDice ?? {})) names.add(k);
  return [...names];
}
