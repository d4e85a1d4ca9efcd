/**
 * The GPU check's figures from the files bench/gpu-check.sh wrote, and the one table they are printed as.
 * Pure: every input may be missing or malformed (a step that failed), and then its part of the summary is
 * empty and the failure is listed, never an exception that loses the other figures.
 */
import { formatBytes } from '../main/core/format';
import type { ArchitectureSpec } from '../main/core/spec';
import { estimateTorchTrainingBytes, torchPrecision } from '../main/train/torchMemoryEstimate';

export interface GpuCheckFiles {
  mode: unknown;
  devices: unknown;
  bench: unknown;
  startup: unknown;
  dataset: unknown;
  searches: { perGpu: number; show: unknown; seconds: number }[];
  failures: string[];
}

export interface StepRow {
  network: string;
  size: number;
  batch: number;
  precision: string;
  channelsLast: boolean;
  msPerStep: number | null;
  plainMsPerStep: number | null;
  /** Ours over the plain PyTorch step of the same network: what our step adds. */
  ratioToPlain: number | null;
  peakMB: number | null;
  estimateMB: number | null;
}

export interface SearchRow {
  perGpu: number;
  candidates: number;
  trained: number;
  oom: number;
  seconds: number;
  candidatesPerHour: number | null;
  /** Trained candidates whose measured peak exceeded the estimate admission used. */
  overEstimate: number;
  /** Largest measured/estimated peak ratio over the trained candidates. */
  maxPeakRatio: number | null;
  medianFirstEpochSeconds: number | null;
}

