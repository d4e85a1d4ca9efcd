import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend';
import type { Side3 } from '../../main/core/nativeSettings';
import { buildNetwork } from '../../main/train/network';
import { predictClasses } from '../../main/train/predict';
import {
  gaussianImportance,
  slidingWindowPredict,
  windowOrigins,
  windowStarts,
} from '../../main/train/slidingWindow';
import { boxCase } from './helpers/boxCase';
import { TINY_SPEC } from './helpers/tinySpec';

const SPEC = { ...TINY_SPEC, p: 2 };

beforeAll(async () => {
  await initBackend();
});

describe('sliding window (native protocol)', () => {
  it('covers each axis exactly, half a patch apart at most, the last window ending at the volume end', () => {
    expect(windowStarts(8, 8, 0.5)).toEqual([0]);
    expect(windowStarts(5, 8, 0.5)).toEqual([0]);
    expect(windowStarts(16, 8, 0.5)).toEqual([0, 4, 8]);
    expect(windowStarts(17, 8, 0.5)).toEqual([0, 3, 6, 9]);
    expect(windowStarts(100, 40, 0.5)).toEqual([0, 20, 40, 60]);
    // an overlap near 1 gives one window per position, never duplicates
    expect(windowStarts(12, 8, 0.999)).toEqual([0, 1, 2, 3, 4]);
    for (const [n, p] of [
      [37, 16],
      [64, 24],
      [9, 8],
    ]) {
      const s = windowStarts(n, p, 0.5);
      expect(s[0]).toBe(0);
      expect(s.at(-1)).toBe(n - p);
      for (let i = 1; i < s.length; i++) expect(s[i] - s[i - 1]).toBeLessThanOrEqual(p / 2);
    }
    expect(windowOrigins([16, 8, 8], [8, 8, 8], 0.5)).toEqual([
      [0, 0, 0],
      [4, 0, 0],
      [8, 0, 0],
    ]);
  });

  it('weights by a Gaussian: 1 at the patch centre, σ = side/8, never 0', () => {
    const g = gaussianImportance([8, 16, 4]);
    expect(g.length).toBe(8 * 16 * 4);
    const at = (x: number, y: number, z: number) => g[x + 8 * (y + 16 * z)];
    expect(at(4, 8, 2)).toBe(1);
    expect(Math.max(...g)).toBe(1);
    expect(Math.min(...g)).toBeGreaterThan(0);
    // one σ along x (σ = 1) and along y (σ = 2): exp(−1/2)
    expect(at(5, 8, 2)).toBeCloseTo(Math.exp(-0.5), 6);
    expect(at(4, 10, 2)).toBeCloseTo(Math.exp(-0.5), 6);
  });

  it('on a volume the size of the patch, it is the plain prediction; on larger ones it frees every tensor', async () => {
    const patch: Side3 = [8, 12, 16];
    const net = buildNetwork(SPEC, { classes: 3, size: 16, inChannels: 1, dropout: 0, seed: 2, patch });
    const one = boxCase(patch, 4, true);
    const plain = await predictClasses(net, one.image);
    expect(
      Array.from(
        slidingWindowPredict(net, one.image, patch, { patchSize: patch, overlap: 0.5, mirror: false }),
      ),
    ).toEqual(Array.from(plain));
    // 3 × 2 × 2 windows, the last batch of them partial
    const big = boxCase([14, 13, 20], 5, true);
    const plainSettings = { patchSize: patch, overlap: 0.5, mirror: false, windowBatch: 5 };
    const a = slidingWindowPredict(net, big.image, big.shape, plainSettings); // the backend's first-use allocations
    const before = tf.memory();
    const b = slidingWindowPredict(net, big.image, big.shape, plainSettings);
    const mirrored = slidingWindowPredict(net, big.image, big.shape, { ...plainSettings, mirror: true });
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(a.length).toBe(14 * 13 * 20);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(mirrored.length).toBe(a.length);
    expect(() => slidingWindowPredict(net, big.image, [14, 13, 19], plainSettings)).toThrow(
      /expected 14×13×19/,
    );
    net.dispose();
  });
});
