/**
 * Sustained training throughput of each engine's backend, in GFLOP/s by the convolution count of
 * estimateTime (main/search/configValidation.ts): the time estimate's fallback until this workspace has
 * measured candidates of that engine and device, and what `--engine auto` compares on a CPU.
 * How each figure was obtained is in docs/engines.md ("Speed figures"); keys are recorded backends.
 */
export const ASSUMED_GFLOPS: Readonly<Record<string, number>> = {
  /** TensorFlow.js, pure JavaScript kernels. */
  cpu: 0.3,
  /** TensorFlow.js with our WebAssembly SIMD kernels: 7.5 (32³) to 11.5 (64³) measured on 2 cores. */
  wasm: 8,
  webgpu: 20,
  tensorflow: 20,
  /** PyTorch on the CPU: bench:train's engine step takes ≈ 4× TensorFlow.js' wasm step here. */
  'pytorch-cpu': 2,
  /** PyTorch on an NVIDIA GPU: not measured by us yet (docs/engines.md). */
  'pytorch-cuda': 20_000,
  /** PyTorch on an Apple GPU: not measured by us yet. */
  'pytorch-mps': 1_000,
};

/** The throughput assumed for a backend key; unknown keys count as the WebAssembly engine's. */
export function assumedGflops(backend: string): number {
  return ASSUMED_GFLOPS[backend] ?? ASSUMED_GFLOPS.wasm;
}

/** Which engine is faster on a CPU by these figures (what `auto` picks there). */
export function fasterCpuEngine(): 'tfjs' | 'pytorch' {
  return assumedGflops('pytorch-cpu') > assumedGflops('wasm') ? 'pytorch' : 'tfjs';
}

/**
 * Floating-point operations of one epoch's training on one image, by the convolution count the time
 * estimate uses: a U-Net of `n` channels and `p` poolings at size³, two 3×3×3 convolutions per MegaBlock
 * (encoder and decoder, the bottom level once), backward ≈ 2× forward. Dividing a measured epoch by it
 * turns any size's measurement into a throughput that predicts every other size.
 */
export function trainingFlopsPerImage(n: number, p: number, size: number, augmentation: boolean): number {
  const voxels = size ** 3;
  let flops = 0;
  for (let level = 0; level <= p; level++) {
    const channels = n * 2 ** level;
    const levelVoxels = voxels / 8 ** level;
    const blocks = level === p ? 1 : 2;
    flops += blocks * 2 * (2 * 27 * channels * channels) * levelVoxels;
  }
  // Augmentation resamples each image before its step: about 5 % more.
  return 3 * flops * (augmentation ? 1.05 : 1);
}

/** Where a throughput figure came from, most trusted first. */
export type ThroughputSource = 'measured' | 'probe' | 'assumed';

/** The sustained training speed of one backend on this machine, and how it was obtained. */
export interface Throughput {
  backend: string;
  /** GFLOP/s by trainingFlopsPerImage's count. */
  gflops: number;
  source: ThroughputSource;
  /** One line for the UIs: what was measured, where, when. */
  basis: string;
}

/** The figure above for a backend nobody measured on this machine. */
export function assumedThroughput(backend: string): Throughput {
  const gflops = assumedGflops(backend);
  return {
    backend,
    gflops,
    source: 'assumed',
    basis: `assumed ${gflops} GFLOP/s for ${backend} (not measured on this machine)`,
  };
}
