/** The viewer's colours: the crosshair must not be mistaken for a label of either overlay. */
import { describe, expect, it } from 'vitest';
import { CROSSHAIR_COLOUR, labelColormap } from '../../renderer/lib/labelColors';

describe('viewer colours', () => {
  it('draws the crosshair in a grey that no label of either palette uses', () => {
    const [r, g, b] = CROSSHAIR_COLOUR;
    expect(Math.max(r, g, b) - Math.min(r, g, b)).toBeLessThan(0.05);
    const labels = Array.from({ length: 7 }, (_, value) => ({ value, name: `l${value}` }));
    for (const palette of ['truth', 'prediction'] as const) {
      const cm = labelColormap(labels, palette);
      for (let v = 1; v < cm.R.length; v++) {
        const spread = Math.max(cm.R[v], cm.G[v], cm.B[v]) - Math.min(cm.R[v], cm.G[v], cm.B[v]);
        expect(spread, `${palette} label ${v} is a colour, not a grey`).toBeGreaterThan(60);
      }
    }
  });
});
