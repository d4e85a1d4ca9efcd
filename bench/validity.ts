/**
 * `npm run bench:validity [-- options]`: is the network a user gets as good as the field's default? On
 * ../shared/data/hippocampus (or --data), under one budget of epochs per run:
 *
 * - the 3D U-Net baseline under the native protocol (docs/protocols.md), final-trained;
 * - a SegNAS4 search under the native protocol with ASHA, its best architecture final-trained;
 * - the 3D U-Net under the paper protocol at 32³, final-trained, for comparison.
 *
 * Each is tested on the project's test split (seeded 50/20/30, test cases never seen before the test) and the
 * table gives per-label and mean test Dice of the final model, parameters, epochs and wall time. Options:
 * --cases N (the first N cases, symlinked: a smaller run), --epochs E (per search candidate), --evaluations N,
 * --final-epochs F, --max-p P (the deepest pooling: 2^P divides the patch; 3 gives 40 × 56 × 40 on the
 * hippocampus set), --backend (TensorFlow.js backend), --json.
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
    backend: { type: 'string' },
    json: { type: 'boolean' },
  },
});

const source = resolve(values.data ?? join(ROOT, '..', 'shared', 'data', 'hippocampus'));
const epochs = values.epochs ?? '4';
const evaluations = values.evaluations ?? '8';
const finalEpochs = values['final-epochs'] ?? '8';
const maxP = Number(values['max-p'] ?? '3');
const backend = values.backend ?? 'wasm';
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
    backend,
    'final-epochs': finalEpochs,
    'top-k': '1',
    seed: '1',
    ...extra,
  });
}

/** The SegNAS4 space with p limited to `maxP` (the patch divisor); the paper's SegNAS4 otherwise. */
function segnas4(): SearchConfig['space'] {
  const space = config({}).space;
  return { ...space, p: { lo: 2, hi: maxP + 1 } };
}

const runner = createSearchRunner({ workspace: join(root, 'ws'), emit: () => {} });
const rows: Row[] = [];

async function measure(run: string, c: SearchConfig, epochsText: string): Promise<void> {
  const t0 = performance.now();
  const { experimentId } = await runner.start(c);
  const end = await runner.whenDone(experimentId);
  const seconds = (performance.now() - t0) / 1000;
  if (end.status !== 'finished') throw new Error(`${run}: ${end.status} ${end.message ?? ''}`);
  const final = runner.store.listFinalTrainings(experimentId).find((f) => f.status === 'tested');
  rows.push({
    run,
    protocol: c.protocol ?? 'paper',
    perLabel: final?.perLabelDice ?? {},
    meanDice: final?.meanDice ?? null,
    params: final?.paramCount ?? null,
    epochs: epochsText,
    seconds,
  });
  if (!values.json)
    console.log(`${run}: ${final?.meanDice?.toFixed(3) ?? 'no test'} in ${seconds.toFixed(0)} s`);
}

try {
  const unetEpochs = String(Number(epochs) * Number(evaluations));
  // The baseline trains once for as many epochs as the whole search spends on its candidates (same budget).
  await measure(
    '3D U-Net, native',
    config({ variant: 'unet3d', protocol: 'native', epochs: unetEpochs }),
    `${unetEpochs} + final ${finalEpochs}`,
  );
  await measure(
    `SegNAS4 (p ≤ ${maxP}), native, ASHA`,
    {
      // ASHA's first rung must come before the last epoch.
      ...config({
        protocol: 'native',
        epochs,
        evaluations,
        prune: 'asha',
        'prune-min-epochs': String(Math.max(1, Math.floor(Number(epochs) / 2))),
      }),
      variant: 'custom',
      space: segnas4(),
    },
    `${evaluations} × ≤ ${epochs} + final ${finalEpochs}`,
  );
  await measure(
    '3D U-Net, paper 32³',
    config({ variant: 'unet3d', size: '32', epochs: unetEpochs }),
    `${unetEpochs} + final ${finalEpochs}`,
  );
} finally {
  await runner.close();
  rmSync(root, { recursive: true, force: true });
}

if (values.json) console.log(JSON.stringify({ data: source, cases: values.cases ?? 'all', rows }, null, 2));
else {
  const labels = [...new Set(rows.flatMap((r) => Object.keys(r.perLabel)))];
  console.log(`\n| run | ${labels.join(' | ')} | mean | parameters | epochs | wall time |`);
  console.log(`|---|${labels.map(() => '---|').join('')}---|---|---|---|`);
  for (const r of rows)
    console.log(
      `| ${r.run} | ${labels.map((l) => r.perLabel[l]?.toFixed(3) ?? '–').join(' | ')} | ${r.meanDice?.toFixed(3) ?? '–'} | ${r.params?.toLocaleString('en') ?? '–'} | ${r.epochs} | ${(r.seconds / 60).toFixed(1)} min |`,
    );
}
