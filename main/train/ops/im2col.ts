/**
 * im2col for 3D 'same' convolutions as a tfjs kernel on the two backends whose tensors live in
 * JavaScript-reachable memory (wasm heap, cpu typed arrays).
 *
 * Why a kernel: tfjs-wasm's Conv3D is a naive loop (≈0.5 s for 32³×8→8), while its matMul (XNNPACK)
 * does the same arithmetic in ≈15 ms. Building the patch matrix from tfjs ops costs more than the conv
 * itself (27 rank-5 slices take seconds, gather ≈0.9 s), so the gather is written here once, in plain
 * JavaScript over the backend's own buffers: no copy in or out, zero padding folded in.
 */
import * as tf from '@tensorflow/tfjs-core';
import { inputsOf, registerBufferKernel } from './backendBuffers';

export const IM2COL3D = 'SegnasIm2Col3D';
export const IM2COL3D_T = 'SegnasIm2Col3DTransposed';

export interface Im2ColGeometry {
  kernel: number;
  dilation: number;
}

/**
 * Which slabs (one slab = one depth slice of one batch item, i.e. index b·D + z) the patch rows or
 * columns are built for: [slabStart, slabEnd). The whole volume when absent. Tiling a conv over slabs
 * keeps each patch matrix small enough to stay in cache between being written and multiplied.
 */
export interface SlabRange {
  slabStart: number;
  slabEnd: number;
}

function slabRange(shape: readonly number[], range: SlabRange | undefined, batchAxis: number): SlabRange {
  const slabs = shape[batchAxis] * shape[batchAxis + 1];
  return range ?? { slabStart: 0, slabEnd: slabs };
}

/** Below this many floats a plain loop beats the call overhead of copyWithin/set (measured). */
const SHORT_RUN = 16;

type CopyRun = (dst: number, src: number, length: number) => void;

/** Copies runs between two views; when both live in one buffer (wasm heap) it is one memmove each. */
function runCopier(x: Float32Array, out: Float32Array): CopyRun {
  if (x.buffer === out.buffer) {
    const heap = new Float32Array(out.buffer);
    const xBase = x.byteOffset / 4;
    const outBase = out.byteOffset / 4;
    return (dst, src, length) => {
      if (length >= SHORT_RUN) {
        heap.copyWithin(outBase + dst, xBase + src, xBase + src + length);
        return;
      }
      const o = outBase + dst;
      const i = xBase + src;
      for (let j = 0; j < length; j++) heap[o + j] = heap[i + j];
    };
  }
  return (dst, src, length) => {
    if (length >= SHORT_RUN) {
      out.set(x.subarray(src, src + length), dst);
      return;
    }
    for (let j = 0; j < length; j++) out[dst + j] = x[src + j];
  };
}

/**
 * Writes the patch matrix of x [N,D,H,W,C] into out [N·D·H·W, k³·C]: row = output voxel, columns =
 * taps (a,b,c) in kernel order, channel fastest, i.e. the layout of w [k,k,k,C,Co] reshaped to [k³·C, Co].
 * With dilation 1 the k taps along W are adjacent in x, so an in-bounds row of taps is one k·C copy.
 */
export function im2colInto(
  x: Float32Array,
  shape: readonly number[],
  { kernel: k, dilation: d }: Im2ColGeometry,
  out: Float32Array,
  range?: SlabRange,
): void {
  const [, depth, height, width, c] = shape;
  const { slabStart, slabEnd } = slabRange(shape, range, 0);
  const pad = (d * (k - 1)) / 2;
  const copy = runCopier(x, out);
  const tapRow = k * c;
  let o = 0;
  for (let slab = slabStart; slab < slabEnd; slab++) {
    const z = slab % depth;
    const batchDepth = slab - z;
    for (let y = 0; y < height; y++) {
      for (let xw = 0; xw < width; xw++) {
        const x0 = xw - pad;
        const rowInside = d === 1 && x0 >= 0 && x0 + k <= width;
        for (let ta = 0; ta < k; ta++) {
          const zz = z + ta * d - pad;
          const zIn = zz >= 0 && zz < depth;
          for (let tb = 0; tb < k; tb++) {
            const yy = y + tb * d - pad;
            const rowBase = ((batchDepth + zz) * height + yy) * width;
            if (!(zIn && yy >= 0 && yy < height)) {
              out.fill(0, o, o + tapRow);
              o += tapRow;
            } else if (rowInside) {
              copy(o, (rowBase + x0) * c, tapRow);
              o += tapRow;
            } else {
              for (let tc = 0; tc < k; tc++) {
                const xx = x0 + tc * d;
                if (xx >= 0 && xx < width) copy(o, (rowBase + xx) * c, c);
                else out.fill(0, o, o + c);
                o += c;
              }
            }
          }
        }
      }
    }
  }
}

/**
 * The transposed patch matrix, for the weight gradient dW = colsᵀ·dy: from x in channel-major layout
 * [C, N, D, H, W] into out [k³·C, N·D·H·W] (row = tap and channel in w's order, column = voxel). Each
 * row is the channel's volume shifted by the tap, so it is built from whole W-runs.
 */
