/**
 * Direct 3D 'same' convolutions as tfjs kernels on the wasm and cpu backends, computed by our own
 * WebAssembly SIMD code (`wasm/conv3d.as.ts`) on every core (`kernelThreads.ts`):
 *
 *   SegnasConv3DDirect      y  = conv(x, w)            x [N,D,H,W,Ci], w [k,k,k,Ci,Co] → [N,D,H,W,Co]
 *   SegnasConv3DFilterGrad  dW = Σ x(shifted) ⊗ dy     x, dy [N,D,H,W,Co] → [k,k,k,Ci,Co]
 *
 * (the input gradient is the first with the flipped kernel, see conv3d.ts). They replace im2col +
 * matMul, whose patch matrix — 27× the input at full resolution — cost more to write than the multiply,
 * and which ran on one thread. Inputs are copied into the pool's shared memory and the result back:
 * a few MB per call against hundreds of MFLOP.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type BufferIo, inputsOf, registerBufferKernel } from './backendBuffers';
import { HEAP_BASE, kernelThreads, regionBytes } from './kernelThreads';

export const CONV3D_DIRECT = 'SegnasConv3DDirect';
export const CONV3D_FILTER_GRAD = 'SegnasConv3DFilterGrad';

/** Bytes for `floats` floats, 16-aligned, with slack: the kernels' last vector loads may run over. */
const region = (floats: number) => regionBytes(floats * 4);

function checkFloat(t: tf.TensorInfo, what: string): void {
  if (t.dtype !== 'float32') throw new Error(`${what} must be float32, got ${t.dtype}`);
}

/** Multiply-adds a thread should get at least (≈ 1 ms of work) before another thread is woken. */
const MIN_MACS_PER_THREAD = 4e6;

function rowsPerThread(width: number, kernel: number, ci: number, co: number): number {
  return Math.ceil(MIN_MACS_PER_THREAD / (width * kernel ** 3 * ci * co));
}

/**
 * Writes W̃[tap', o, i] = W[taps − 1 − tap', i, o] (the kernel flipped in all three axes, which reverses
 * the flat tap index, with its channel axes swapped) into `into` at `at`.
 */
function writeFlipped(w: Float32Array, taps: number, ci: number, co: number, into: Float32Array, at: number) {
  for (let t = 0; t < taps; t++) {
    const src = (taps - 1 - t) * ci * co;
    const dst = at + t * co * ci;
    for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) into[dst + o * ci + i] = w[src + i * co + o];
  }
}

/**
 * y = conv(x, w), or with `flipped` y = conv(x, W̃) for w [k,k,k,Co,Ci] given unflipped (the input
 * gradient: the flip happens while copying the weights, not as tfjs ops).
 */
function forward(
  io: BufferIo,
  x: tf.TensorInfo,
  w: tf.TensorInfo,
  dilation: number,
  flipped: boolean,
): tf.TensorInfo {
  checkFloat(x, 'conv3d input');
  checkFloat(w, 'conv3d weights');
  const [n, depth, height, width, ci] = x.shape;
  const [k, , , wIn, wOut] = w.shape;
  const [wci, co] = flipped ? [wOut, wIn] : [wIn, wOut];
  if (wci !== ci) throw new Error(`conv3d weights expect ${wci} input channels, the input has ${ci}`);
  const pool = kernelThreads();
  const voxels = n * depth * height * width;
  const coPad = Math.ceil(co / 4) * 4;
  const xAt = HEAP_BASE;
  const wAt = xAt + region(voxels * ci);
  const outAt = wAt + region(k * k * k * ci * co);
  const scratchAt = outAt + region(voxels * co);
  const scratchBytes = region(width * coPad);
  const mem = pool.floats(scratchAt + pool.threads * scratchBytes);
  mem.set(io.read(x), xAt / 4);
  if (flipped) writeFlipped(io.read(w), k * k * k, co, ci, mem, wAt / 4);
  else mem.set(io.read(w), wAt / 4);
  pool.run(
    'convForwardRows',
    [xAt, wAt, outAt, depth, height, width, ci, co, k, dilation],
    pool.shares(n * depth * height, (t) => scratchAt + t * scratchBytes, 1, rowsPerThread(width, k, ci, co)),
  );
  return io.write([n, depth, height, width, co], mem.subarray(outAt / 4, outAt / 4 + voxels * co));
}

