/**
 * `npm run bench:validity [-- options]`: is the network a user gets as good as the field's default? On
 * ../shared/data/hippocampus (or --data), each run final-trained on train + validation and tested on the
 * project's test split (seeded 50/20/30, test cases never seen before the test):
 *
 * 1. a SegNAS4 search under the native protocol (docs/protocols.md) with ASHA, its best architecture
 *    final-trained for --final-epochs; its wall time T (search, final training, test) is the budget;
 * 2. the 3D U-Net baseline under the native protocol with the same wall time: one epoch measures its speed,
 *    and its final training gets as many epochs as fit in what is left of T;
 * 3. the same U-Net under the paper protocol at 32³ with the epochs row 2 got, for comparison.
 *
 * The table gives per-label and mean test Dice of each final model, parameters, epochs and wall time.
 * Options: --cases N (the first N cases, symlinked: a smaller run), --epochs E (per search candidate),
 * --evaluations N, --final-epochs F, --max-p P (the deepest pooling: 2^P divides the patch; 3 gives
 * 40 × 56 × 40 on the hippocampus set), --max-n N (the widest first level searched: 16 keeps every
 * candidate under a third of the U-Net's parameters), --engine/--device/--backend (as `segnas search`),
 * --json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildConfig } from '../main/cli/commands/search';
import type { SearchConfig } from '../main/core/searchConfig';
import { createSearchRunner } from '../main/search/searchRunner';
import { datasetSubset } from './datasetSubset';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    data: { type: 'string' },
    cases: { type: 'string' },
    epochs: { type: 'string' },
    evaluations: { type: 'string' },
    'final-epochs': { type: 'string' },
    'max-p': { type: 'string' },
    'max-n': { type: 'string' },
    engine: { type: 'string' },
    device: { type: 'string' },
    backend: { type: 'string' },
    json: { type: 'boolean' },
  },
});

const source = resolve(values.data ?? join(ROOT, '..', 'shared', 'data', 'hippocampus'));
const epochs = values.epochs ?? '4';
const evaluations = values.evaluations ?? '8';
const finalEpochs = values['final-epochs'] ?? '8';
const maxP = Number(values['max-p'] ?? '3');
const maxN = Number(values['max-n'] ?? '16');
// As `segnas search` reads them: TensorFlow.js's wasm backend unless another engine or backend is named.
const engineOptions: Record<string, string> = {
  ...(values.engine && { engine: values.engine }),
  ...(values.device && { device: values.device }),
  ...((values.backend || !(values.engine || values.device)) && { backend: values.backend ?? 'wasm' }),
};
if (!(Number(epochs) >= 2))
  throw new Error('--epochs must be at least 2 (ASHA stops candidates at a rung before the last epoch)');
const root = mkdtempSync(join(tmpdir(), 'segnas-bench-validity-'));
const data = values.cases ? datasetSubset(source, Number(values.cases), join(root, 'data')) : source;

interface Row {
  run: string;
  protocol: string;
  perLabel: Record<string, number>;
  meanDice: number | null;
  params: number | null;
  epochs: string;
  seconds: number;
}

/** A config as `segnas search` builds it from these options. */
function config(extra: Record<string, string | boolean>): SearchConfig {
  return buildConfig({
    data,
    ...engineOptions,
    'final-epochs': finalEpochs,
    'top-k': '1',
    seed: '1',
    ...extra,
  });
}

/** The SegNAS4 space with p ≤ `maxP` (the patch divisor) and n ≤ `maxN`; the paper's SegNAS4 otherwise. */
function segnas4(): SearchConfig['space'] {
  const space = config({}).space;
  return { ...space, n: { lo: 8, hi: maxN + 1 }, p: { lo: 2, hi: maxP + 1 } };
}

const runner = createSearchRunner({ workspace: join(root, 'ws'), emit: () => {} });
const rows: Row[] = [];

/** Starts a search and waits for its end (the final training included when the config asks for one). */
async function finished(c: SearchConfig): Promise<number> {
  const { experimentId } = await runner.start(c);
  await ended(experimentId);
  return experimentId;
}

async function ended(experimentId: number): Promise<void> {
  const end = await runner.whenDone(experimentId);
  if (end.status !== 'finished')
    throw new Error(`experiment ${experimentId}: ${end.status} ${end.message ?? ''}`);
}

