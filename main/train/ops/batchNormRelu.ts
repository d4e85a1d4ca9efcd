/**
 * Training-mode batch norm followed by ReLU as two tfjs kernels (forward, backward) on the backends whose
 * buffers JavaScript reaches (wasm heap, cpu typed arrays), computed by our WebAssembly SIMD passes
 * (`wasm/batchNormRelu.as.ts`) on every core (`kernelThreads.ts`).
 *
 * Why: composed from tfjs ops, one Conv+BN+ReLU at 64³×8 costs ≈ 20 full-size elementwise ops forward
 * and backward (moments, broadcast sub/mul/add, relu and their gradients), each allocating and writing
 * an 8 MB map. Fused, the forward reads x three times and writes y once; the backward reads dy, x and y
 * twice and writes dx once.
 *
 *   forward   μ, σ² (biased) per channel;  x̂ = (x − μ)·r,  r = 1/√(σ² + ε);  y = max(0, γ·x̂ + β)
 *   backward  g = dy·[y > 0];  dβ = Σg;  dγ = Σ g·x̂;  dx = γ·r/M · (M·g − Σg − x̂·Σ g·x̂),  M = N·D·H·W
 * which is the gradient tfjs derives through tf.moments (μ and σ² depend on x). Sums are in float64, the
 * moments in two passes (mean, then squared deviations) for accuracy.
 */
import * as tf from '@tensorflow/tfjs-core';
import { inputsOf, registerBufferKernel } from './backendBuffers';
import { HEAP_BASE, kernelThreads, regionBytes } from './kernelThreads';

export const BN_RELU_FWD = 'SegnasBatchNormReluTrain';
export const BN_RELU_BWD = 'SegnasBatchNormReluTrainGrad';

/** Elements a thread should get at least (a pass over them takes ≈ 0.1–0.3 ms) before another is woken. */
const MIN_ELEMENTS_PER_THREAD = 2 ** 17;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Elements per period of the kernels' parameter layout: a whole number of channels and of 4-float vectors. */
function periodOf(channels: number): number {
  return (channels * 4) / gcd(channels, 4);
}

/** Per-channel values repeated over one period (the kernels index parameters by element mod period). */
function expand(
  perChannel: ArrayLike<number>,
  period: number,
  into: Float32Array | Float64Array,
  at: number,
) {
  const c = perChannel.length;
  for (let j = 0; j < period; j++) into[at + j] = perChannel[j % c];
}

/** Runs one summing pass on every thread and folds the per-thread, per-slot float64 sums into `sums` per channel. */
function sumPass(
  kernel: 'bnSum' | 'bnSumSquaredDeviation' | 'bnGradSums',
  args: number[],
  total: number,
  period: number,
  accAt: number,
  sums: Float64Array[],
): void {
  const pool = kernelThreads();
  const c = sums[0].length;
  const accBytes = regionBytes(sums.length * period * 8);
  pool.doubles(accAt + pool.threads * accBytes).fill(0, accAt / 8, (accAt + pool.threads * accBytes) / 8);
  pool.run(
    kernel,
    args,
    pool.shares(total, (t) => accAt + t * accBytes, period, MIN_ELEMENTS_PER_THREAD),
  );
  const acc = pool.doubles(0);
  for (const s of sums) s.fill(0);
  for (let t = 0; t < pool.threads; t++)
    sums.forEach((s, which) => {
      const base = (accAt + t * accBytes) / 8 + which * period;
      for (let j = 0; j < period; j++) s[j % c] += acc[base + j];
    });
}

/**
 * y = max(0, γ·(x − μ)·r + β); returns y (a view into the kernels' shared memory: copy it out before
 * the next kernel call), mean and variance.
 */
export function batchNormReluForward(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  epsilon: number,
): { y: Float32Array; mean: Float32Array; variance: Float32Array } {
  const c = gamma.length;
  const total = x.length;
  const m = total / c;
  const period = periodOf(c);
  const pool = kernelThreads();
  const xAt = HEAP_BASE;
  const yAt = xAt + regionBytes(total * 4);
  const muAt = yAt + regionBytes(total * 4);
  const scaleAt = muAt + regionBytes(period * 8);
  const shiftAt = scaleAt + regionBytes(period * 4);
  const accAt = shiftAt + regionBytes(period * 4);
  pool.floats(accAt + pool.threads * regionBytes(period * 8)).set(x, xAt / 4);

  const sum = [new Float64Array(c)];
  sumPass('bnSum', [xAt, period], total, period, accAt, sum);
  const mean = new Float32Array(c);
  for (let j = 0; j < c; j++) mean[j] = sum[0][j] / m;
  expand(mean, period, pool.doubles(0), muAt / 8);
  sumPass('bnSumSquaredDeviation', [xAt, period, muAt], total, period, accAt, sum);
  const variance = new Float32Array(c);
  for (let j = 0; j < c; j++) variance[j] = sum[0][j] / m;

  const scale = new Float64Array(c);
  const shift = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    scale[j] = gamma[j] / Math.sqrt(variance[j] + epsilon);
    shift[j] = beta[j] - mean[j] * scale[j];
  }
  const mem = pool.floats(0);
  expand(scale, period, mem, scaleAt / 4);
  expand(shift, period, mem, shiftAt / 4);
  pool.run(
    'bnAffineRelu',
    [xAt, yAt, period, scaleAt, shiftAt],
    pool.shares(total, () => 0, period, MIN_ELEMENTS_PER_THREAD),
  );
  return { y: pool.floats(0).subarray(yAt / 4, yAt / 4 + total), mean, variance };
}

