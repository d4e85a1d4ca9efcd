import type { Side3 } from '../../../main/core/nativeSettings';

/** A bright ellipsoid (label 1, and label 2 in its +x half when `twoLabels`) in a dark box of `shape` with seeded
 * noise: a native-protocol case, not a cube. */
export function boxCase(
  shape: Side3,
  seed: number,
  twoLabels = false,
): { image: Float32Array; label: Uint8Array; shape: Side3 } {
  const [X, Y, Z] = shape;
  const image = new Float32Array(X * Y * Z);
  const label = new Uint8Array(X * Y * Z);
  const c = shape.map((n) => (n - 1) / 2);
  const r = shape.map((n) => n / 4);
  let s = seed >>> 0;
  const noise = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  for (let z = 0, i = 0; z < Z; z++)
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++, i++) {
        const d = ((x - c[0]) / r[0]) ** 2 + ((y - c[1]) / r[1]) ** 2 + ((z - c[2]) / r[2]) ** 2;
        const inside = d <= 1;
        label[i] = inside ? (twoLabels && x > c[0] ? 2 : 1) : 0;
        image[i] = (inside ? 1 + (label[i] === 2 ? 1 : 0) : -1) + 0.2 * noise();
      }
  return { image, label, shape };
}
