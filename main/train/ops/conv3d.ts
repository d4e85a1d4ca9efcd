/**
 * Exact 3D 'same' convolution (stride 1, any odd kernel, any dilation) with its own gradient, in two
 * implementations on the wasm and cpu backends:
 *
 * - 'direct' (default): our WebAssembly SIMD kernels on every core (directConv.ts) for y = conv(x, W)
 *   and dW; dx = conv(dy, W̃), W̃ = W flipped in space with Ci↔Co.
 * - 'im2col': the same three as matMuls over patch matrices, single-threaded (tfjs' XNNPACK matMul):
 *     forward  y  = cols(x) · W                                  [P, k³Ci] · [k³Ci, Co]
 *     dW          = colsᵀ(x) · dy                                  [k³Ci, P] · [P, Co]
 *     dx          = cols(dy) · W̃
 *   Every matMul has its big operand on the left and no transpose flag, the shape XNNPACK is fast at
 *   (tfjs-wasm's transposed matMul paths are 5–10× slower, and a big right operand is repacked on every
 *   call), so colsᵀ is built directly by its own kernel rather than transposed.
 *
 * The flipped-kernel identity for dx holds because 'same' padding is symmetric for odd k. On backends
 * without our kernels (webgpu, tensorflow, webgl) tf.conv3d is used: their native conv3d is the fast
 * path there.
 */
import * as tf from '@tensorflow/tfjs-core';
import { conv3dDirect, conv3dFilterGradDirect, hasDirectConv } from './directConv';
import { hasIm2Col, im2col3d, im2col3dTransposedChannelMajor, rowRange, type SlabRange } from './im2col';

/**
 * How convolutions run on wasm/cpu: 'direct' (our multi-threaded WebAssembly SIMD kernels,
 * directConv.ts) or 'im2col' (patch matrix + tfjs matMul, single-threaded; kept as the reference the
 * benchmark's A/B mode compares against, and for its tests).
 */
export type ConvAlgorithm = 'direct' | 'im2col';
let algorithm: ConvAlgorithm = 'direct';

export function setConvAlgorithm(next: ConvAlgorithm): void {
  algorithm = next;
}

/**
 * Largest patch matrix built at once. A 64³×8 3×3×3 conv's whole patch matrix is 226 MB, the
 * transposed one for 24 input channels 680 MB: built a few depth slices at a time, the step's peak
 * memory no longer holds them whole (64³ reference step: 1.5 GB → 0.77 GB with the fused BN below).
 * Measured at 64³ (A/B, interleaved): 128 MB tiles were also ≈ 6 % faster than none, while
 * cache-sized tiles (2–16 MB) were 10–35 % slower — each tile pays the kernels' and XNNPACK's per-call
 * setup and a matMul over a short dimension.
 */
const DEFAULT_TILE_BYTES = 128 * 2 ** 20;

/** Consecutive slab ranges (slab = one depth slice of one batch item) of at most tileBytes each. */
export function slabTiles(slabs: number, bytesPerSlab: number, tileBytes: number): SlabRange[] {
  const perTile = Math.max(1, Math.floor(tileBytes / bytesPerSlab));
  const tiles: SlabRange[] = [];
  for (let start = 0; start < slabs; start += perTile)
    tiles.push({ slabStart: start, slabEnd: Math.min(slabs, start + perTile) });
  return tiles;
}

/** W̃[a,b,c,co,ci] = W[k−1−a, k−1−b, k−1−c, ci, co]: flipping all three axes reverses the flat tap index. */
function spatialFlipSwap(w: tf.Tensor5D): tf.Tensor5D {
  const [k, , , ci, co] = w.shape;
  const flipped = tf.transpose(tf.reverse(tf.reshape(w, [k * k * k, ci, co]), 0), [0, 2, 1]);
  return tf.reshape(flipped, [k, k, k, co, ci]);
}

