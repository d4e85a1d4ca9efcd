/**
 * The mapping between a dataset's original label values and the network's classes 0..K−1. It is
 * built once per dataset, so that class k means the same structure in every case, and it keeps the
 * original values and names for display and export.
 */

export interface LabelDef {
  value: number;
  name: string;
}

export interface LabelMapping {
  /** values[k] is the original label value of class k; values[0] is the background (0 when present). */
  values: number[];
  /** names[k] is the display name of class k (from dataset.json, else "label <value>"). */
  names: string[];
}

/** Per-class Dice (index = class 0..K−1) keyed by structure name, background left out. */
export function diceByLabelName(perLabel: readonly number[], mapping: LabelMapping): Record<string, number> {
  const out: Record<string, number> = {};
  for (let k = 1; k < perLabel.length; k++)
    out[mapping.names[k] ?? defaultLabelName(mapping.values[k])] = perLabel[k];
  return out;
}

export function defaultLabelName(value: number): string {
  return value === 0 ? 'background' : `label ${value}`;
}

/**
 * Builds the mapping from the declared labels (dataset.json) when there are any, else from the values
 * seen in the label maps. Background 0 is always class 0, and the other values keep ascending order.
 */
export function buildLabelMapping(declared: LabelDef[], observed: Iterable<number>): LabelMapping {
  const names = new Map<number, string>();
  for (const d of declared) names.set(d.value, d.name);
  const values = new Set<number>(declared.length > 0 ? declared.map((d) => d.value) : observed);
  values.add(0);
  const sorted = [...values].sort((a, b) => a - b);
  return { values: sorted, names: sorted.map((v) => names.get(v) ?? defaultLabelName(v)) };
}

export function classCount(mapping: LabelMapping): number {
  return mapping.values.length;
}

/**
 * A fast original-value → class function. Values outside the mapping give -1 (validation has
 * already excluded cases that contain them).
 */
export function classOfValue(mapping: LabelMapping): (value: number) => number {
  const index = new Map<number, number>();
  mapping.values.forEach((v, k) => {
    index.set(v, k);
  });
  const lo = mapping.values[0];
  const hi = mapping.values[mapping.values.length - 1];
  if (Number.isInteger(lo) && Number.isInteger(hi) && hi - lo <= 65535) {
    const table = new Int32Array(hi - lo + 1).fill(-1);
    mapping.values.forEach((v, k) => {
      table[v - lo] = k;
    });
    return (value) => (value >= lo && value <= hi && Number.isInteger(value) ? table[value - lo] : -1);
  }
  return (value) => index.get(value) ?? -1;
}
