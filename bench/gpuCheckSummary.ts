/**
 * Reads what bench/gpu-check.sh collected in its folder and prints one table of the figures that came back
 * (ms per step per precision beside a plain PyTorch step, time to the first step, candidates per hour with
 * --per-gpu 1/2/4, peak memory measured against the estimate), one line per step that failed, then the
 * same as JSON; writes both to summary.md and summary.json there. Exits 1 when a step failed.
 *
 * usage: node bin/run-ts.mjs bench/gpuCheckSummary.ts <gpu-check folder>
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type GpuCheckFiles, gpuCheckSummary, summaryTable } from './gpuCheckReport';

const dir = process.argv[2];
if (!dir || !existsSync(dir)) {
  console.error('usage: node bin/run-ts.mjs bench/gpuCheckSummary.ts <gpu-check folder>');
  process.exit(2);
}
const read = (name: string): unknown => {
  const file = join(dir, name);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return { error: `${file}: ${(e as Error).message}` };
  }
};
const files: GpuCheckFiles = {
  mode: read('mode.json'),
  devices: read('devices.json'),
  bench: read('bench.json'),
  startup: read('startup.json'),
  dataset: read('dataset.json'),
  searches: readdirSync(dir)
    .map((f) => /^show-per-gpu-(\d+)\.json$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({
      perGpu: Number(m[1]),
      show: read(m[0]),
      seconds: Number(readFileSync(join(dir, `search-per-gpu-${m[1]}.seconds`), 'utf8').trim() || Number.NaN),
    }))
    .sort((a, b) => a.perGpu - b.perGpu),
  failures: existsSync(join(dir, 'failures.txt'))
    ? readFileSync(join(dir, 'failures.txt'), 'utf8').split('\n').filter(Boolean)
    : [],
};
const summary = gpuCheckSummary(files);
const table = summaryTable(summary);
writeFileSync(join(dir, 'summary.md'), `${table}\n`);
writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 1)}\n`);
console.log(table);
console.log(JSON.stringify(summary, null, 1));
process.exit(summary.failures.length > 0 ? 1 : 0);