/** y = cols(x)·W without recording a gradient of its own (the caller's customGrad owns it). */
function im2colConv(x: tf.Tensor5D, w: tf.Tensor5D, dilation: number, tileBytes: number): tf.Tensor5D {
  return tf.tidy(() => {
    const [n, d, h, wd, ci] = x.shape;
    const [k, , , , co] = w.shape;
    const wMat = tf.reshape(w, [k * k * k * ci, co]);
    const outShape: [number, number, number, number, number] = [n, d, h, wd, co];
    if (k === 1) return tf.reshape(tf.matMul(tf.reshape(x, [n * d * h * wd, ci]), wMat), outShape);
    const geometry = { kernel: k, dilation };
    const tiles = slabTiles(n * d, h * wd * k * k * k * ci * 4, tileBytes);
    if (tiles.length === 1) return tf.reshape(tf.matMul(im2col3d(x, geometry), wMat), outShape);
    const parts = tiles.map((range) => tf.tidy(() => tf.matMul(im2col3d(x, geometry, range), wMat)));
    return tf.reshape(tf.concat(parts, 0), outShape);
  });
}

/** dW = colsᵀ(x)·dy, summed over slab tiles of colsᵀ (see DEFAULT_TILE_BYTES). */
function filterGradient(
  x: tf.Tensor5D,
  dy: tf.Tensor5D,
  kernel: number,
  dilation: number,
  tileBytes: number,
): tf.Tensor5D {
  return tf.tidy(() => {
    const [n, d, h, wd, ci] = x.shape;
    const co = dy.shape[4];
    const voxelsPerSlab = h * wd;
    const dyMat = tf.reshape(dy, [n * d * voxelsPerSlab, co]) as tf.Tensor2D;
    const dwShape: [number, number, number, number, number] = [kernel, kernel, kernel, ci, co];
    if (kernel === 1)
      return tf.reshape(tf.matMul(tf.transpose(tf.reshape(x, [n * d * voxelsPerSlab, ci])), dyMat), dwShape);
    const geometry = { kernel, dilation };
    const channelMajor = tf.transpose(x, [4, 0, 1, 2, 3]);
    const tiles = slabTiles(n * d, voxelsPerSlab * kernel ** 3 * ci * 4, tileBytes);
    let sum: tf.Tensor2D | undefined;
    for (const range of tiles) {
      const part: tf.Tensor2D = tf.tidy(() => {
        const colsT = im2col3dTransposedChannelMajor(
          channelMajor,
          geometry,
          tiles.length > 1 ? range : undefined,
        );
        const dyTile =
          tiles.length === 1
            ? dyMat
            : rowRange(
                dyMat,
                range.slabStart * voxelsPerSlab,
                (range.slabEnd - range.slabStart) * voxelsPerSlab,
              );
        return tf.matMul(colsT, dyTile) as tf.Tensor2D;
      });
      if (sum === undefined) sum = part;
      else {
        const next = tf.add(sum, part) as tf.Tensor2D;
        tf.dispose([sum, part]);
        sum = next;
      }
    }
    return tf.reshape(sum as tf.Tensor2D, dwShape);
  });
}

/** One convolution's three pieces; the custom gradient below is the same for every implementation. */
interface ConvParts {
  forward(x: tf.Tensor5D, w: tf.Tensor5D): tf.Tensor5D;
  filterGrad(x: tf.Tensor5D, dy: tf.Tensor5D, w: tf.Tensor5D): tf.Tensor5D;
  inputGrad(dy: tf.Tensor5D, w: tf.Tensor5D): tf.Tensor5D;
}

/**
 * conv(x, w) with gradient [dx, dW] from `parts`. inputGradient false (x is the network's input): dx is
 * returned as zeros instead of computed.
 */
function convWithGradient(parts: ConvParts, inputGradient: boolean) {
  return tf.customGrad((...args: unknown[]) => {
    const [x, w, save] = args as [tf.Tensor5D, tf.Tensor5D, tf.GradSaveFunc];
    save([x, w]);
    return {
      value: parts.forward(x, w),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor5D, tf.Tensor5D];
        const g = dy as tf.Tensor5D;
        const dw = tf.tidy(() => parts.filterGrad(sx, g, sw));
        const dx = inputGradient ? tf.tidy(() => parts.inputGrad(g, sw)) : tf.zerosLike(sx);
        return [dx, dw];
      },
    };
  });
}

const directParts = (dilation: number): ConvParts => ({
  forward: (x, w) => conv3dDirect(x, w, dilation),
  filterGrad: (x, dy, w) => conv3dFilterGradDirect(x, dy, w.shape[0], dilation),
  inputGrad: (dy, w) => conv3dDirect(dy, w, dilation, true),
});

