/** Trainers train on the GPUs the user made visible, never on someone else's. */
import { describe, expect, it } from 'vitest';
import { pytorchDevices } from '../../main/compute/trainerPool';
import { cudaVisibleFor, selectedGpus } from '../../main/compute/visibleDevices';

const gpuEnv = (slots: ReturnType<typeof pytorchDevices>) => slots.map((s) => s.env.CUDA_VISIBLE_DEVICES);

describe('the GPU each trainer sees', () => {
  it('is the app number itself when CUDA_VISIBLE_DEVICES is unset', () => {
    expect(gpuEnv(pytorchDevices('python3', 'cuda', { gpus: [0, 1], env: {} }))).toEqual(['0', '1']);
  });

  it("maps through the parent's list: 2,3 trains on physical GPUs 2 and 3", () => {
    const env = { CUDA_VISIBLE_DEVICES: '2,3' };
    expect(gpuEnv(pytorchDevices('python3', 'cuda', { gpus: [0, 1], env }))).toEqual(['2', '3']);
    expect(gpuEnv(pytorchDevices('python3', 'cuda', { gpus: [1], perGpu: 2, env }))).toEqual(['3', '3']);
  });

  it('passes UUIDs through as they are', () => {
    const env = { CUDA_VISIBLE_DEVICES: 'GPU-8f0c2a4e-1111, GPU-aa41c3d0-2222' };
    expect(cudaVisibleFor(1, env)).toBe('GPU-aa41c3d0-2222');
  });

  it('refuses a GPU the parent does not make visible, and an empty list, by name', () => {
    expect(() => cudaVisibleFor(2, { CUDA_VISIBLE_DEVICES: '2,3' })).toThrow(
      /GPU 2 is not among the 2 GPUs CUDA_VISIBLE_DEVICES=2,3 makes visible \(numbered 0–1\)/,
    );
    expect(() => cudaVisibleFor(0, { CUDA_VISIBLE_DEVICES: '' })).toThrow(/empty list: no GPU is visible/);
  });

  it('SEGNAS_GPUS picks among the visible GPUs, by the numbers segnas devices shows', () => {
    const env = { CUDA_VISIBLE_DEVICES: '4,5,6', SEGNAS_GPUS: '2' };
    const gpus = selectedGpus([0, 1, 2], env);
    expect(gpus).toEqual([2]);
    expect(gpuEnv(pytorchDevices('python3', 'cuda', { gpus, env }))).toEqual(['6']);
    expect(selectedGpus([0, 1], {})).toEqual([0, 1]);
    expect(() => selectedGpus([0], { SEGNAS_GPUS: 'a,b' })).toThrow(/SEGNAS_GPUS=a,b/);
  });
});
