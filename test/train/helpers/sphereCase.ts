/** A bright sphere (label 1) in a dark cube with a little seeded noise: the smallest learnable case. */
export function sphereCase(
  size: number,
  radius: number,
  seed: number,
): { image: Float32Array; label: Uint8Array } {
  const image = new Float32Array(size ** 3);
  const label = new Uint8Array(size ** 3);
  const c = (size - 1) / 2;
  let s = seed >>> 0;
  const noise = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  for (let z = 0, i = 0; z < size; z++)
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++, i++) {
        const inside = (x - c) ** 2 + (y - c) ** 2 + (z - c) ** 2 <= radius ** 2;
        label[i] = inside ? 1 : 0;
        image[i] = (inside ? 1 : -1) + 0.2 * noise();
      }
  return { image, label };
}