const im2colParts = (dilation: number, tileBytes: number): ConvParts => ({
  forward: (x, w) => im2colConv(x, w, dilation, tileBytes),
  filterGrad: (x, dy, w) => filterGradient(x, dy, w.shape[0], dilation, tileBytes),
  inputGrad: (dy, w) => im2colConv(dy, spatialFlipSwap(w), dilation, tileBytes),
});

/**
 * tf.conv3d with a gradient for dilation > 1 (tfjs-core's Conv3D gradient refuses dilations), for
 * backends without our kernels: dx is the flipped-kernel conv, dW the dilation-1 filter gradient of
 * the equivalent zero-stuffed (d(k−1)+1)³ kernel, sampled every d taps.
 */
function nativeDilatedParts(dilation: number): ConvParts {
  const dilations: [number, number, number] = [dilation, dilation, dilation];
  return {
    forward: (x, w) => tf.conv3d(x, w, 1, 'same', 'NDHWC', dilations),
    inputGrad: (dy, w) => tf.conv3d(dy, spatialFlipSwap(w), 1, 'same', 'NDHWC', dilations),
    filterGrad: (x, dy, w) => {
      const [k, , , ci, co] = w.shape;
      const big = dilation * (k - 1) + 1;
      const dwBig = tf
        .engine()
        .runKernel(
          tf.Conv3DBackpropFilterV2,
          { x, dy },
          { strides: 1, pad: 'same', filterShape: [big, big, big, ci, co] },
        ) as tf.Tensor5D;
      return tf.stridedSlice(
        dwBig,
        [0, 0, 0, 0, 0],
        [big, big, big, ci, co],
        [dilation, dilation, dilation, 1, 1],
      ) as tf.Tensor5D;
    },
  };
}

// customGrad functions take only tensors, so the settings are baked into one function per combination.
const convs = new Map<string, ReturnType<typeof convWithGradient>>();

function cachedConv(key: string, make: () => ReturnType<typeof convWithGradient>) {
  let conv = convs.get(key);
  if (!conv) {
    conv = make();
    convs.set(key, conv);
  }
  return conv;
}

/** The path for backends without the im2col kernel (exported so that tests can run it on cpu too). */
export function conv3dSameNative(x: tf.Tensor5D, w: tf.Tensor5D, dilation = 1): tf.Tensor5D {
  if (dilation === 1) return tf.conv3d(x, w, 1, 'same');
  const conv = cachedConv(`native/${dilation}`, () => convWithGradient(nativeDilatedParts(dilation), true));
  return conv(x, w) as tf.Tensor5D;
}

export interface ConvOptions {
  /**
   * false when x is the network's input (an image, not a parameter's function): dx is then returned as
   * zeros instead of computed, which saves a full-resolution im2col and matMul per step.
   */
  inputGradient?: boolean;
  /** im2col path: largest patch matrix built at once, bytes (default DEFAULT_TILE_BYTES). */
  tileBytes?: number;
}

/**
 * 3D convolution with 'same' padding and stride 1: x [N,D,H,W,Ci], w [k,k,k,Ci,Co] → [N,D,H,W,Co].
 * Same values and gradients as tf.conv3d(x, w, 1, 'same', 'NDHWC', dilation).
 */
export function conv3dSame(
  x: tf.Tensor5D,
  w: tf.Tensor5D,
  dilation = 1,
  opts: ConvOptions = {},
): tf.Tensor5D {
  const k = w.shape[0];
  if (k % 2 !== 1) throw new Error(`conv3dSame needs an odd kernel size, got ${k}`);
  const inputGradient = opts.inputGradient ?? true;
  if (algorithm === 'direct' && hasDirectConv()) {
    const conv = cachedConv(`direct/${dilation}/${inputGradient}`, () =>
      convWithGradient(directParts(dilation), inputGradient),
    );
    return conv(x, w) as tf.Tensor5D;
  }
  if (!hasIm2Col()) return conv3dSameNative(x, w, dilation);
  const tileBytes = opts.tileBytes ?? DEFAULT_TILE_BYTES;
  const conv = cachedConv(`im2col/${dilation}/${inputGradient}/${tileBytes}`, () =>
    convWithGradient(im2colParts(dilation, tileBytes), inputGradient),
  );
  return conv(x, w) as tf.Tensor5D;
}