function record(
  run: string,
  protocol: string,
  experimentId: number,
  epochsText: string,
  seconds: number,
): void {
  const final = runner.store.listFinalTrainings(experimentId).find((f) => f.status === 'tested');
  rows.push({
    run,
    protocol,
    perLabel: final?.perLabelDice ?? {},
    meanDice: final?.meanDice ?? null,
    params: final?.paramCount ?? null,
    epochs: epochsText,
    seconds,
  });
  if (!values.json)
    console.log(
      `${run}: ${final?.meanDice?.toFixed(3) ?? 'no test'} in ${seconds.toFixed(0)} s (${epochsText})`,
    );
}

const seconds = (since: number) => (performance.now() - since) / 1000;

/** A U-Net with one search epoch (its speed) and then `finalEpochs(epochSeconds, spent)` final epochs. */
async function unet(
  extra: Record<string, string>,
  finalEpochs: (epochSeconds: number, spent: number) => number,
) {
  const t0 = performance.now();
  const id = await finished(config({ variant: 'unet3d', epochs: '1', 'final-epochs': '0', ...extra }));
  const [candidate] = runner.store.listCandidates(id);
  const epochSeconds = candidate?.curve[0]?.seconds;
  if (candidate?.status !== 'trained' || epochSeconds === undefined)
    throw new Error(
      `the U-Net (${JSON.stringify(extra)}) did not train: ${candidate?.reason ?? candidate?.status}`,
    );
  const epochs = finalEpochs(epochSeconds, seconds(t0));
  await runner.finalTrain(id, { epochs, topK: 1 });
  await ended(id);
  return { id, epochs, seconds: seconds(t0) };
}

try {
  const t0 = performance.now();
  const segnasId = await finished({
    ...config({
      protocol: 'native',
      epochs,
      evaluations,
      prune: 'asha',
      // ASHA's first rung must come before the last epoch.
      'prune-min-epochs': String(Math.max(1, Math.floor(Number(epochs) / 2))),
    }),
    variant: 'custom',
    space: segnas4(),
  });
  const budget = seconds(t0);
  record(
    `SegNAS4 (n ≤ ${maxN}, p ≤ ${maxP}), native, ASHA`,
    'native',
    segnasId,
    `${evaluations} × ≤ ${epochs} + final ${finalEpochs}`,
    budget,
  );
  // A final epoch runs over train + validation (70 % of the cases against the search epoch's 50 %, which also
  // validated its 20 %): 1.4 search epochs is an upper bound, so the U-Net stays within the budget.
  const native = await unet({ protocol: 'native' }, (epochSeconds, spent) =>
    Math.max(1, Math.floor((budget - spent) / (1.4 * epochSeconds))),
  );
  record(
    '3D U-Net, native, same wall time',
    'native',
    native.id,
    `1 + final ${native.epochs}`,
    native.seconds,
  );
  const paper = await unet({ size: '32' }, () => native.epochs);
  record('3D U-Net, paper 32³, same epochs', 'paper', paper.id, `1 + final ${paper.epochs}`, paper.seconds);
} finally {
  await runner.close();
  rmSync(root, { recursive: true, force: true });
}

// The engine the runs asked for, in the words `segnas search` takes (a TensorFlow.js backend, else PyTorch).
const engineText = engineOptions.backend
  ? `tfjs ${engineOptions.backend}`
  : [engineOptions.engine ?? 'pytorch', engineOptions.device].filter(Boolean).join(' ');
if (values.json)
  console.log(
    JSON.stringify({ data: source, cases: values.cases ?? 'all', engine: engineText, rows }, null, 2),
  );
else {
  const labels = [...new Set(rows.flatMap((r) => Object.keys(r.perLabel)))];
  console.log(`\n${source} (${values.cases ?? 'all'} cases), engine ${engineText}`);
  console.log(`\n| run | ${labels.join(' | ')} | mean | parameters | epochs | wall time |`);
  console.log(`|---|${labels.map(() => '---|').join('')}---|---|---|---|`);
  for (const r of rows)
    console.log(
      `| ${r.run} | ${labels.map((l) => r.perLabel[l]?.toFixed(3) ?? '–').join(' | ')} | ${r.meanDice?.toFixed(3) ?? '–'} | ${r.params?.toLocaleString('en') ?? '–'} | ${r.epochs} | ${(r.seconds / 60).toFixed(1)} min |`,
    );
}
