/**
 * Our kernels' access to tensor memory on the two backends whose buffers JavaScript reaches: the wasm
 * backend's heap and the cpu backend's typed arrays. One place for the rule that matters on wasm:
 * making an output may grow the heap, which detaches every view taken before, so outputs are made
 * first and views taken after.
 */
import * as tf from '@tensorflow/tfjs-core';

export const BUFFER_BACKENDS = ['wasm', 'cpu'] as const;
export type BufferBackend = (typeof BUFFER_BACKENDS)[number];

interface WasmLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}
interface CpuLike {
  data: { get(id: tf.DataId): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

export interface BufferIo {
  /** An input's float32 values, in place (valid until the next output is made). */
  read(t: tf.TensorInfo): Float32Array;
  /** A new float32 output holding a copy of `values`. */
  write(shape: number[], values: Float32Array): tf.TensorInfo;
  /**
   * New float32 outputs of the given shapes, filled by `fill` from the inputs' values, in place.
   * `zeroed`: the outputs start at 0 (fills that write only some elements).
   */
  compute(
    inputs: tf.TensorInfo[],
    outShapes: number[][],
    fill: (ins: Float32Array[], outs: Float32Array[]) => void,
    zeroed?: boolean,
  ): tf.TensorInfo[];
}

const sizeOf = (shape: number[]) => shape.reduce((p, q) => p * q, 1);

export function bufferIo(backendName: BufferBackend, backend: unknown): BufferIo {
  if (backendName === 'wasm') {
    const wasm = backend as WasmLike;
    return {
      read: (t) => wasm.typedArrayFromHeap(t),
      write: (shape, values) => {
        const out = wasm.makeOutput(shape, 'float32');
        wasm.typedArrayFromHeap(out).set(values);
        return out;
      },
      compute: (inputs, outShapes, fill, zeroed = false) => {
        const outs = outShapes.map((s) => wasm.makeOutput(s, 'float32'));
        const views = outs.map((t) => wasm.typedArrayFromHeap(t));
        if (zeroed) for (const v of views) v.fill(0);
        fill(
          inputs.map((t) => wasm.typedArrayFromHeap(t)),
          views,
        );
        return outs;
      },
    };
  }
  const cpu = backend as CpuLike;
  return {
    read: (t) => cpu.data.get(t.dataId).values,
    write: (shape, values) => cpu.makeTensorInfo(shape, 'float32', values.slice()),
    compute: (inputs, outShapes, fill) => {
      const values = outShapes.map((s) => new Float32Array(sizeOf(s)));
      fill(
        inputs.map((t) => cpu.data.get(t.dataId).values),
        values,
      );
      return outShapes.map((s, i) => cpu.makeTensorInfo(s, 'float32', values[i]));
    },
  };
}

/** The inputs of a kernel call by name, in the given order. */
export function inputsOf(inputs: tf.NamedTensorInfoMap, names: string[]): tf.TensorInfo[] {
  return names.map((n) => inputs[n] as tf.TensorInfo);
}

/**
 * Registers `kernelFunc(io, inputs, attrs)` under `kernelName` for both buffer backends (once: modules
 * may be evaluated twice under test runners).
 */
export function registerBufferKernel(
  kernelName: string,
  kernelFunc: (
    io: BufferIo,
    inputs: tf.NamedTensorInfoMap,
    attrs: tf.NamedAttrMap,
  ) => tf.TensorInfo | tf.TensorInfo[],
): void {
  for (const backendName of BUFFER_BACKENDS) {
    if (tf.getKernel(kernelName, backendName)) continue;
    tf.registerKernel({
      kernelName,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) =>
        kernelFunc(bufferIo(backendName, backend), inputs, attrs ?? {}),
    });
  }
}
