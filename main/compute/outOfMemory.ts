/**
 * How the training engines say they ran out of memory, so that an out-of-memory training is recorded as
 * such (f = 10, status oom) and not as a failure: the patterns are the engines', not the method's.
 */

/**
 * What allocation failures say, in TensorFlow.js (WebGL/WebGPU/WASM/native), V8 (a trainer's heap) and
 * CUDA (PyTorch): one pattern for every place that must tell out-of-memory from other failures.
 */
export const OUT_OF_MEMORY_TEXT =
  /out of memory|\bOOM\b|ResourceExhausted|failed to allocate|heap limit|Allocation failed|Array buffer allocation failed|Invalid typed array length|memory access out of bounds/i;

/** Recognizes allocation failures of TensorFlow.js (WebGL/WebGPU/WASM/native) and of the trainer process. */
export function isOutOfMemoryError(error: unknown): boolean {
  const e = error as { name?: unknown; code?: unknown; message?: unknown } | undefined;
  if (e?.code === 'OOM' || e?.name === 'OutOfMemoryError') return true;
  return OUT_OF_MEMORY_TEXT.test(typeof e?.message === 'string' ? e.message : String(error));
}
