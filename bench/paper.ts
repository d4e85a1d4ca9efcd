/**
 * `npm run bench:paper -- --data DIR [--size S] [--epochs E] [--splits N] [--evaluations K]
 * [--variant segnas4|segnas11] [--seed K] [--engine auto|wasm|…] [--prune asha|median|off] [--cases N]
 * [--json]`: the paper's Table 3 under one protocol. Runs the SegNAS search without pruning and (unless
 * `--prune off`) again with the pruning rule at its default parameters, then the 3D U-Net and V-Net
 * baselines with the same data, seed (hence the same splits), size, epochs and training settings, and
 * prints per method the test Dice of its best network (mean ± std over the splits), its parameters,
 * the trainings and epochs trained, and the device-hours spent. `--cases N` uses the first N cases.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { BackendRequest, SearchConfig } from '../main/api';
import { DEFAULT_SEARCH_CONFIG, PRUNE_RULES, type PruneRuleName } from '../main/core/searchConfig';
import { BASELINE_IDS, fixedSpace, getBaseline } from '../main/nas/baselines';
import { getPreset } from '../main/nas/presets';
import { createSearchRunner } from '../main/search/searchRunner';
import { datasetSubset } from './datasetSubset';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    data: { type: 'string' },
    size: { type: 'string', default: '32' },
    epochs: { type: 'string', default: '10' },
    splits: { type: 'string', default: '3' },
    evaluations: { type: 'string', default: '300' },
    variant: { type: 'string', default: 'segnas4' },
    seed: { type: 'string', default: '1' },
    engine: { type: 'string', default: 'auto' },
    workspace: { type: 'string' },
    prune: { type: 'string', default: 'asha' },
    cases: { type: 'string' },
    json: { type: 'boolean' },
  },
});
if (!values.data)
  throw new Error('--data DIR is required (an MSD-layout dataset, e.g. ../shared/data/hippocampus)');
const size = Number(values.size);
const splits = Number(values.splits);
const pruneRule = values.prune as PruneRuleName;
if (!PRUNE_RULES.includes(pruneRule))
  throw new Error(`--prune must be one of ${PRUNE_RULES.join(', ')} (got ${values.prune})`);
const workspace = values.workspace ?? mkdtempSync(join(tmpdir(), 'segnas-bench-paper-'));
const datasetPath = values.cases
  ? datasetSubset(resolve(values.data), Number(values.cases), join(workspace, 'data'))
  : resolve(values.data);
mkdirSync(workspace, { recursive: true });

const protocol = {
  datasetPath,
  training: { size, epochs: Number(values.epochs), batch: 1, learningRate: 1e-3, augmentation: true },
  seed: Number(values.seed),
  backend: values.engine as BackendRequest,
  memoryBudgetMB: 16_384,
  splits,
  topK: 1,
} satisfies Partial<SearchConfig>;

/** The searched variant with p limited to the poolings the cube allows. */
function searchSpace(variant: string): SearchConfig['space'] {
  const space = structuredClone(getPreset(variant).space);
  // At least a 2³ bottleneck, and a cube side that every pooling halves exactly.
  let pFits = 0;
  while (size % 2 ** (pFits + 1) === 0 && size / 2 ** (pFits + 1) >= 2) pFits++;
  if ('hi' in space.p && space.p.hi - 1 > pFits) space.p.hi = pFits + 1;
  return space;
}

