/** The search-setup checks the UI shows beside each field, and the time estimate. */
import { describe, expect, it } from 'vitest';
import type { DatasetReport, SearchConfig } from '../../main/api';
import { validateSearchConfig } from '../../main/search/configValidation';
import { h100 } from '../helpers/devices';
import { searchConfig } from '../helpers/searchConfigs';

const dataset: DatasetReport = {
  root: '/d',
  layout: 'msd',
  name: 'd',
  cases: Array.from({ length: 10 }, (_, i) => ({ id: `c${i}`, usable: true })),
  usableCaseIds: Array.from({ length: 10 }, (_, i) => `c${i}`),
  labels: [{ value: 0, name: 'background' }],
  findings: [],
  channels: { count: 1, names: ['image'] },
  problems: [],
  usable: true,
};

const config: SearchConfig = searchConfig();

describe('validateSearchConfig', () => {
  it('accepts a time budget in hours and explains one that is not', () => {
    expect(validateSearchConfig({ ...config, budgetHours: 2 }, { dataset }).ok).toBe(true);
    for (const budgetHours of [0, -1, 1e6])
      expect(validateSearchConfig({ ...config, budgetHours }, { dataset }).issues).toEqual([
        { field: 'budgetHours', message: expect.stringMatching(/hours in \(0, 500\]/) },
      ]);
  });

  it('takes a native patch whose sides the deepest network pools evenly, and names the field otherwise', () => {
    expect(validateSearchConfig({ ...config, protocol: 'native', patch: [64, 96, 32] }, { dataset }).ok).toBe(
      true,
    );
    expect(
      validateSearchConfig({ ...config, protocol: 'native', patch: [40, 56, 40] }, { dataset }).issues,
    ).toEqual([{ field: 'patch', message: expect.stringMatching(/multiple of 2\^5 = 32/) }]);
    expect(validateSearchConfig({ ...config, patch: [32, 32, 32] }, { dataset }).issues).toEqual([
      { field: 'patch', message: expect.stringMatching(/only by the native protocol/) },
    ]);
  });

  it('takes final-training epochs with something to retrain, and names the field otherwise', () => {
    expect(validateSearchConfig({ ...config, finalEpochs: 100, topK: 3 }, { dataset }).ok).toBe(true);
    expect(validateSearchConfig({ ...config, finalEpochs: 0, topK: 0 }, { dataset }).ok).toBe(true);
    expect(validateSearchConfig({ ...config, finalEpochs: 100, topK: 0 }, { dataset }).issues).toEqual([
      { field: 'finalEpochs', message: expect.stringMatching(/topK ≥ 1/) },
    ]);
    expect(validateSearchConfig({ ...config, finalEpochs: -2 }, { dataset }).issues[0].field).toBe(
      'finalEpochs',
    );
  });

  it('checks the pruning parameters of the chosen rule, by field', () => {
    const prune = { rule: 'asha', eta: 3, minEpochs: 2, warmupEpochs: 2, minCandidates: 3 } as const;
    expect(validateSearchConfig({ ...config, prune }, { dataset }).ok).toBe(true);
    expect(
      validateSearchConfig({ ...config, prune: { ...prune, rule: 'off', eta: 0 } }, { dataset }).ok,
    ).toBe(true);
    expect(
      validateSearchConfig({ ...config, prune: { ...prune, eta: 1, minEpochs: 10 } }, { dataset }).issues,
    ).toEqual([
      { field: 'prune.eta', message: 'must be between 2 and 10, got 1' },
      { field: 'prune.minEpochs', message: expect.stringMatching(/below the 10 epochs per candidate/) },
    ]);
    expect(
      validateSearchConfig(
        { ...config, prune: { ...prune, rule: 'median', warmupEpochs: 0, minCandidates: 0 } },
        { dataset },
      ).issues,
    ).toEqual([
      { field: 'prune.warmupEpochs', message: expect.stringMatching(/at least 1 and below the 10 epochs/) },
      { field: 'prune.minCandidates', message: 'must be between 1 and 1000, got 0' },
    ]);
  });

  it('accepts the defaults on a usable dataset and estimates the time', () => {
    const v = validateSearchConfig(config, { dataset });
    expect(v).toMatchObject({ ok: true, issues: [] });
    expect(v.estimate!.totalSeconds).toBeCloseTo(v.estimate!.secondsPerCandidate * 300);
    expect(v.estimate!.basis).toMatch(/^rough/);
  });

  it('names each bad field with what to do', () => {
    const v = validateSearchConfig(
      { ...config, training: { ...config.training, size: 40, epochs: 0, learningRate: 0 }, evaluations: 0 },
      { dataset },
    );
    const fields = v.issues.map((i) => i.field);
    expect(fields).toEqual(
      expect.arrayContaining(['training.size', 'training.epochs', 'training.learningRate', 'evaluations']),
    );
    expect(v.issues.find((i) => i.field === 'training.size')!.message).toMatch(/divisible by 2\^5 = 32/);
    expect(v.ok).toBe(false);
    expect(v.estimate).toBeUndefined();
  });

  it('requires an opened, usable dataset', () => {
    expect(validateSearchConfig(config).issues.map((i) => i.field)).toContain('datasetPath');
    const broken = {
      ...dataset,
      usable: false,
      problems: [{ severity: 'error' as const, message: 'too few cases' }],
    };
    expect(validateSearchConfig(config, { dataset: broken }).issues[0].message).toContain('too few cases');
  });

  it('estimates with the chosen engine: its own earlier candidates, else its measured speed', () => {
    const asked: string[] = [];
    const measured = (size: number, backend: string) => {
      asked.push(`${size}:${backend}`);
      return backend === 'pytorch-cuda' ? 0.01 : undefined;
    };
    const tfjs = validateSearchConfig(config, { dataset }).estimate!;
    const torchCpu = validateSearchConfig(
      { ...config, engine: { engine: 'pytorch', device: 'cpu' } },
      { dataset, measuredSecondsPerImage: measured },
    ).estimate!;
    // PyTorch on this CPU measures ≈ 4× slower than TensorFlow.js' WebAssembly kernels
    expect(torchCpu.secondsPerCandidate / tfjs.secondsPerCandidate).toBeCloseTo(8 / 2, 5);
    expect(torchCpu.basis).toMatch(/assuming 2 GFLOP\/s on pytorch-cpu/);
    // auto on a machine where the last check found a GPU: the GPU's earlier candidates count
    const auto = validateSearchConfig(
      { ...config, engine: { engine: 'auto' } },
      {
        dataset,
        measuredSecondsPerImage: measured,
        engines: { autoBackend: { engine: 'pytorch', device: 'cuda' }, torchDevice: 'cuda' },
      },
    ).estimate!;
    expect(auto.basis).toMatch(/^measured: 0\.01 s .* on pytorch-cuda/);
    expect(asked).toEqual(['32:pytorch-cpu', '32:pytorch-cuda']);
    // PyTorch without a device: the device torch was found to see
    const noDevice = validateSearchConfig(
      { ...config, engine: { engine: 'pytorch' } },
      { dataset, engines: { autoBackend: { engine: 'tfjs', backend: 'wasm' }, torchDevice: 'mps' } },
    ).estimate!;
    expect(noDevice.basis).toMatch(/on pytorch-mps/);
  });

  it('prefers measured times per training image from earlier candidates', () => {
    const v = validateSearchConfig(config, { dataset, measuredSecondsPerImage: () => 0.5 });
    const trainImages = Math.round(dataset.cases.length * 0.5);
    expect(v.estimate!.secondsPerCandidate).toBeCloseTo(0.5 * trainImages * 10 * 1.15);
    expect(v.estimate!.basis).toMatch(/^measured/);
  });
});

