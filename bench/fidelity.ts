/**
 * `npm run bench:fidelity [-- --data DIR] [--candidates N] [--size S] [--epochs E] [--seed K] [--eta H]
 * [--min-epochs R] [--cases N] [--n-max N] [--json] [--replay FILE]`: does cheap training rank
 * candidates like full training?
 *
 * Trains a seeded uniform sample of SegNAS4 candidates for the full budget of E epochs on real data
 * (default the shared hippocampus set; `--cases N` its first N cases, `--n-max N` base filters below N)
 * and prints, for several e < E, the Spearman rank correlation between the best validation Dice
 * within e epochs and within all E; then replays the search's pruning rules (main/nas/pruning.ts:
 * ASHA with η and first rung r as chosen, a grid around it, and the median rule) over the recorded
 * curves and prints the epochs and device-hours each would have saved and whether it would have kept
 * the sample's best network. `--replay FILE` recomputes the tables from an earlier `--json` output.
 *
 * The sample is the search's initial population: a search with a population of at least N and a
 * budget of N evaluations draws exactly N uniform points from the seeded CRS2-LM, so the sample is
 * the one a real SegNAS4 search starts from.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_SEARCH_CONFIG, type PruneSettings } from '../main/core/searchConfig';
import { getPreset } from '../main/nas/presets';
import { replayPruning } from '../main/nas/pruning';
import { createSearchRunner } from '../main/search/searchRunner';
import { datasetSubset } from './datasetSubset';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    data: { type: 'string', default: '../shared/data/hippocampus' },
    candidates: { type: 'string', default: '12' },
    size: { type: 'string', default: '32' },
    epochs: { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    eta: { type: 'string', default: String(DEFAULT_SEARCH_CONFIG.prune.eta) },
    'min-epochs': { type: 'string', default: String(DEFAULT_SEARCH_CONFIG.prune.minEpochs) },
    replay: { type: 'string' },
    cases: { type: 'string' },
    'n-max': { type: 'string' },
    json: { type: 'boolean' },
  },
});

const data = resolve(values.data);
if (!values.replay && !existsSync(join(data, 'dataset.json')))
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

// Poolings that fit the cube: size must be divisible by 2^pMax.
const space = structuredClone(getPreset('segnas4').space);
let pFits = 0;
while (size % 2 ** (pFits + 1) === 0) pFits++;
if ('hi' in space.p && space.p.hi - 1 > pFits) space.p.hi = pFits + 1;
// `--n-max N`: base filters n below N (a cheaper sample where the CPU is small).
if (values['n-max'] && 'hi' in space.n) space.n.hi = Math.min(space.n.hi, Number(values['n-max']));

const workspace = mkdtempSync(join(tmpdir(), 'segnas-bench-fidelity-'));

let curves: number[][];
let trainingSeconds = 0;
let backend = '';
let sampleSeconds = 0;
if (values.replay) {
  // Re-derive the tables from an earlier run's --json output, without training again.
  const earlier = JSON.parse(readFileSync(values.replay, 'utf8'));
  curves = earlier.curves;
  backend = earlier.backend;
  // Outputs without the training time carry it as ASHA's saving.
  trainingSeconds =
    earlier.trainingSeconds ??
    ((earlier.asha.hoursSaved * 3600) / Math.max(earlier.asha.epochsFull - earlier.asha.epochsTrained, 1)) *
      earlier.asha.epochsFull;
  sampleSeconds = earlier.wallSeconds;
} else {
  const datasetPath = values.cases
    ? datasetSubset(data, Number(values.cases), join(workspace, 'data'))
    : data;
  const runner = createSearchRunner({ workspace, emit: () => {} });
  const started = performance.now();
  try {
    const { experimentId: id } = await runner.start({
      datasetPath,
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
    trainingSeconds = trained.reduce((s, c) => s + c.curve.reduce((t, p) => t + p.seconds, 0), 0);
  } finally {
    await runner.close();
  }
  sampleSeconds = (performance.now() - started) / 1000;
}
rmSync(workspace, { recursive: true, force: true });
const finals = curves.map((c) => Math.max(...c));
const wallSeconds = sampleSeconds;

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
const totalEpochs = curves.length * epochs;
const bestIndex = finals.indexOf(Math.max(...finals));
const secondsPerEpoch = trainingSeconds / Math.max(totalEpochs, 1);

/** What a rule would have done to the sample: epochs trained, time saved, and which network it keeps best. */
function replay(settings: PruneSettings) {
  const used = replayPruning(settings, epochs, curves);
  const usedEpochs = used.reduce((s, e) => s + e, 0);
  const full = used.map((e, i) => (e === epochs ? finals[i] : -1));
  const keptBest = Math.max(...full);
  return {
    settings,
    epochsTrained: usedEpochs,
    epochsFull: totalEpochs,
    saved: 1 - usedEpochs / Math.max(totalEpochs, 1),
    hoursSaved: ((totalEpochs - usedEpochs) * secondsPerEpoch) / 3600,
    keepsBest: used[bestIndex] === epochs,
    /** Best full-budget Dice among the candidates the rule let finish, against the sample's best. */
    bestKept: keptBest,
    pruned: used.filter((e) => e < epochs).length,
  };
}
const rule = (r: Partial<PruneSettings>): PruneSettings => ({ ...DEFAULT_SEARCH_CONFIG.prune, ...r });
const chosen = rule({ rule: 'asha', eta, minEpochs });
const rules = [
  chosen,
  ...[2, 3, 4].flatMap((h) => [1, 2].map((r) => rule({ rule: 'asha', eta: h, minEpochs: r }))),
  ...[1, 2, 3].map((w) => rule({ rule: 'median', warmupEpochs: w })),
].filter(
  (r, i, all) =>
    all.findIndex((o) =>
      r.rule === 'asha'
        ? o.rule === 'asha' && o.eta === r.eta && o.minEpochs === r.minEpochs
        : o.rule === r.rule && o.warmupEpochs === r.warmupEpochs && o.minCandidates === r.minCandidates,
    ) === i,
);
const pruning = rules.map(replay);
const describeRule = (r: PruneSettings) =>
  r.rule === 'asha'
    ? `ASHA η ${r.eta}, first rung ${r.minEpochs}`
    : `median, warm-up ${r.warmupEpochs}, ≥ ${r.minCandidates} earlier`;
