/** Settings proposed for a time goal from this machine's measured speed, and the estimate's colours. */
import { describe, expect, it } from 'vitest';
import type { DatasetReport, SearchConfig } from '../../main/api';
import { withPaperSettings } from '../../main/core/demoSettings';
import type { Throughput } from '../../main/core/engineThroughput';
import { withProposal } from '../../main/core/timeGoal';
import { type EngineFacts, validateSearchConfig } from '../../main/search/configValidation';
import { MAX_EVALUATIONS, MIN_SEARCH, proposeSettings } from '../../main/search/timeGoal';
import { searchConfig } from '../helpers/searchConfigs';

function dataset(cases: number): DatasetReport {
  return {
    root: '/d',
    layout: 'msd',
    name: 'd',
    cases: Array.from({ length: cases }, (_, i) => ({ id: `c${i}`, usable: true })),
    usableCaseIds: Array.from({ length: cases }, (_, i) => `c${i}`),
    labels: [{ value: 0, name: 'background' }],
    findings: [],
    channels: { count: 1, names: ['image'] },
    problems: [],
    usable: true,
  };
}

// Without a memory budget of its own: the proposal holds candidates to the device's.
const { memoryBudgetMB: _none, ...config } = searchConfig();

const cpu: EngineFacts = {
  autoBackend: { engine: 'tfjs', backend: 'wasm' },
  hostMemory: { kind: 'cpu', name: 'RAM', index: 0, freeBytes: 8 * 2 ** 30, totalBytes: 16 * 2 ** 30 },
};
const h100: EngineFacts = {
  autoBackend: { engine: 'pytorch', device: 'cuda' },
  torchDevice: 'cuda',
  cudaDevices: [{ kind: 'cuda', name: 'H100', index: 0, freeBytes: 79 * 2 ** 30, totalBytes: 80 * 2 ** 30 }],
};
const speed = (backend: string, gflops: number): Throughput => ({
  backend,
  gflops,
  source: 'probe',
  basis: `probe on ${backend}`,
});
const HOUR = 3600;
const cost = (p: { size: number; epochs: number }) => p.size ** 3 * p.epochs;

/** The proposal for this config on the CPU for `goal` seconds, at `gflops` measured on wasm, for 20 cases. */
const onCpuAt = (goal: number, gflops: number) =>
  proposeSettings(goal, config, { dataset: dataset(20), engines: cpu, throughput: speed('wasm', gflops) });

