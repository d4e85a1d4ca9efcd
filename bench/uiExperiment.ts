/**
 * A finished SegNAS11 search of any size for bench:ui: random architectures, a realistic mix of
 * trained / cached / illegal / OOM candidates, 20-epoch curves, written through the store as a search
 * writes them, on a small phantom dataset so that the viewer has cases to show.
 */
import { join } from 'node:path';
import type { CandidateStatus } from '../main/api';
import { blockFromOps } from '../main/core/blockMatrix';
import { createPrng } from '../main/core/prng';
import type { NodeCount } from '../main/core/spec';
import { discoverDataset } from '../main/data/discover';
import { generatePhantomDataset } from '../main/data/phantom';
import { openStore } from '../main/store';

const EPOCHS = 20;

/** A finished SegNAS11 search of `count` candidates, written through the store as a search would. */
export async function buildExperiment(workspace: string, count: number): Promise<number> {
  const dataRoot = join(workspace, 'data');
  await generatePhantomDataset(dataRoot, { cases: 10, size: 16, seed: 1 });
  const ids = (await discoverDataset(dataRoot)).usableCaseIds;
  const store = openStore(workspace);
  const prng = createPrng(count);
  const experiment = store.createExperiment({
    name: `bench ${count}`,
    config: {
      datasetPath: dataRoot,
      variant: 'segnas11',
      space: {
        n: { lo: 8, hi: 33 },
        p: { lo: 2, hi: 6 },
        sup: { lo: 0, hi: 2 },
        res: { lo: 0, hi: 2 },
        nodes: { lo: 2, hi: 5 },
        ops: Array.from({ length: 6 }, () => ({ lo: 0, hi: 7 })),
      },
      training: {
        size: 16,
        epochs: EPOCHS,
        batch: 1,
        learningRate: 1e-3,
        augmentation: true,
        dropout: 0.1,
        seed: 1,
      },
      budget: { evaluations: count },
    },
    datasetFingerprint: 'bench',
    seeds: { search: 1, split: 1 },
    splits: [{ train: ids.slice(0, 5), validation: ids.slice(5, 7), test: ids.slice(7) }],
    backend: 'wasm',
    device: 'CPU (bench)',
    softwareVersion: 'bench',
  });
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  for (let seq = 0; seq < count; seq++) {
    const nodes = (2 + prng.int(3)) as NodeCount;
    const ops = Array.from({ length: (nodes * (nodes - 1)) / 2 }, () => prng.int(7));
    const spec = {
      n: 8 + prng.int(25),
      p: 2 + prng.int(4),
      sup: prng.int(2) === 1,
      res: prng.int(2) === 1,
      block: blockFromOps(nodes, ops),
      extras: {},
    };
    const x = [spec.n + 0.5, spec.p + 0.5, 0.5, 0.5, nodes + 0.5, ...ops.map((o) => o + 0.5)];
    const roll = prng.uniform();
    const status: CandidateStatus =
      roll < 0.55 ? 'trained' : roll < 0.75 ? 'cached' : roll < 0.93 ? 'illegal' : 'oom';
    const paramCount = Math.round(spec.n ** 2 * 27 * (spec.p + 1) * nodes * (1 + prng.uniform()));
    const startedAt = new Date(t0 + seq * 90_000).toISOString();
    const start = { seq, x, key: x.map(Math.floor).join(','), spec, device: 'cpu:0', paramCount, startedAt };
    if (status === 'trained' || status === 'cached') {
      const dice = Math.min(0.92, Math.max(0.02, 0.5 + 0.18 * (prng.uniform() + prng.uniform() - 1) * 2));
      store.recordCandidateStart(experiment.id, start);
      for (let epoch = 1; epoch <= EPOCHS; epoch++)
        store.appendEpoch(experiment.id, seq, {
          epoch,
          loss: 1.5 / (1 + epoch * prng.uniform()),
          valDice: dice * (1 - 0.6 ** epoch),
          seconds: 2 + prng.uniform(),
        });
      store.recordCandidateEnd(experiment.id, seq, {
        status,
        f: -Math.log(dice),
        valDice: dice,
        perLabelDice: { anterior: dice * 1.02, posterior: dice * 0.98 },
        endedAt: new Date(t0 + seq * 90_000 + 40_000 + prng.int(40_000)).toISOString(),
      });
    } else {
      store.recordCandidate(experiment.id, start, { status, f: 10, reason: `${status} (bench)` });
    }
  }
  store.updateExperimentStatus(experiment.id, 'finished');
  store.close();
  return experiment.id;
}
