/**
 * `npm run bench:search [-- --evaluations N] [--epochs N] [--json]`: runs `segnas demo` as a user
 * would (a child process, fresh workspace) and reports its wall time, trainings per hour, time per
 * training and the fraction of evaluations that were free (answered from the cache, illegal blocks,
 * predicted OOM), and how soon the search reaches a validation Dice of 0.7 (the demo's promise), in
 * wall time and in CPU time (the latter holds on a shared machine).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openStore } from '../main/store';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { evaluations: { type: 'string' }, epochs: { type: 'string' }, json: { type: 'boolean' } },
});

const workspace = mkdtempSync(join(tmpdir(), 'segnas-bench-search-'));
const args = ['demo', '--workspace', workspace];
if (values.evaluations) args.push('--evaluations', values.evaluations);
if (values.epochs) args.push('--epochs', values.epochs);

/** CPU seconds of this process's waited-for descendants (Linux /proc; the demo and its trainers). */
function childCpuSeconds(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // cutime and cstime are fields 16 and 17 of stat(5), counted from the state field (3).
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return Number.NaN;
  }
}

const startedAt = Date.now();
const start = performance.now();
const code = await new Promise<number | null>((res) => {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'segnas.mjs'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.on('data', (d) => {
    if (!values.json) process.stdout.write(d);
  });
  child.on('exit', res);
});
const wallSeconds = (performance.now() - start) / 1000;
const cpuSeconds = childCpuSeconds();
if (code !== 0) {
  rmSync(workspace, { recursive: true, force: true });
  throw new Error(`segnas demo exited with ${code}`);
}

const store = openStore(workspace);
const [experiment] = store.listExperiments();
const candidates = store.listCandidates(experiment.id, { curves: true });
const tests = store.listTestEvaluations(experiment.id);
store.close();
// The demo's workspace (phantoms, models, predictions) is only the benchmark's scratch space.
rmSync(workspace, { recursive: true, force: true });

const trained = candidates.filter((c) => c.status === 'trained' || c.status === 'failed');
const free = candidates.filter(
  (c) => c.status === 'cached' || c.status === 'illegal' || c.status === 'oom',
).length;
const trainingSeconds = trained.reduce(
  (s, c) => s + (c.endedAt ? (Date.parse(c.endedAt) - Date.parse(c.startedAt)) / 1000 : 0),
  0,
);
const epochs = trained.flatMap((c) => c.curve);
const good = candidates
  .filter((c) => (c.valDice ?? 0) >= 0.7 && c.endedAt)
  .map((c) => (Date.parse(c.endedAt as string) - startedAt) / 1000);
const secondsToDice07 = good.length > 0 ? Math.min(...good) : null;
const result = {
  machine: `${cpus().length}× ${cpus()[0]?.model ?? 'CPU'}`,
  backend: experiment.backend,
  evaluations: candidates.length,
  trainings: trained.length,
  counts: experiment.counts,
  freeFraction: free / candidates.length,
  wallSeconds,
  cpuSeconds,
  secondsToDice07,
  trainingsPerHour: (trained.length / wallSeconds) * 3600,
  secondsPerTraining: trainingSeconds / Math.max(trained.length, 1),
  secondsPerEpoch: epochs.reduce((s, e) => s + e.seconds, 0) / Math.max(epochs.length, 1),
  bestValDice: experiment.best?.valDice ?? null,
  testDice: tests.map((t) => ({ seq: t.seq, meanDice: t.meanDice })),
};

if (values.json) console.log(JSON.stringify(result, null, 1));
else
  console.log(
    [
      '',
      `segnas demo on ${result.machine}, backend ${result.backend}`,
      `  wall time            ${result.wallSeconds.toFixed(1)} s (phantoms, preprocessing, trainer start, search, test, report); CPU time ${result.cpuSeconds.toFixed(1)} s`,
      `  validation Dice 0.7  ${result.secondsToDice07 === null ? 'not reached' : `reached after ${result.secondsToDice07.toFixed(1)} s (wall time from the start)`}`,
      `  evaluations          ${result.evaluations} (${Object.entries(result.counts)
        .filter(([, v]) => v > 0)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')})`,
      `  free evaluations     ${(100 * result.freeFraction).toFixed(0)} % (cached, illegal, predicted OOM)`,
      `  trainings per hour   ${result.trainingsPerHour.toFixed(0)} (wall time), ${result.secondsPerTraining.toFixed(1)} s per training, ${result.secondsPerEpoch.toFixed(2)} s per epoch`,
      `  best validation Dice ${result.bestValDice?.toFixed(3) ?? '–'}; test Dice ${result.testDice.map((t) => `#${t.seq} ${t.meanDice.toFixed(3)}`).join(', ')}`,
    ].join('\n'),
  );
