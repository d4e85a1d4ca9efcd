/**
 * Training-mode batch norm followed by ReLU as two JS kernels (forward, backward) on the backends whose
 * buffers JavaScript reaches (wasm heap, cpu typed arrays).
 *
 * Why: composed from tfjs ops, one Conv+BN+ReLU at 64³×8 costs ≈ 20 full-size elementwise ops forward
 * and backward (moments, broadcast sub/mul/add, relu and their gradients), each allocating and writing
 * an 8 MB map. Fused, the forward reads x three times and writes y once; the backward reads dy, x and y
 * twice and writes dx once.
 *
 *   forward   μ, σ² (biased) per channel;  x̂ = (x − μ)·r,  r = 1/√(σ² + ε);  y = max(0, γ·x̂ + β)
 *   backward  g = dy·[y > 0];  dβ = Σg;  dγ = Σ g·x̂;  dx = γ·r/M · (M·g − Σg − x̂·Σ g·x̂),  M = N·D·H·W
 * which is the gradient tfjs derives through tf.moments (μ and σ² depend on x). Sums are in float64.
 */
import * as tf from '@tensorflow/tfjs-core';

export const BN_RELU_FWD = 'SegnasBatchNormReluTrain';
export const BN_RELU_BWD = 'SegnasBatchNormReluTrainGrad';

/** Per-channel mean and biased variance of x [M, C] (channel fastest), two passes for accuracy. */
function moments(x: Float32Array, c: number, mean: Float32Array, variance: Float32Array): void {
  const m = x.length / c;
  const acc = new Float64Array(c);
  for (let i = 0; i < x.length; i += c) for (let j = 0; j < c; j++) acc[j] += x[i + j];
  for (let j = 0; j < c; j++) mean[j] = acc[j] / m;
  const mu = Float64Array.from(mean);
  acc.fill(0);
  for (let i = 0; i < x.length; i += c)
    for (let j = 0; j < c; j++) {
      const t = x[i + j] - mu[j];
      acc[j] += t * t;
    }
  for (let j = 0; j < c; j++) variance[j] = acc[j] / m;
}

/** y = max(0, γ·(x − μ)·r + β), mean and variance written too. */
export function batchNormReluForward(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  epsilon: number,
  y: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
): void {
  const c = gamma.length;
  moments(x, c, mean, variance);
  const scale = new Float64Array(c);
  const shift = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    scale[j] = gamma[j] / Math.sqrt(variance[j] + epsilon);
    shift[j] = beta[j] - mean[j] * scale[j];
  }
  for (let i = 0; i < x.length; i += c)
    for (let j = 0; j < c; j++) {
      const v = x[i + j] * scale[j] + shift[j];
      y[i + j] = Math.max(v, 0);
    }
}

/** dx, dγ, dβ of batchNormReluForward (see the header). */
export function batchNormReluBackward(
  dy: Float32Array,
  x: Float32Array,
  y: Float32Array,
  gamma: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  epsilon: number,
  dx: Float32Array,
  dgamma: Float32Array,
  dbeta: Float32Array,
): void {
  const c = gamma.length;
  const m = x.length / c;
  const r = new Float64Array(c);
  for (let j = 0; j < c; j++) r[j] = 1 / Math.sqrt(variance[j] + epsilon);
  const mu = Float64Array.from(mean);
  const sumG = new Float64Array(c);
  const sumGX = new Float64Array(c);
  for (let i = 0; i < x.length; i += c)
    for (let j = 0; j < c; j++) {
      if (y[i + j] > 0) {
        const g = dy[i + j];
        sumG[j] += g;
        sumGX[j] += g * (x[i + j] - mu[j]) * r[j];
      }
    }
  const a = new Float64Array(c);
  const b = new Float64Array(c);
  const k = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    dbeta[j] = sumG[j];
    dgamma[j] = sumGX[j];
    // dx = k·(g − b − x̂·a) with k = γ·r, b = Σg/M, a = Σgx̂/M
    k[j] = gamma[j] * r[j];
    a[j] = sumGX[j] / m;
    b[j] = sumG[j] / m;
  }
  for (let i = 0; i < x.length; i += c)
    for (let j = 0; j < c; j++) {
      const g = y[i + j] > 0 ? dy[i + j] : 0;
      const xhat = (x[i + j] - mu[j]) * r[j];
      dx[i + j] = k[j] * (g - b[j] - xhat * a[j]);
    }
}

interface WasmLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}
interface CpuLike {
  data: { get(id: tf.DataId): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

/** Runs `compute` over the inputs' buffers and new float32 outputs of the given shapes. */
type Compute = (inputs: Float32Array[], outputs: Float32Array[], attrs: tf.NamedAttrMap) => void;

function kernelFor(
  kernelName: string,
  backendName: 'wasm' | 'cpu',
  inputNames: string[],
  outShapes: (inputs: tf.TensorInfo[]) => number[][],
  compute: Compute,
): tf.KernelConfig {
  return {
    kernelName,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const ins = inputNames.map((n) => inputs[n] as tf.TensorInfo);
      const shapes = outShapes(ins);
      if (backendName === 'wasm') {
        const wasm = backend as unknown as WasmLike;
        // Allocate every output first: growing the heap detaches views taken earlier.
        const outs = shapes.map((s) => wasm.makeOutput(s, 'float32'));
        compute(
          ins.map((t) => wasm.typedArrayFromHeap(t)),
          outs.map((t) => wasm.typedArrayFromHeap(t)),
          attrs ?? {},
        );
        return outs;
      }
      const cpu = backend as unknown as CpuLike;
      const values = shapes.map((s) => new Float32Array(s.reduce((p, q) => p * q, 1)));
      compute(
        ins.map((t) => cpu.data.get(t.dataId).values),
        values,
        attrs ?? {},
      );
      return shapes.map((s, i) => cpu.makeTensorInfo(s, 'float32', values[i]));
    },
  };
}

const channelsOf = (t: tf.TensorInfo) => [t.shape[t.shape.length - 1]];

for (const backendName of ['wasm', 'cpu'] as const) {
  const configs = [
    kernelFor(
      BN_RELU_FWD,
      backendName,
      ['x', 'gamma', 'beta'],
      ([x]) => [[...x.shape], channelsOf(x), channelsOf(x)],
      ([x, gamma, beta], [y, mean, variance], attrs) =>
        batchNormReluForward(x, gamma, beta, attrs.epsilon as number, y, mean, variance),
    ),
    kernelFor(
      BN_RELU_BWD,
      backendName,
      ['dy', 'x', 'y', 'gamma', 'mean', 'variance'],
      ([, x]) => [[...x.shape], channelsOf(x), channelsOf(x)],
      ([dy, x, y, gamma, mean, variance], [dx, dgamma, dbeta], attrs) =>
        batchNormReluBackward(dy, x, y, gamma, mean, variance, attrs.epsilon as number, dx, dgamma, dbeta),
    ),
  ];
  for (const config of configs)
    if (!tf.getKernel(config.kernelName, config.backendName)) tf.registerKernel(config);
}

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