function filterGrad(
  io: BufferIo,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  kernel: number,
  dilation: number,
): tf.TensorInfo {
  checkFloat(x, 'conv3d input');
  checkFloat(dy, 'conv3d output gradient');
  const [n, depth, height, width, ci] = x.shape;
  const co = dy.shape[4];
  const pool = kernelThreads();
  const voxels = n * depth * height * width;
  const coPad = Math.ceil(co / 4) * 4;
  const taps = kernel * kernel * kernel;
  const partialFloats = taps * ci * coPad;
  const xAt = HEAP_BASE;
  const dyAt = xAt + region(voxels * ci);
  const partialAt = dyAt + region(voxels * co);
  const partialBytes = region(partialFloats);
  const mem = pool.floats(partialAt + pool.threads * partialBytes);
  mem.set(io.read(x), xAt / 4);
  mem.set(io.read(dy), dyAt / 4);
  mem.fill(0, partialAt / 4, (partialAt + pool.threads * partialBytes) / 4);
  pool.run(
    'convFilterGradRows',
    [xAt, dyAt, depth, height, width, ci, co, kernel, dilation],
    pool.shares(
      n * depth * height,
      (t) => partialAt + t * partialBytes,
      1,
      rowsPerThread(width, kernel, ci, co),
    ),
  );
  // Sum the threads' partial sums, dropping the padding lanes.
  const dw = new Float32Array(taps * ci * co);
  for (let t = 0; t < pool.threads; t++) {
    const base = (partialAt + t * partialBytes) / 4;
    for (let row = 0; row < taps * ci; row++)
      for (let o = 0; o < co; o++) dw[row * co + o] += mem[base + row * coPad + o];
  }
  return io.write([kernel, kernel, kernel, ci, co], dw);
}

registerBufferKernel(CONV3D_DIRECT, (io, inputs, attrs) => {
  const [x, w] = inputsOf(inputs, ['x', 'w']);
  return forward(io, x, w, attrs.dilation as number, attrs.flipped === true);
});

registerBufferKernel(CONV3D_FILTER_GRAD, (io, inputs, attrs) => {
  const [x, dy] = inputsOf(inputs, ['x', 'dy']);
  return filterGrad(io, x, dy, attrs.kernel as number, attrs.dilation as number);
});

/** True when the active backend has the direct convolution kernels. */
export function hasDirectConv(): boolean {
  return tf.getKernel(CONV3D_DIRECT, tf.getBackend()) !== undefined;
}

/**
 * 'same' conv, stride 1, odd kernel: x [N,D,H,W,Ci], w [k,k,k,Ci,Co] → [N,D,H,W,Co]. With `flipped`, the
 * conv with w flipped in space and its channel axes swapped: w [k,k,k,Co,Ci] → [N,D,H,W,Co] for x
 * [N,D,H,W,Ci] (the input gradient of a conv with w). No gradient of its own.
 */
export function conv3dDirect(x: tf.Tensor5D, w: tf.Tensor5D, dilation: number, flipped = false): tf.Tensor5D {
  return tf.engine().runKernel(CONV3D_DIRECT, { x, w }, { dilation, flipped }) as tf.Tensor5D;
}

/** dW [k,k,k,Ci,Co] of the 'same' conv of x with output gradient dy. No gradient of its own. */
export function conv3dFilterGradDirect(
  x: tf.Tensor5D,
  dy: tf.Tensor5D,
  kernel: number,
  dilation: number,
): tf.Tensor5D {
  return tf.engine().runKernel(CONV3D_FILTER_GRAD, { x, dy }, { kernel, dilation }) as tf.Tensor5D;
}
