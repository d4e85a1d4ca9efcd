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