describe('proposeSettings', () => {
  it('fills an hour on the measured speed, and the page estimate of the applied proposal says the same', () => {
    const context = { dataset: dataset(20), engines: cpu, throughput: speed('wasm', 8) };
    const p = proposeSettings(HOUR, config, context);
    expect(p.fits).toBe(true);
    expect(p.totalSeconds).toBeLessThanOrEqual(HOUR);
    expect(p.evaluations).toBeGreaterThanOrEqual(MIN_SEARCH);
    expect(p.budgetHours).toBe(1);
    expect(p.prune.rule).toBe('asha');
    const applied = validateSearchConfig(withProposal(config, p), context);
    expect(applied.ok).toBe(true);
    expect(applied.estimate!.totalSeconds).toBeCloseTo(p.totalSeconds, 3);
    expect(applied.estimate!.severity).toBe('ok');
    expect(p.reasons.join('\n')).toMatch(/speed: 8\.0 GFLOP\/s on wasm \(probe on wasm\)/);
    expect(p.reasons.join('\n')).toMatch(/chosen: \d+³ × \d+ epochs with ASHA/);
  });

  it('proposes more for a faster machine or a longer goal, never less', () => {
    const slow = onCpuAt(HOUR, 4);
    const fast = onCpuAt(HOUR, 40);
    const long = onCpuAt(24 * HOUR, 4);
    expect(cost(fast) * fast.evaluations).toBeGreaterThan(cost(slow) * slow.evaluations);
    expect(cost(long) * long.evaluations).toBeGreaterThan(cost(slow) * slow.evaluations);
    for (const p of [slow, fast, long]) expect(p.evaluations).toBeLessThanOrEqual(MAX_EVALUATIONS);
  });

  it('on a GPU an hour buys the large sizes the CPU cannot afford', () => {
    const gpuConfig: SearchConfig = { ...config, engine: { engine: 'auto' } };
    const gpu = proposeSettings(HOUR, gpuConfig, {
      dataset: dataset(20),
      engines: h100,
      throughput: speed('pytorch-cuda', 20_000),
    });
    const onCpu = onCpuAt(HOUR, 8);
    expect(gpu.size).toBeGreaterThanOrEqual(96);
    expect(gpu.size).toBeGreaterThan(onCpu.size);
    expect(gpu.reasons[0]).toMatch(/on pytorch-cuda/);
  });

  it('lowers p when only a smaller size fits the goal, and says so', () => {
    // 260 cases: one candidate at 32³ takes most of an hour on 8 GFLOP/s.
    const p = proposeSettings(HOUR, config, {
      dataset: dataset(260),
      engines: cpu,
      throughput: speed('wasm', 8),
    });
    expect(p.size).toBeLessThan(32);
    expect(p.pHi).toBeDefined();
    const applied = withProposal(config, p);
    expect(applied.variant).toBe('custom');
    expect(validateSearchConfig(applied, { dataset: dataset(260), engines: cpu }).ok).toBe(true);
    expect(p.reasons.join('\n')).toMatch(/p limited to at most \d poolings/);
  });

  it('says when even the cheapest settings overrun the goal', () => {
    const p = proposeSettings(60, config, {
      dataset: dataset(260),
      engines: cpu,
      throughput: speed('wasm', 1),
    });
    expect(p.fits).toBe(false);
    expect(p.evaluations).toBe(1);
    expect(p.reasons.join('\n')).toMatch(
      /even one candidate at the smallest settings takes longer than 60 s/,
    );
  });

  it('skips sizes over the memory budget, and refuses with the reason when none fits', () => {
    const tight = proposeSettings(
      1000 * HOUR,
      { ...config, memoryBudgetMB: 256 },
      {
        dataset: dataset(20),
        engines: cpu,
        throughput: speed('wasm', 8),
      },
    );
    expect(tight.size).toBeLessThan(128);
    expect(tight.reasons.join('\n')).toMatch(/too large for the memory budget at batch 1: 128³ \(/);
    const none = proposeSettings(
      HOUR,
      { ...config, memoryBudgetMB: 64, space: { ...config.space, n: { fixed: 32 }, p: { fixed: 5 } } },
      {
        dataset: dataset(20),
        engines: cpu,
        throughput: speed('wasm', 8),
      },
    );
    expect(none.fits).toBe(false);
    expect(none.refusal).toMatch(/^nothing can train/);
  });
});

describe('the estimate on the setup page', () => {
  it('prefers a measured throughput to seconds per image measured on other networks at the same size', () => {
    // The demo's tiny networks at 16³ took 0.01 s per image; SegNAS4's middle network is far larger.
    const context = {
      dataset: dataset(20),
      engines: cpu,
      measuredSecondsPerImage: (size: number) => (size === 16 ? 0.01 : undefined),
    };
    const at16 = {
      ...config,
      training: { ...config.training, size: 16 },
      space: { ...config.space, p: { lo: 2, hi: 5 } },
    };
    expect(validateSearchConfig(at16, context).estimate!.basis).toMatch(/^measured: 0\.01 s/);
    const measured: Throughput = {
      backend: 'wasm',
      gflops: 8,
      source: 'measured',
      basis: 'measured over 40 epochs',
    };
    const withSpeed = validateSearchConfig(at16, { ...context, throughput: measured }).estimate!;
    expect(withSpeed.basis).toMatch(/at 8\.0 GFLOP\/s on wasm \(measured over 40 epochs\)/);
    expect(withSpeed.secondsPerCandidate).toBeGreaterThan(0.01 * 10 * 10 * 1.15 * 5);
  });

  it('is amber over a day, red with the reason when nothing can train, and the paper settings are one call away', () => {
    const context = { dataset: dataset(20), engines: cpu };
    expect(validateSearchConfig({ ...config, evaluations: 3 }, context).estimate!.severity).toBe('ok');
    const long = validateSearchConfig({ ...config, training: { ...config.training, size: 64 } }, context)
      .estimate!;
    expect(long.totalSeconds).toBeGreaterThan(24 * HOUR);
    expect(long.severity).toBe('over-a-day');
    const paper = withPaperSettings({
      ...config,
      budgetHours: 1,
      prune: { rule: 'asha', eta: 2, minEpochs: 2, warmupEpochs: 2, minCandidates: 3 },
    });
    expect(paper.training).toEqual({
      size: 128,
      epochs: 100,
      batch: 3,
      learningRate: 1e-3,
      augmentation: true,
    });
    expect([paper.evaluations, paper.prune?.rule, paper.budgetHours]).toEqual([300, 'off', undefined]);
    expect(paper.space).toEqual(config.space);
    // 128³ × batch 3 on a CPU's 8 GiB of RAM: nothing of SegNAS4 fits.
    const red = validateSearchConfig(paper, context).estimate!;
    expect(red.severity).toBe('cannot-train');
    expect(red.severityReason).toMatch(/^nothing can train: .* Use a size of \d+ or less/);
  });
});