export interface GpuCheckSummary {
  mode: string;
  device: string;
  dataset: string | null;
  step: StepRow[];
  stepErrors: string[];
  firstStepSeconds: (number | null)[];
  search: SearchRow[];
  failures: string[];
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const round = (v: number | null, digits = 1) =>
  v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits;

function specName(spec: Obj): string {
  const block = obj(spec.block);
  return `n=${spec.n} p=${spec.p}${spec.res ? ' res' : ''}${spec.sup ? ' sup' : ''} ${block.nodes} nodes`;
}

function stepRows(bench: Obj): { rows: StepRow[]; errors: string[] } {
  const runs = arr(bench.pytorch).map(obj);
  const errors = runs.filter((r) => typeof r.error === 'string').map((r) => `${r.args}: ${r.error}`);
  const ok = runs.filter((r) => r.error === undefined && num(r.msPerStep) !== null);
  const key = (r: Obj) => JSON.stringify([r.spec, r.size, r.batch, r.classes, r.precision, r.channelsLast]);
  const rows: StepRow[] = [];
  for (const ours of ok.filter((r) => !String(r.engine).includes('plain'))) {
    const plain = ok.find((r) => String(r.engine).includes('plain') && key(r) === key(ours));
    const spec = obj(ours.spec) as unknown as ArchitectureSpec;
    const ms = num(ours.msPerStep);
    const plainMs = plain ? num(plain.msPerStep) : null;
    let estimateMB: number | null = null;
    try {
      estimateMB =
        estimateTorchTrainingBytes(spec, {
          classes: Number(ours.classes),
          size: Number(ours.size),
          batch: Number(ours.batch),
          device: 'cuda',
          ...(torchPrecision(ours.precision) && { precision: torchPrecision(ours.precision) }),
        }) /
        2 ** 20;
    } catch {
      estimateMB = null;
    }
    rows.push({
      network: `${specName(obj(ours.spec))}, K=${ours.classes}`,
      size: Number(ours.size),
      batch: Number(ours.batch),
      precision: `${ours.precision}${ours.tf32 ? ' (TF32)' : ''}`,
      channelsLast: ours.channelsLast === true,
      msPerStep: round(ms),
      plainMsPerStep: round(plainMs),
      ratioToPlain: ms !== null && plainMs ? round(ms / plainMs, 2) : null,
      peakMB: round(num(ours.peakMB), 0),
      estimateMB: round(estimateMB, 0),
    });
  }
  return { rows, errors };
}

function searchRow(perGpu: number, show: Obj, seconds: number): SearchRow {
  const candidates = arr(show.candidates).map(obj);
  const trained = candidates.filter((c) => c.status === 'trained');
  const ratios = trained
    .map((c) => {
      const peak = num(c.peakMemoryBytes);
      const est = num(c.estMemoryBytes);
      return peak !== null && est ? peak / est : null;
    })
    .filter((r): r is number => r !== null);
  const firstEpochs = trained
    .map((c) => num(obj(arr(c.curve)[0]).seconds))
    .filter((s): s is number => s !== null)
    .sort((a, b) => a - b);
  return {
    perGpu,
    candidates: candidates.length,
    trained: trained.length,
    oom: candidates.filter((c) => c.status === 'oom').length,
    seconds,
    candidatesPerHour: seconds > 0 ? Math.round((trained.length / seconds) * 3600) : null,
    overEstimate: ratios.filter((r) => r > 1).length,
    maxPeakRatio: ratios.length > 0 ? round(Math.max(...ratios), 2) : null,
    medianFirstEpochSeconds: firstEpochs.length > 0 ? round(firstEpochs[firstEpochs.length >> 1], 2) : null,
  };
}

function deviceName(devices: Obj, mode: string): string {
  const list = arr(devices.devices).map(obj);
  const cuda = list.find((d) => d.kind === 'cuda' && d.usable === true);
  if (cuda) return `${cuda.name} (${formatBytes(num(cuda.totalBytes))}, ${cuda.version ?? ''})`;
  const cpu = list.find((d) => d.engine === 'pytorch' && d.kind === 'cpu' && d.usable === true);
  return cpu ? `CPU ${cpu.name ?? ''} (${cpu.version ?? ''})` : mode === 'gpu' ? 'no CUDA device' : 'CPU';
}

export function gpuCheckSummary(files: GpuCheckFiles): GpuCheckSummary {
  const mode = String(obj(files.mode).mode ?? 'gpu');
  const { rows, errors } = stepRows(obj(files.bench));
  const failures = [...files.failures];
  if (files.bench !== undefined && rows.length === 0 && errors.length === 0)
    failures.push('step: bench.json holds no step figures');
  for (const e of errors) failures.push(`step: ${e}`);
  const startup = arr(obj(files.startup).startup).map((r) => round(num(obj(r).firstStepSeconds), 3));
  const search = files.searches
    .filter((s) => arr(obj(s.show).candidates).length > 0)
    .map((s) => searchRow(s.perGpu, obj(s.show), s.seconds));
  for (const s of search)
    if (s.trained === 0) failures.push(`search --per-gpu ${s.perGpu}: no candidate trained`);
  const dataset = obj(files.dataset).dataset;
  return {
    mode,
    device: deviceName(obj(files.devices), mode),
    dataset: typeof dataset === 'string' ? dataset : null,
    step: rows,
    stepErrors: errors,
    firstStepSeconds: startup,
    search,
    failures,
  };
}

const cell = (v: number | string | null | boolean) => (v === null ? '–' : String(v));

/** The one table the check prints (Markdown, so it goes into docs/engines.md as it is). */
export function summaryTable(s: GpuCheckSummary): string {
  const lines = [`GPU check (${s.mode}) on ${s.device}`, ''];
  lines.push(
    '| training step | size | batch | precision | channels_last | ms/step | plain PyTorch ms/step | ratio | peak MB | estimate MB |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const r of s.step)
    lines.push(
      `| ${r.network} | ${r.size}³ | ${r.batch} | ${r.precision} | ${r.channelsLast ? 'yes' : 'no'} | ${cell(r.msPerStep)} | ${cell(r.plainMsPerStep)} | ${cell(r.ratioToPlain)} | ${cell(r.peakMB)} | ${cell(r.estimateMB)} |`,
    );
  if (s.step.length === 0) lines.push('| (no figures) | | | | | | | | | |');
  lines.push(
    '',
    `Time from job start to the first step, candidates 1–${s.firstStepSeconds.length} on one trainer: ${
      s.firstStepSeconds.length > 0 ? s.firstStepSeconds.map((v) => `${cell(v)} s`).join(', ') : '–'
    }`,
    '',
    `| search (SegNAS4, ${s.dataset ?? 'no dataset'}) --per-gpu | candidates | trained | oom | seconds | candidates/hour | median first epoch s | peak > estimate | max peak/estimate |`,
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const r of s.search)
    lines.push(
      `| ${r.perGpu} | ${r.candidates} | ${r.trained} | ${r.oom} | ${r.seconds} | ${cell(r.candidatesPerHour)} | ${cell(r.medianFirstEpochSeconds)} | ${r.overEstimate} | ${cell(r.maxPeakRatio)} |`,
    );
  if (s.search.length === 0) lines.push('| (no figures) | | | | | | | | |');
  lines.push('', s.failures.length === 0 ? 'Failures: none' : 'Failures:');
  for (const f of s.failures) lines.push(`- ${f}`);
  return lines.join('\n');
}