const methods: { name: string; config: SearchConfig }[] = [
  {
    name: values.variant,
    config: {
      ...protocol,
      variant: 'custom',
      name: `bench:paper ${values.variant}`,
      space: searchSpace(values.variant),
      evaluations: Number(values.evaluations),
    },
  },
  // One epoch leaves nothing to stop early; with few epochs the first rung / warm-up comes sooner.
  ...(pruneRule === 'off' || protocol.training.epochs < 2
    ? []
    : [
        {
          name: `${values.variant} + ${pruneRule === 'asha' ? 'ASHA' : 'median'} pruning`,
          config: {
            ...protocol,
            variant: 'custom',
            name: `bench:paper ${values.variant} pruned`,
            space: searchSpace(values.variant),
            evaluations: Number(values.evaluations),
            prune: {
              ...DEFAULT_SEARCH_CONFIG.prune,
              rule: pruneRule,
              minEpochs: Math.min(DEFAULT_SEARCH_CONFIG.prune.minEpochs, protocol.training.epochs - 1),
              warmupEpochs: Math.min(DEFAULT_SEARCH_CONFIG.prune.warmupEpochs, protocol.training.epochs - 1),
            },
          },
        },
      ]),
  ...BASELINE_IDS.map((id) => ({
    name: id,
    config: {
      ...protocol,
      variant: id,
      name: `bench:paper ${id}`,
      space: fixedSpace(getBaseline(id).spec),
      evaluations: 1,
    },
  })),
];

const runner = createSearchRunner({ workspace, emit: () => {} });
const rows: {
  method: string;
  mean: number;
  std: number;
  splits: number;
  params: number | null;
  hours: number;
  trainings: number;
  pruned: number;
  epochs: number;
}[] = [];
try {
  for (const m of methods) {
    const t0 = performance.now();
    const { experimentId: id } = await runner.start(m.config);
    const end = await runner.whenDone(id);
    if (end.status !== 'finished') throw new Error(`${m.name} ended ${end.status}: ${end.message ?? ''}`);
    const hours = (performance.now() - t0) / 3_600_000;
    const best = runner.store.getExperiment(id)?.best;
    const tests = runner.store.listTestEvaluations(id, best?.seq).map((t) => t.meanDice);
    const mean = tests.reduce((s, v) => s + v, 0) / Math.max(tests.length, 1);
    const std = Math.sqrt(tests.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(tests.length - 1, 1));
    const candidate = best ? runner.store.getCandidate(id, best.seq) : null;
    rows.push({
      method: m.name,
      mean,
      std,
      splits: tests.length,
      params: candidate?.paramCount ?? null,
      hours,
      trainings: runner.store.countCandidates(id, { status: 'trained' }),
      pruned: runner.store.countCandidates(id, { status: 'pruned' }),
      epochs: runner.store.listCandidates(id).reduce((n, c) => n + c.curve.length, 0),
    });
    console.error(
      `${m.name}: test Dice ${mean.toFixed(3)} ± ${std.toFixed(3)}, ${(hours * 60).toFixed(1)} min`,
    );
  }
} finally {
  await runner.close();
  if (!values.workspace) rmSync(workspace, { recursive: true, force: true });
}

if (values.json)
  console.log(JSON.stringify({ machine: `${cpus().length}× ${cpus()[0]?.model}`, rows }, null, 1));
else {
  console.log(
    `\nTable 3 under one protocol: ${resolve(values.data)}${values.cases ? ` (first ${values.cases} cases)` : ''}, ${size}³, ${protocol.training.epochs} epochs, ${splits} split(s), seed ${protocol.seed}, engine ${values.engine}`,
  );
  console.log(
    `machine ${cpus().length}× ${cpus()[0]?.model ?? 'CPU'}; hours are wall-clock device hours on it\n`,
  );
  console.log(
    '| method | test Dice (mean ± std over splits) | parameters | trainings (+ pruned) | epochs trained | hours |\n|---|---|---|---|---|---|',
  );
  for (const r of rows)
    console.log(
      `| ${r.method} | ${r.mean.toFixed(3)} ± ${r.std.toFixed(3)} (${r.splits}) | ${r.params?.toLocaleString('en') ?? '–'} | ${r.trainings}${r.pruned > 0 ? ` + ${r.pruned}` : ''} | ${r.epochs} | ${r.hours.toFixed(3)} |`,
    );
}
