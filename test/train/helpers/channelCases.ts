/**
 * A case of `channels` channels, each a bright ball on a dark noisy background at its own seeded place;
 * the label (class 1) is the ball of channel `labelled` alone. Read from any other channel, the label
 * is somewhere else, so a network learns it only if it gets that channel.
 */
export function channelCase(
  size: number,
  channels: number,
  labelled: number,
  seed: number,
): { image: Float32Array; label: Uint8Array } {
  let s = (seed * 2_654_435_761) >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const v = size ** 3;
  const image = new Float32Array(channels * v);
  const label = new Uint8Array(v);
  for (let c = 0; c < channels; c++) {
    const centre = [0, 1, 2].map(() => 4 + rand() * (size - 9));
    const r = 2.5 + rand();
    for (let z = 0, i = 0; z < size; z++)
      for (let y = 0; y < size; y++)
        for (let x = 0; x < size; x++, i++) {
          const inside = (x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2 <= r * r;
          image[c * v + i] = (inside ? 1 : -1) + 0.3 * (rand() - 0.5);
          if (c === labelled && inside) label[i] = 1;
        }
  }
  return { image, label };
}
