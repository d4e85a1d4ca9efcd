/**
 * `npm run bench:fidelity [-- --data DIR] [--candidates N] [--size S] [--epochs E] [--seed K] [--eta H]
 * [--min-epochs R] [--json]`: does cheap training rank candidates like full training?
 *
 * Trains a seeded uniform sample of SegNAS4 candidates for the full budget of E epochs on real data
 * (default the shared hippocampus set) and prints, for several e < E, the Spearman rank correlation
 * between validation Dice after e epochs and the best validation Dice of the full budget; then
 * replays ASHA (reduction factor η, minimum epochs r) over the recorded curves and prints the epochs
 * it would have saved and whether it would have kept the sample's best network.
 *
 * The sample is the search's initial population: a search with a population of at least N and a
 * budget of N evaluations draws exactly N uniform points from the seeded CRS2-LM, so the sample is
 * the one a real SegNAS4 search starts from.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { getPreset } from '../main/nas/presets';
import { createSearchRunner } from '../main/search/searchRunner';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    data: { type: 'string', default: '../shared/data/hippocampus' },
    candidates: { type: 'string', default: '12' },
    size: { type: 'string', default: '32' },
    epochs: { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    eta: { type: 'string', default: '3' },
    'min-epochs': { type: 'string', default: '1' },
    json: { type: 'boolean' },
  },
});

const data = resolve(values.data);
if (!existsSync(join(data, 'dataset.json')))
  throw new Error(
    `${data}: no dataset.json there; pass --data with an MSD-layout dataset (default ../shared/data/hippocampus)`,
  );
const count = Number(values.candidates);
const size = Number(values.size);
const epochs = Number(values.epochs);
const eta = Number(values.eta);
const minEpochs = Number(values['min-epochs']);

/** Ranks with ties averaged, as Spearman's ρ needs. */
function ranks(xs: readonly number[]): number[] {
  const order = xs.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

export function spearman(a: readonly number[], b: readonly number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (ra.length + 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i] - mean) * (rb[i] - mean);
    da += (ra[i] - mean) ** 2;
    db += (rb[i] - mean) ** 2;
  }
  return da > 0 && db > 0 ? num / Math.sqrt(da * db) : Number.NaN;
}

/**
 * ASHA over recorded curves, candidates in search order: at each rung r·η^k a candidate goes on only
 * if its best Dice so far is among the top 1/η of those that reached the rung before it (itself
 * included). Returns the epochs each candidate would have trained.
 */
export function ashaEpochs(curves: readonly number[][], full: number, r: number, h: number): number[] {
  const rungs: number[] = [];
  for (let e = r; e < full; e *= h) rungs.push(Math.round(e));
  const seen = rungs.map(() => [] as number[]);
  return curves.map((curve) => {
    for (let k = 0; k < rungs.length; k++) {
      const score = Math.max(...curve.slice(0, rungs[k]));
      seen[k].push(score);
      const better = seen[k].filter((s) => s > score).length;
      if (better >= Math.max(1, Math.floor(seen[k].length / h))) return rungs[k];
    }
    return full;
  });
}

// Poolings that fit the cube: size must be divisible by 2^pMax.
const space = structuredClone(getPreset('segnas4').space);
const pFits = Math.floor(Math.log2(size));
if ('hi' in space.p && space.p.hi - 1 > pFits) space.p.hi = pFits + 1;

const workspace = mkdtempSync(join(tmpdir(), 'segnas-bench-fidelity-'));
const runner = createSearchRunner({ workspace, emit: () => {} });
const started = performance.now();
let curves: number[][];
let finals: number[];
let trainingSeconds = 0;
let backend = '';
try {
  const { experimentId: id } = await runner.start({
    datasetPath: data,
    variant: 'custom',
    name: 'bench:fidelity sample',
    space,
    training: { size, epochs, batch: 1, learningRate: 1e-3, augmentation: true },
    seed: Number(values.seed),
    evaluations: count,
    populationSize: Math.max(count, 5),
    backend: 'auto',
    memoryBudgetMB: 8192,
    topK: 0,
  });
  const end = await runner.whenDone(id);
  if (end.status !== 'finished')
    throw new Error(`the sample's search ended ${end.status}: ${end.message ?? ''}`);
  backend = runner.store.getExperiment(id)?.backend ?? '';
  const trained = runner.store
    .listCandidates(id, { status: 'trained' })
    .filter((c) => c.curve.length === epochs);
  curves = trained.map((c) => c.curve.map((p) => p.valDice ?? 0));
  finals = curves.map((c) => Math.max(...c));
  trainingSeconds = trained.reduce((s, c) => s + c.curve.reduce((t, p) => t + p.seconds, 0), 0);
} finally {
  await runner.close();
  rmSync(workspace, { recursive: true, force: true });
}
const wallSeconds = (performance.now() - started) / 1000;

const checkpoints = [...new Set([1, 2, 3, 5, Math.round(epochs / 4), Math.round(epochs / 2)])]
  .filter((e) => e >= 1 && e < epochs)
  .sort((a, b) => a - b);
const correlation = checkpoints.map((e) => ({
  epochs: e,
  rho: spearman(
    curves.map((c) => Math.max(...c.slice(0, e))),
    finals,
  ),
}));
const used = ashaEpochs(curves, epochs, minEpochs, eta);
const totalEpochs = curves.length * epochs;
const usedEpochs = used.reduce((s, e) => s + e, 0);
const bestIndex = finals.indexOf(Math.max(...finals));
const secondsPerEpoch = trainingSeconds / Math.max(totalEpochs, 1);
const result = {
  machine: `${cpus().length}× ${cpus()[0]?.model ?? 'CPU'}`,
  backend,
  data,
  candidates: curves.length,
  size,
  epochs,
  correlation,
  asha: {
    eta,
    minEpochs,
    epochsTrained: usedEpochs,
    epochsFull: totalEpochs,
    saved: 1 - usedEpochs / Math.max(totalEpochs, 1),
    hoursSaved: ((totalEpochs - usedEpochs) * secondsPerEpoch) / 3600,
    keepsBest: used[bestIndex] === epochs,
  },
  wallSeconds,
};

if (values.json) console.log(JSON.stringify(result, null, 1));
else {
  console.log(
    `\nfidelity of short training: ${result.candidates} SegNAS4 candidates (seed ${values.seed}), ${size}³, ${epochs} epochs, ${data}`,
  );
  console.log(`machine ${result.machine}, backend ${backend}, ${wallSeconds.toFixed(0)} s wall`);
  console.log('\n| epochs e | Spearman ρ (best val Dice after e vs after all) |\n|---|---|');
  for (const c of correlation) console.log(`| ${c.epochs} | ${c.rho.toFixed(3)} |`);
  const a = result.asha;
  console.log(
    `\nASHA (η ${eta}, minimum ${minEpochs} epoch${minEpochs === 1 ? '' : 's'}): ${a.epochsTrained} of ${a.epochsFull} epochs ` +
      `(${(100 * a.saved).toFixed(0)} % saved, ${a.hoursSaved.toFixed(3)} device-hours on this machine); ` +
      `the sample's best network ${a.keepsBest ? 'is' : 'is NOT'} trained to the end`,
  );
}