const result = {
  machine: `${cpus().length}× ${cpus()[0]?.model ?? 'CPU'}`,
  backend,
  data,
  cases: values.cases ? Number(values.cases) : 'all',
  candidates: curves.length,
  size,
  epochs,
  correlation,
  asha: pruning[0],
  pruning,
  wallSeconds,
  trainingSeconds,
  /** Validation Dice per epoch of each candidate, in search order: enough to replay any rule later. */
  curves,
};

if (values.json) console.log(JSON.stringify(result, null, 1));
else {
  console.log(
    `\nfidelity of short training: ${result.candidates} SegNAS4 candidates (seed ${values.seed}), ${size}³, ${epochs} epochs, ${data} (${result.cases} cases)`,
  );
  console.log(
    `machine ${result.machine}, backend ${backend}, ${wallSeconds.toFixed(0)} s wall, ${(trainingSeconds / 3600).toFixed(3)} device-hours of training`,
  );
  console.log('\n| epochs e | Spearman ρ (best val Dice within e vs within all) |\n|---|---|');
  for (const c of correlation) console.log(`| ${c.epochs} | ${c.rho.toFixed(3)} |`);
  console.log(
    `\nsample's best validation Dice ${finals[bestIndex]?.toFixed(3)} (candidate ${bestIndex})\n` +
      '\n| rule | epochs trained | saved | device-hours saved | pruned | best kept to the end |\n|---|---|---|---|---|---|',
  );
  for (const a of pruning)
    console.log(
      `| ${describeRule(a.settings)}${a === pruning[0] ? ' (chosen)' : ''} | ${a.epochsTrained} / ${a.epochsFull} | ${(100 * a.saved).toFixed(0)} % | ${a.hoursSaved.toFixed(3)} | ${a.pruned} | ${a.keepsBest ? 'yes' : `no (${a.bestKept.toFixed(3)})`} |`,
    );
}