export function im2colTInto(
  xcf: Float32Array,
  shape: readonly number[],
  { kernel: k, dilation: d }: Im2ColGeometry,
  out: Float32Array,
  range?: SlabRange,
): void {
  const [c, n, depth, height, width] = shape;
  const { slabStart, slabEnd } = slabRange(shape, range, 1);
  const pad = (d * (k - 1)) / 2;
  const copy = runCopier(xcf, out);
  let o = 0;
  for (let ta = 0; ta < k; ta++) {
    for (let tb = 0; tb < k; tb++) {
      for (let tc = 0; tc < k; tc++) {
        const shiftX = tc * d - pad;
        const lo = Math.min(width, Math.max(0, -shiftX));
        const hi = Math.max(lo, Math.min(width, width - shiftX));
        for (let ch = 0; ch < c; ch++) {
          for (let slab = slabStart; slab < slabEnd; slab++) {
            const z = slab % depth;
            const b = (slab - z) / depth;
            const zz = z + ta * d - pad;
            const zIn = zz >= 0 && zz < depth;
            for (let y = 0; y < height; y++) {
              const yy = y + tb * d - pad;
              if (!(zIn && yy >= 0 && yy < height)) {
                out.fill(0, o, o + width);
              } else {
                const src = (((ch * n + b) * depth + zz) * height + yy) * width + shiftX;
                if (lo > 0) out.fill(0, o, o + lo);
                if (hi > lo) copy(o + lo, src + lo, hi - lo);
                if (hi < width) out.fill(0, o + hi, o + width);
              }
              o += width;
            }
          }
        }
      }
    }
  }
}

function slabCount(shape: readonly number[], range: SlabRange | undefined, batchAxis: number): number {
  const { slabStart, slabEnd } = slabRange(shape, range, batchAxis);
  return slabEnd - slabStart;
}

/** [N,D,H,W,C] → [slabs·H·W, k³·C] */
function colsShape(shape: readonly number[], kernel: number, range?: SlabRange): [number, number] {
  const [, , height, width, c] = shape;
  return [slabCount(shape, range, 0) * height * width, kernel * kernel * kernel * c];
}

function attrsOf(attrs: tf.NamedAttrMap | undefined): Im2ColGeometry {
  return { kernel: attrs?.kernel as number, dilation: attrs?.dilation as number };
}

function rangeOf(attrs: tf.NamedAttrMap | undefined): SlabRange | undefined {
  if (attrs?.slabStart === undefined) return undefined;
  return { slabStart: attrs.slabStart as number, slabEnd: attrs.slabEnd as number };
}

type Filler = (
  x: Float32Array,
  shape: readonly number[],
  g: Im2ColGeometry,
  out: Float32Array,
  range?: SlabRange,
) => void;
type OutShape = (s: readonly number[], k: number, range?: SlabRange) => number[];

function registerFiller(kernelName: string, outShape: OutShape, fill: Filler): void {
  registerBufferKernel(kernelName, (io, inputs, attrs) => {
    const [x] = inputsOf(inputs, ['x']);
    const geometry = attrsOf(attrs);
    const range = rangeOf(attrs);
    const shape = outShape(x.shape, geometry.kernel, range);
    return io.compute([x], [shape], ([xv], [out]) => fill(xv, x.shape, geometry, out, range))[0];
  });
}

/** [C, N, D, H, W] → [k³·C, slabs·H·W] */
function colsTShape(shape: readonly number[], kernel: number, range?: SlabRange): [number, number] {
  const [c, , , height, width] = shape;
  return [kernel * kernel * kernel * c, slabCount(shape, range, 1) * height * width];
}

registerFiller(IM2COL3D, colsShape, im2colInto);
registerFiller(IM2COL3D_T, colsTShape, im2colTInto);

/**
 * Rows [start, start + count) of a [R, C] matrix: tfjs-wasm's Slice takes a generic path even for this
 * contiguous case (≈3 ms for 8192×8), a memmove here.
 */
export const ROW_RANGE = 'SegnasRowRange';
registerBufferKernel(ROW_RANGE, (io, inputs, attrs) => {
  const [x] = inputsOf(inputs, ['x']);
  const start = attrs.start as number;
  const count = attrs.count as number;
  const c = x.shape[1];
  return io.compute([x], [[count, c]], ([xv], [out]) =>
    out.set(xv.subarray(start * c, (start + count) * c)),
  )[0];
});

/** True when the active backend has the im2col kernel (else callers use tfjs' own conv3d). */
export function hasIm2Col(): boolean {
  return tf.getKernel(IM2COL3D, tf.getBackend()) !== undefined;
}

/**
 * Patch matrix [N·D·H·W, k³·C] of a 'same'-padded, stride-1 3D convolution (only the rows of `range`'s
 * slabs when given). No gradient of its own.
 */
export function im2col3d(x: tf.Tensor5D, geometry: Im2ColGeometry, range?: SlabRange): tf.Tensor2D {
  if (x.dtype !== 'float32') throw new Error(`im2col3d needs float32 input, got ${x.dtype}`);
  return tf.engine().runKernel(IM2COL3D, { x }, { ...geometry, ...range }) as tf.Tensor2D;
}

/**
 * Transposed patch matrix [k³·C, slabs·H·W] from x already in channel-major layout [C, N, D, H, W]
 * (transpose once, then build many slab ranges from it). No gradient of its own.
 */
export function im2col3dTransposedChannelMajor(
  xcf: tf.Tensor5D,
  geometry: Im2ColGeometry,
  range?: SlabRange,
): tf.Tensor2D {
  if (xcf.dtype !== 'float32') throw new Error(`im2col3dTransposed needs float32 input, got ${xcf.dtype}`);
  return tf.engine().runKernel(IM2COL3D_T, { x: xcf }, { ...geometry, ...range }) as tf.Tensor2D;
}

/** Rows [start, start + count) of x [R, C] (a copy). No gradient of its own. */
export function rowRange(x: tf.Tensor2D, start: number, count: number): tf.Tensor2D {
  if (x.dtype !== 'float32') throw new Error(`rowRange needs float32 input, got ${x.dtype}`);
  return tf.engine().runKernel(ROW_RANGE, { x }, { start, count }) as tf.Tensor2D;
}