describe('the memory check before a search starts', () => {
  const GiB = 2 ** 30;
  const hostMemory = { kind: 'cpu' as const, name: 'CPU', freeBytes: 17 * GiB, totalBytes: 24 * GiB };
  const paper = {
    ...config,
    memoryBudgetMB: undefined,
    training: { ...config.training, size: 128, epochs: 100, batch: 3 },
  };
  const four = { ...dataset, labelMapping: { values: [0, 1, 2, 3] } };

  it("refuses the paper's size on this CPU with the figure and what to change", () => {
    const v = validateSearchConfig(paper, {
      dataset: four,
      engines: { autoBackend: { engine: 'tfjs', backend: 'wasm' }, hostMemory },
    });
    expect(v.ok).toBe(false);
    const issue = v.issues.find((i) => i.field === 'training.size');
    expect(issue?.message).toMatch(
      /nothing can train: the smallest network of this space \(n 8, p \d, 3 nodes\) needs an estimated [\d.]+ GiB at 128³ with batch 3, above the memory budget \(CPU: 24\.00 GiB RAM → budget 4\.00 GiB, the most the WebAssembly heap/,
    );
    expect(issue?.message).toMatch(
      /Use a size of 64 or less, or a smaller n, or a memory budget of at least \d+ MB/,
    );
    expect(v.memory?.smallest?.bytes).toBeGreaterThan(4 * GiB);
  });

  it('lets the same settings start on an 80 GB GPU with PyTorch, showing the budget', () => {
    const v = validateSearchConfig(
      { ...paper, engine: { engine: 'pytorch', device: 'cuda' } },
      {
        dataset: four,
        engines: {
          autoBackend: { engine: 'pytorch', device: 'cuda' },
          torchDevice: 'cuda',
          cudaDevices: [h100],
          hostMemory,
        },
      },
    );
    expect(v.issues).toEqual([]);
    expect(v.memory?.basis).toMatch(/^GPU 0: NVIDIA H100 80GB HBM3, 79\.10 GiB free → budget 73\.56 GiB/);
    expect(v.memory?.source).toBe('device');
  });

  it('an explicit budget wins, and the CPU default fits the CPU defaults', () => {
    const small = validateSearchConfig(
      { ...config, memoryBudgetMB: 64 },
      { dataset: four, engines: { autoBackend: { engine: 'tfjs', backend: 'wasm' }, hostMemory } },
    );
    expect(small.issues.map((i) => i.field)).toEqual(['training.size']);
    expect(small.memory?.basis).toBe('set to 64 MB');
    const defaults = validateSearchConfig(
      { ...config, memoryBudgetMB: undefined },
      { dataset: four, engines: { autoBackend: { engine: 'tfjs', backend: 'wasm' }, hostMemory } },
    );
    expect(defaults.ok).toBe(true);
  });
});
