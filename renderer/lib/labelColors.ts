/** Colour tables for label overlays: ground truth in cool colours, predictions in warm ones. */
import type { LabelInfo } from '../../main/api';

const TRUTH = [
  [0, 200, 255],
  [60, 220, 120],
  [170, 120, 255],
  [0, 160, 160],
  [120, 200, 255],
  [80, 255, 200],
];
const PREDICTION = [
  [255, 90, 60],
  [255, 200, 0],
  [255, 80, 200],
  [255, 140, 0],
  [230, 60, 120],
  [255, 240, 120],
];

/**
 * The viewer's crosshair: a neutral grey (RGBA 0–1), so it never reads as a label's colour in either
 * palette.
 */
export const CROSSHAIR_COLOUR: [number, number, number, number] = [0.85, 0.85, 0.85, 0.5];

export interface LabelColormap {
  R: number[];
  G: number[];
  B: number[];
  A: number[];
  I: number[];
  labels: string[];
}

/** A niivue label LUT over the label values (0 transparent), in the given palette. */
export function labelColormap(labels: readonly LabelInfo[], palette: 'truth' | 'prediction'): LabelColormap {
  const colours = palette === 'truth' ? TRUTH : PREDICTION;
  const values =
    labels.length > 0
      ? labels
      : [
          { value: 0, name: 'background' },
          { value: 1, name: 'label 1' },
        ];
  const max = Math.max(1, ...values.map((l) => l.value));
  const cm: LabelColormap = { R: [], G: [], B: [], A: [], I: [], labels: [] };
  for (let v = 0; v <= max; v++) {
    const label = values.find((l) => l.value === v);
    const [r, g, b] = v === 0 ? [0, 0, 0] : colours[(v - 1) % colours.length];
    cm.R.push(r);
    cm.G.push(g);
    cm.B.push(b);
    cm.A.push(v === 0 || !label ? 0 : 255);
    cm.I.push(v);
    cm.labels.push(label?.name ?? '');
  }
  return cm;
}

export function cssColour(value: number, palette: 'truth' | 'prediction'): string {
  const colours = palette === 'truth' ? TRUTH : PREDICTION;
  const [r, g, b] = colours[(Math.max(1, value) - 1) % colours.length];
  return `rgb(${r} ${g} ${b})`;
}
