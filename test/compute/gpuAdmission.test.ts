/**
 * Several candidates on one GPU (`--per-gpu N`): admission by the free memory the trainers' `ready`
 * messages report. The ready lines below are in the exact format the PyTorch trainer writes
 * (engines/pytorch/segnas_torch/__main__.py, devices.py) with the memory of an H200 and an RTX 4090
 * (this machine has no GPU); they go through the caller's own parser first.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpuMemoryLedger } from '../../main/compute/gpuAdmission';
import {
  parseFromTrainer,
  type ReadyMessage,
  type TrainJob,
  type VolumeFiles,
  writeVolumeFiles,
} from '../../main/compute/protocol';
import { TrainerPool } from '../../main/compute/trainerPool';
import { AUGMENT_DEFAULTS } from '../../main/train/augment';
import { phantomCases } from '../train/helpers/phantomCases';

const GiB = 2 ** 30;

function ready(name: string, totalBytes: number, freeBytes: number, cc: string): ReadyMessage {
  const line = JSON.stringify({
    type: 'ready',
    protocol: 3,
    pid: 4242,
    engine: 'pytorch',
    version: 'torch 2.5.1+cu124',
    backend: 'pytorch-cuda',
    device: `${name} (PyTorch 2.5.1+cu124, cuda, bf16)`,
    devices: [{ name, index: 0, totalBytes, freeBytes, computeCapability: cc }],
    precision: 'bf16',
    engineVersion: '1',
  });
  const parsed = parseFromTrainer(line);
  if (!parsed.ok || parsed.msg.type !== 'ready') throw new Error(`not a ready message: ${line}`);
  return parsed.msg;
}

const h200 = (free: number) => ready('NVIDIA H200', 150_754_820_096, free, '9.0');
const rtx4090 = (free: number) => ready('NVIDIA GeForce RTX 4090', 25_386_352_640, free, '8.9');

describe('GPU admission by free memory', () => {
  it('admits candidates on one GPU while their estimates fit, then makes the next one wait', () => {
    const ledger = new GpuMemoryLedger();
    // four trainers on GPU 0 start one after another: each sees the others' CUDA contexts
    for (const free of [20 * GiB, 19.5 * GiB, 19 * GiB, 18.5 * GiB])
      ledger.observe('0', rtx4090(free).devices);
    expect(ledger.memory('0')?.freeBytes).toBe(18.5 * GiB);
    const releases: (() => void)[] = [];
    for (let k = 0; k < 3; k++) {
      const d = ledger.decide(6 * GiB, ['0'], ['0']);
      expect(d).toEqual({ kind: 'admit', gpu: '0' });
      releases.push(ledger.reserve('0', 6 * GiB));
    }
    expect(ledger.decide(6 * GiB, ['0'], ['0'])).toEqual({ kind: 'wait' });
    // a small one still fits beside the three
    expect(ledger.decide(0.4 * GiB, ['0'], ['0'])).toEqual({ kind: 'admit', gpu: '0' });
    releases[0]();
    releases[0](); // released once only
    expect(ledger.memory('0')?.reservedBytes).toBe(12 * GiB);
    expect(ledger.decide(6 * GiB, ['0'], ['0'])).toEqual({ kind: 'admit', gpu: '0' });
  });

  it('answers never for a candidate larger than any GPU is free, naming the sizes', () => {
    const ledger = new GpuMemoryLedger();
    ledger.observe('0', rtx4090(23 * GiB).devices);
    ledger.observe('1', h200(100 * GiB).devices);
    expect(ledger.decide(120 * GiB, ['0', '1'], ['0', '1'])).toEqual({
      kind: 'never',
      reason: 'needs an estimated 122880 MiB on the GPU; the largest free memory of any GPU is 102400 MiB',
    });
    // fits the H200 only: the 4090 is idle first, the candidate goes to the H200
    expect(ledger.decide(40 * GiB, ['0', '1'], ['0', '1'])).toEqual({ kind: 'admit', gpu: '1' });
    // the H200 busy: wait, never "never" (it fits when the H200 is free again)
    expect(ledger.decide(40 * GiB, ['0'], ['0', '1'])).toEqual({ kind: 'wait' });
  });

  it('counts a restarted trainer’s lower free memory net of the candidates already admitted', () => {
    const ledger = new GpuMemoryLedger();
    ledger.observe('0', h200(140 * GiB).devices);
    ledger.reserve('0', 50 * GiB);
    // the trainer that crashed comes back while 50 GiB of ours (≈ 48 GiB in use) are running
    ledger.observe('0', h200(92 * GiB).devices);
    expect(ledger.memory('0')?.freeBytes).toBe(140 * GiB);
    // another program took 30 GiB meanwhile
    ledger.observe('0', h200(60 * GiB).devices);
    expect(ledger.memory('0')?.freeBytes).toBe(110 * GiB);
    expect(ledger.decide(70 * GiB, ['0'], ['0'])).toEqual({ kind: 'wait' });
    expect(ledger.decide(120 * GiB, ['0'], ['0']).kind).toBe('never');
  });

  it('admits anywhere without an estimate, or where a GPU has not reported its memory yet', () => {
    const ledger = new GpuMemoryLedger();
    expect(ledger.decide(undefined, ['0'], ['0'])).toEqual({ kind: 'admit', gpu: '0' });
    expect(ledger.decide(500 * GiB, ['0'], ['0'])).toEqual({ kind: 'admit', gpu: '0' });
    ledger.observe('1', rtx4090(10 * GiB).devices);
    expect(ledger.decide(500 * GiB, ['1', '0'], ['0', '1'])).toEqual({ kind: 'admit', gpu: '0' });
    // a device that reports no free memory (MPS, some drivers) is never constrained
    ledger.observe('2', [
      { name: 'x', index: 0, totalBytes: null, freeBytes: null, computeCapability: null },
    ]);
    expect(ledger.memory('2')).toBeUndefined();
  });
});

describe('trainer pool with admission', () => {
  const S = 16;
  let dir: string;
  let volumes: { train: VolumeFiles[]; val: VolumeFiles[] };
  const job = (id: string): TrainJob => ({
    id,
    spec: { n: 4, p: 1, sup: false, res: false, block: { nodes: 3, ops: [2, 0, 2] }, extras: {} },
    network: { classes: 5, size: S, inChannels: 1, dropout: 0, seed: 1 },
    training: { epochs: 1, batchSize: 1, learningRate: 0.01, augment: AUGMENT_DEFAULTS, seed: 2 },
    data: volumes,
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'segnas-admission-'));
    const refs = await Promise.all(
      phantomCases(3, S, 7).map((c, i) => writeVolumeFiles(dir, `case${i}`, c.image, c.label)),
    );
    volumes = { train: refs.slice(0, 2), val: refs.slice(2) };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs two jobs that do not fit together one after the other, and ends one that never fits as oom', async () => {
    // Two real TensorFlow.js trainers sharing one memory (slots with the same device key): their ready
    // reports the host's free memory, which the pool admits against as it would a GPU's.
    const pool = new TrainerPool({
      devices: [
        { label: 'A', env: { SEGNAS_BACKEND: 'wasm' }, gpu: 'shared' },
        { label: 'B', env: { SEGNAS_BACKEND: 'wasm' }, gpu: 'shared' },
      ],
    });
    try {
      await pool.start();
      const free = pool.trainers[0].info?.devices[0].freeBytes as number;
      expect(free).toBeGreaterThan(0);
      const ends: Record<string, number> = {};
      const starts: Record<string, number> = {};
      const run = async (id: string, memoryBytes: number) => {
        const r = await pool.run(job(id), { memoryBytes, onEpoch: () => (starts[id] ??= Date.now()) });
        ends[id] = Date.now();
        return r;
      };
      const [first, second, huge] = await Promise.all([
        run('first', 0.6 * free),
        run('second', 0.6 * free),
        run('huge', 50 * free),
      ]);
      expect(first.status).toBe('done');
      expect(second.status).toBe('done');
      // the second waited for the first although trainer B was idle
      expect(starts.second).toBeGreaterThanOrEqual(ends.first);
      expect(huge.status).toBe('oom');
      expect(huge.f).toBe(10);
      expect(huge.reason).toMatch(/needs an estimated \d+ MiB on the GPU/);
      expect(huge.device).toBeUndefined();
    } finally {
      await pool.close();
    }
  }, 60_000);
});