/** dx (a view into the kernels' shared memory, as above), dγ, dβ of batchNormReluForward (see the header). */
export function batchNormReluBackward(
  dy: Float32Array,
  x: Float32Array,
  y: Float32Array,
  gamma: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  epsilon: number,
): { dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array } {
  const c = gamma.length;
  const total = x.length;
  const m = total / c;
  const period = periodOf(c);
  const pool = kernelThreads();
  const map = regionBytes(total * 4);
  const dyAt = HEAP_BASE;
  const xAt = dyAt + map;
  const yAt = xAt + map;
  const dxAt = yAt + map;
  const muAt = dxAt + map;
  const rAt = muAt + regionBytes(period * 8);
  const paramsAt = rAt + regionBytes(period * 8);
  const accAt = paramsAt + regionBytes(5 * period * 4);
  const mem = pool.floats(accAt + pool.threads * regionBytes(2 * period * 8));
  mem.set(dy, dyAt / 4);
  mem.set(x, xAt / 4);
  mem.set(y, yAt / 4);

  const r = new Float64Array(c);
  for (let j = 0; j < c; j++) r[j] = 1 / Math.sqrt(variance[j] + epsilon);
  const doubles = pool.doubles(0);
  expand(mean, period, doubles, muAt / 8);
  expand(r, period, doubles, rAt / 8);
  const sumG = new Float64Array(c);
  const sumGX = new Float64Array(c);
  sumPass('bnGradSums', [dyAt, xAt, yAt, period, muAt, rAt], total, period, accAt, [sumG, sumGX]);

  // dx = k·(g − b − x̂·a) with k = γ·r, b = Σg/M, a = Σgx̂/M
  const dgamma = Float32Array.from(sumGX);
  const dbeta = Float32Array.from(sumG);
  const perChannel = [
    mean,
    r,
    r.map((rj, j) => gamma[j] * rj),
    sumGX.map((v) => v / m),
    sumG.map((v) => v / m),
  ];
  const floats = pool.floats(0);
  perChannel.forEach((values, i) => {
    expand(values, period, floats, paramsAt / 4 + i * period);
  });
  pool.run(
    'bnGradInput',
    [dyAt, xAt, yAt, dxAt, period, paramsAt],
    pool.shares(total, () => 0, period, MIN_ELEMENTS_PER_THREAD),
  );
  return { dx: pool.floats(0).subarray(dxAt / 4, dxAt / 4 + total), dgamma, dbeta };
}

// Inputs are read in place and copied into the kernels' shared memory before any output is made.
registerBufferKernel(BN_RELU_FWD, (io, inputs, attrs) => {
  const [x, gamma, beta] = inputsOf(inputs, ['x', 'gamma', 'beta']);
  const r = batchNormReluForward(io.read(x), io.read(gamma), io.read(beta), attrs.epsilon as number);
  return [
    io.write([...x.shape], r.y),
    io.write([...gamma.shape], r.mean),
    io.write([...gamma.shape], r.variance),
  ];
});

registerBufferKernel(BN_RELU_BWD, (io, inputs, attrs) => {
  const ins = inputsOf(inputs, ['dy', 'x', 'y', 'gamma', 'mean', 'variance']);
  const [dy, x, y, gamma, mean, variance] = ins.map((t) => io.read(t));
  const r = batchNormReluBackward(dy, x, y, gamma, mean, variance, attrs.epsilon as number);
  const channels = [...ins[3].shape];
  return [io.write([...ins[1].shape], r.dx), io.write(channels, r.dgamma), io.write(channels, r.dbeta)];
});

let fusionEnabled = true;

/** Turns the fused path off (benchmarks compare it with the composed ops). */
export function setBatchNormReluFusion(enabled: boolean): void {
  fusionEnabled = enabled;
}

/** True when the fused kernels are on and the active backend has them (else callers compose tfjs ops). */
export function hasBatchNormReluKernel(): boolean {
  return fusionEnabled && tf.getKernel(BN_RELU_FWD, tf.getBackend()) !== undefined;
}

/**
 * relu(batchNorm(x)) in training mode with batch statistics, gradient to x, γ and β. Only on backends
 * where hasBatchNormReluKernel() is true. `onStatistics` receives the batch mean and variance (for the
 * moving averages) while they exist: tfjs frees a custom gradient's intermediates when its forward ends.
 */
export function batchNormReluTrain(
  x: tf.Tensor5D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  onStatistics: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void,
): tf.Tensor5D {
  if (x.dtype !== 'float32') throw new Error(`batchNormReluTrain needs float32 input, got ${x.dtype}`);
  const fused = tf.customGrad((...args: unknown[]) => {
    const [xi, g, b, save] = args as [tf.Tensor5D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const [y, mean, variance] = tf
      .engine()
      .runKernel(BN_RELU_FWD, { x: xi, gamma: g, beta: b }, { epsilon }) as unknown as [
      tf.Tensor5D,
      tf.Tensor1D,
      tf.Tensor1D,
    ];
    onStatistics(mean, variance);
    save([xi, g, y, mean, variance]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sg, sy, sm, sv] = saved;
        return tf
          .engine()
          .runKernel(
            BN_RELU_BWD,
            { dy: dy as tf.Tensor, x: sx, y: sy, gamma: sg, mean: sm, variance: sv },
            { epsilon },
          ) as unknown as tf.Tensor[];
      },
    };
  });
  return fused(x, gamma, beta) as tf.Tensor5D;
}
