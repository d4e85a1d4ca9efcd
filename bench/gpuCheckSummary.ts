/**
 * Reads what bench/gpu-check.sh collected and prints its one JSON summary: ms/step of the paper-scale
 * configuration in fp32 and bf16 (ours and plain PyTorch), candidates per hour of the search, measured peak
 * memory against our estimate, and the best candidate's test Dice.
 *
 * usage: node bin/run-ts.mjs bench/gpuCheckSummary.ts <devices.json> <bench.json> <show.json> <search seconds>
 */
import { readFileSync } from 'node:fs';
import { estimateTorchTrainingBytes } from '../main/train/torchMemoryEstimate';

const [devicesFile, benchFile, showFile, searchSeconds] = process.argv.slice(2);
const read = (f: string): Record<string, unknown> => {
  try {
    return JSON.parse(readFileSync(f, 'utf8'));
  } catch (e) {
    return { error: `${f}: ${(e as Error).message}` };
  }
};
const devices = read(devicesFile);
const bench = read(benchFile) as { pytorch?: Record<string, unknown>[] };
const show = read(showFile) as {
  candidates?: { status: string; estMemoryBytes?: number | null; reason?: string | null }[];
  tests?: { seq: number; meanDice: number }[];
  experiment?: { backend?: string; device?: string };
};
const paper = (bench.pytorch ?? []).filter((r) => r.size === 128);
const row = (precision: string, plain: boolean) =>
  paper.find((r) => r.precision === precision && String(r.engine).includes('plain') === plain);
const paperSpec = {
  n: 16,
  p: 4,
  sup: false,
  res: true,
  block: { nodes: 3 as const, ops: [2, 0, 2] as (0 | 2)[] },
  extras: {},
};
// The benchmark's step holds one batch and no dataset: the estimate without cases.
const estimateMB =
  estimateTorchTrainingBytes(paperSpec, { classes: 20, size: 128, batch: 3, device: 'cuda' }) / 2 ** 20;
const trained = (show.candidates ?? []).filter((c) => c.status === 'trained').length;
const seconds = Number(searchSeconds);
const ms = (r?: Record<string, unknown>) => (r ? Math.round((r.msPerStep as number) * 10) / 10 : null);
console.log(
  JSON.stringify(
    {
      devices: (devices as { devices?: unknown }).devices ?? devices,
      paperScale: {
        config: 'n=16 p=4 res=1 K=20 128³ batch 3',
        msPerStep: { fp32: ms(row('fp32', false)), bf16: ms(row('bf16', false)) },
        plainPyTorchMsPerStep: { fp32: ms(row('fp32', true)), bf16: ms(row('bf16', true)) },
        ratioToPlain: {
          fp32:
            row('fp32', false) && row('fp32', true)
              ? (ms(row('fp32', false)) as number) / (ms(row('fp32', true)) as number)
              : null,
          bf16:
            row('bf16', false) && row('bf16', true)
              ? (ms(row('bf16', false)) as number) / (ms(row('bf16', true)) as number)
              : null,
        },
        peakMB: { fp32: row('fp32', false)?.peakMB ?? null, bf16: row('bf16', false)?.peakMB ?? null },
        estimateMB: Math.round(estimateMB),
      },
      search: {
        backend: show.experiment?.backend,
        device: show.experiment?.device,
        candidates: (show.candidates ?? []).length,
        trained,
        seconds,
        candidatesPerHour: seconds > 0 ? Math.round((trained / seconds) * 3600) : null,
        // what --per-gpu admission counted per candidate (the PyTorch estimate), and any refused as too large
        maxEstimateMB: Math.round(
          Math.max(0, ...(show.candidates ?? []).map((c) => c.estMemoryBytes ?? 0)) / 2 ** 20,
        ),
        oom: (show.candidates ?? []).filter((c) => c.status === 'oom').map((c) => c.reason),
        testDice: (show.tests ?? []).map((t) => ({ seq: t.seq, meanDice: t.meanDice })),
      },
    },
    null,
    1,
  ),
);
