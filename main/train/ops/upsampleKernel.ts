/**
 * Nearest-neighbour ×2 upsampling of [N,D,H,W,C] as a kernel on wasm and cpu: tfjs-wasm's Tile takes
 * ≈60 ms per upsampling of a small map, this copies each source voxel twice and then whole rows and
 * planes, in the backend's own buffers.
 */
import * as tf from '@tensorflow/tfjs-core';
import { inputsOf, registerBufferKernel } from './backendBuffers';

export const UPSAMPLE2X = 'SegnasUpsample2x';

export function upsample2xInto(x: Float32Array, shape: readonly number[], out: Float32Array): void {
  const [n, d, h, w, c] = shape;
  const row = 2 * w * c;
  const plane = 2 * h * row;
  let src = 0;
  for (let b = 0; b < n; b++) {
    for (let z = 0; z < d; z++) {
      const planeStart = (b * 2 * d + 2 * z) * plane;
      for (let y = 0; y < h; y++) {
        const rowStart = planeStart + 2 * y * row;
        let o = rowStart;
        for (let xw = 0; xw < w; xw++) {
          for (let ch = 0; ch < c; ch++) {
            const v = x[src + ch];
            out[o + ch] = v;
            out[o + c + ch] = v;
          }
          src += c;
          o += 2 * c;
        }
        out.copyWithin(rowStart + row, rowStart, rowStart + row);
      }
      out.copyWithin(planeStart + plane, planeStart, planeStart + plane);
    }
  }
}

function upShape(shape: readonly number[]): number[] {
  const [n, d, h, w, c] = shape;
  return [n, 2 * d, 2 * h, 2 * w, c];
}

registerBufferKernel(UPSAMPLE2X, (io, inputs) => {
  const [x] = inputsOf(inputs, ['x']);
  return io.compute([x], [upShape(x.shape)], ([xv], [out]) => upsample2xInto(xv, x.shape, out))[0];
});

export function hasUpsampleKernel(): boolean {
  return tf.getKernel(UPSAMPLE2X, tf.getBackend()) !== undefined;
}

/** No gradient of its own: upsample2x in layers.ts owns it. */
export function upsample2xKernel(x: tf.Tensor5D): tf.Tensor5D {
  return tf.engine().runKernel(UPSAMPLE2X, { x }, {}) as tf.Tensor5D;
}
