/**
 * `npm run bench:data`: time and peak memory to discover, load and preprocess all hippocampus cases
 * at S = 32 and S = 64 (outputs kept in memory, as a training run holds them).
 * Usage: npm run bench:data [-- <dataset dir>]   (default ../shared/data/hippocampus)
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { discoverDataset, loadCase } from '../main/data/discover';
import { invertToOriginal, type PreprocessedCase, preprocessCase } from '../main/data/preprocess';
import type { NiftiVolume } from '../main/data/volume';
import { labelValueDice as dice } from '../main/train/metrics';

const MB = 1024 * 1024;
const dir = resolve(
  process.argv[2] ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../shared/data/hippocampus'),
);
if (!existsSync(dir)) {
  console.error(
    `bench:data: dataset not found at ${dir} (expected ../shared/data/hippocampus from the repo root)`,
  );
  process.exit(1);
}

interface Row {
  step: string;
  seconds: number;
  peakHeapMB: number;
  peakRssMB: number;
}
const rows: Row[] = [];
let peakHeap = 0;
const sample = () => {
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers);
};

async function step<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  globalThis.gc?.();
  peakHeap = 0;
  sample();
  const t0 = performance.now();
  const result = await fn();
  const seconds = (performance.now() - t0) / 1000;
  sample();
  rows.push({
    step: name,
    seconds,
    peakHeapMB: peakHeap / MB,
    peakRssMB: (process.resourceUsage().maxRSS * 1024) / MB,
  });
  return result;
}

const report = await step('discover + validate', () => discoverDataset(dir));
const cases = await step('load all volumes', async () => {
  const out: { image: NiftiVolume[]; label: NiftiVolume }[] = [];
  for (const c of report.cases.filter((x) => x.usable)) {
    out.push(await loadCase(c));
    sample();
  }
  return out;
});
const roundTrips: string[] = [];
for (const S of [32, 64]) {
  const kept = await step(`preprocess ${cases.length} cases at ${S}³`, () => {
    const out: PreprocessedCase[] = [];
    for (const c of cases) {
      out.push(preprocessCase(c.image, c.label, { size: S, mapping: report.labelMapping }));
      sample();
    }
    return out;
  });
  // Label round trip S³ → original grid: how much of each structure survives the resize (per-label Dice).
  const t0 = performance.now();
  const labelsK = report.labelMapping.values.slice(1);
  const dices = labelsK.map(() => [] as number[]);
  kept.forEach((p, i) => {
    const back = invertToOriginal(p.label!, p.transform, report.labelMapping);
    labelsK.forEach((v, j) => {
      dices[j].push(dice(back.data, cases[i].label.data, v));
    });
  });
  const secs = (performance.now() - t0) / 1000;
  labelsK.forEach((_, j) => {
    const d = dices[j];
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    roundTrips.push(
      `${String(S).padStart(3)}³  ${report.labelMapping.names[j + 1].padEnd(12)} mean ${mean.toFixed(3)}  min ${Math.min(...d).toFixed(3)}`,
    );
  });
  roundTrips.push(
    `${String(S).padStart(3)}³  (export of ${kept.length} label maps back to original grids: ${secs.toFixed(2)} s)`,
  );
}

console.log(`dataset ${dir}: ${report.cases.length} cases, ${report.usableCaseIds.length} usable`);
console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
console.log('step                              time (s)   peak heap+buffers (MB)   peak RSS so far (MB)');
for (const r of rows) {
  console.log(
    `${r.step.padEnd(34)}${r.seconds.toFixed(2).padStart(8)}${r.peakHeapMB.toFixed(0).padStart(25)}${r.peakRssMB.toFixed(0).padStart(23)}`,
  );
}
console.log(
  '\nlabel round trip (preprocess → invertToOriginal), per-label Dice against the original label map:',
);
for (const line of roundTrips) console.log(`  ${line}`);
