/**
 * The experiment report: JSON (everything, for scripts), CSV (one row per candidate, for a spreadsheet)
 * and a Markdown summary (configuration, search curve data, best architecture, test Dice). The
 * formatting is pure; writeReport is the one function that touches the disk.
 */
import { join } from 'node:path';
import { describeProtocol } from '../core/datasetPlan';
import type { ArchitectureSpec } from '../core/spec';
import { describeSpec } from '../core/spec';
import { writeFileAtomic } from '../data/safeOutput';
import type { Candidate, Experiment, ExperimentStore, FinalTraining, TestEvaluation } from '../store';
import { writeJsonAtomic } from './jsonFiles';
import { methodsParagraph, methodsSection } from './methods';
import { meanStd } from './testEvaluation';

export interface CurvePoint {
  seq: number;
  status: string;
  valDice: number | null;
  /** Best validation Dice among the candidates up to and including this one (the paper's Fig. 3 envelope). */
  bestSoFar: number | null;
}

export interface SplitSummary {
  seq: number;
  /** Mean foreground test Dice per split, in split order. */
  perSplit: { split: number; meanDice: number }[];
  mean: number;
  std: number;
}

/** One final training beside its search-time test (both on split 0's test cases). */
export interface FinalSummary {
  seq: number;
  epochs: number;
  status: FinalTraining['status'];
  reason: string | null;
  /** Test Dice of the model the search trained (train cases only, the search's schedule). */
  searchTestDice: number | null;
  /** Test Dice of the final model (train + validation, the final schedule). */
  finalTestDice: number | null;
  perLabelDice: FinalTraining['perLabelDice'];
  paramCount: number | null;
  seconds: number | null;
}

export interface ExperimentReport {
  experiment: Omit<Experiment, 'owner' | 'heartbeatAt'>;
  counts: Record<string, number>;
  curve: CurvePoint[];
  best: {
    seq: number;
    valDice: number | null;
    spec: ArchitectureSpec;
    description: string;
    paramCount: number | null;
  } | null;
  tests: Omit<TestEvaluation, 'perSubject'>[];
  /** Candidates tested on several splits: mean ± std of their test Dice (paper Table 3). */
  acrossSplits: SplitSummary[];
  /** The final training of the winners, when run (docs/search.md, "Final training"). */
  finalTrainings: FinalSummary[];
  candidates: Candidate[];
  /** A Methods paragraph for a paper, generated from the record (cite METHOD_CITATION with it). */
  methods: string;
}

export function buildReport(
  experiment: Experiment,
  candidates: Candidate[],
  tests: TestEvaluation[],
  finals: readonly FinalTraining[] = [],
): ExperimentReport {
  const { owner: _o, heartbeatAt: _h, ...rest } = experiment;
  const counts: Record<string, number> = {};
  for (const c of candidates) counts[c.status] = (counts[c.status] ?? 0) + 1;
  let bestSoFar: number | null = null;
  const curve = [...candidates]
    .sort((a, b) => a.seq - b.seq)
    .map((c) => {
      if (c.status === 'trained' || c.status === 'cached')
        if (c.valDice !== null && (bestSoFar === null || c.valDice > bestSoFar)) bestSoFar = c.valDice;
      return { seq: c.seq, status: c.status, valDice: c.valDice, bestSoFar };
    });
  const bestRow = experiment.best ? candidates.find((c) => c.seq === experiment.best?.seq) : undefined;
  const bySeq = new Map<number, TestEvaluation[]>();
  for (const t of tests) bySeq.set(t.seq, [...(bySeq.get(t.seq) ?? []), t]);
  const acrossSplits = [...bySeq.entries()]
    .filter(([, ts]) => ts.length > 1)
    .map(([seq, ts]) => {
      const sorted = [...ts].sort((a, b) => a.split - b.split);
      const { mean, std } = meanStd(sorted.map((t) => t.meanDice));
      return { seq, perSplit: sorted.map((t) => ({ split: t.split, meanDice: t.meanDice })), mean, std };
    });
  return {
    experiment: rest,
    counts,
    curve,
    best: bestRow
      ? {
          seq: bestRow.seq,
          valDice: bestRow.valDice,
          spec: bestRow.spec,
          description: describeSpec(bestRow.spec),
          paramCount: bestRow.paramCount,
        }
      : null,
    tests: tests.map(({ perSubject: _p, ...t }) => t),
    acrossSplits,
    finalTrainings: finals.map((f) => ({
      seq: f.seq,
      epochs: f.epochs,
      status: f.status,
      reason: f.reason,
      searchTestDice: tests.find((t) => t.seq === f.seq && t.split === 0)?.meanDice ?? null,
      finalTestDice: f.meanDice,
      perLabelDice: f.perLabelDice,
      paramCount: f.paramCount,
      seconds: f.seconds,
    })),
    candidates,
    methods: methodsParagraph(experiment, candidates, tests),
  };
}

const CSV_COLUMNS = [
  'seq',
  'status',
  'f',
  'valDice',
  'key',
  'n',
  'p',
  'sup',
  'res',
  'nodes',
  'ops',
  'paramCount',
  'estMemoryMB',
  'peakMemoryMB',
  'device',
  'seconds',
  'reason',
  'x',
  'perLabelDice',
] as const;

function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'string' ? value : String(value);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const mebibytes = (bytes: number | null) => (bytes === null ? null : (bytes / 2 ** 20).toFixed(1));

export function candidatesCsv(candidates: readonly Candidate[]): string {
  const rows = candidates.map((c) => {
    const seconds = c.endedAt ? (Date.parse(c.endedAt) - Date.parse(c.startedAt)) / 1000 : null;
    const row: Record<(typeof CSV_COLUMNS)[number], unknown> = {
      seq: c.seq,
      status: c.status,
      f: c.f,
      valDice: c.valDice,
      key: c.key,
      n: c.spec.n,
      p: c.spec.p,
      sup: c.spec.sup ? 1 : 0,
      res: c.spec.res ? 1 : 0,
      nodes: c.spec.block.nodes,
      ops: c.spec.block.ops.join(' '),
      paramCount: c.paramCount,
      estMemoryMB: mebibytes(c.estMemoryBytes),
      peakMemoryMB: mebibytes(c.peakMemoryBytes),
      device: c.device,
      seconds,
      reason: c.reason,
      x: c.x.join(' '),
      perLabelDice: c.perLabelDice ? JSON.stringify(c.perLabelDice) : null,
    };
    return CSV_COLUMNS.map((k) => csvField(row[k])).join(',');
  });
  return `${[CSV_COLUMNS.join(','), ...rows].join('\n')}\n`;
}

const fmt = (v: number | null | undefined, digits = 3) =>
  v === null || v === undefined ? '–' : v.toFixed(digits);

export function summaryMarkdown(r: ExperimentReport): string {
  const e = r.experiment;
  const lines: string[] = [];
  lines.push(`# ${e.name} (experiment ${e.id})`, '');
  lines.push(
    `Status: **${e.status}**${e.statusReason ? ` (${e.statusReason})` : ''}. Created ${e.createdAt}.`,
    '',
  );
  lines.push('## Configuration', '');
  lines.push(`- Dataset: \`${e.config.datasetPath}\` (fingerprint ${e.datasetFingerprint})`);
  lines.push(`- Variant: ${e.config.variant}; budget ${e.config.budget.evaluations} evaluations`);
  lines.push(`- Protocol: ${describeProtocol(e.config.training)}`);
  lines.push(`- Training: ${JSON.stringify(e.config.training)}`);
  lines.push(
    `- Seeds: ${JSON.stringify(e.seeds)}; ${e.splits.length} split(s), split 0 has ${e.splits[0]?.train.length ?? 0} train / ${e.splits[0]?.validation.length ?? 0} validation / ${e.splits[0]?.test.length ?? 0} test cases`,
  );
  lines.push(`- Backend: ${e.backend} (${e.device}); SegNAS Studio ${e.softwareVersion}`);
  lines.push(`- Search space: \`${JSON.stringify(e.config.space)}\``, '');
  lines.push('## Search', '');
  lines.push(
    `${r.candidates.length} evaluations: ${Object.entries(r.counts)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}.`,
    '',
  );
  lines.push(
    'Search curve (validation Dice of each evaluation and the best so far; illegal/OOM/failed have none):',
    '',
  );
  lines.push('| seq | status | val Dice | best so far |', '|---:|---|---:|---:|');
  for (const p of r.curve) lines.push(`| ${p.seq} | ${p.status} | ${fmt(p.valDice)} | ${fmt(p.bestSoFar)} |`);
  lines.push('');
  lines.push('## Best architecture', '');
  if (r.best)
    lines.push(
      `Candidate ${r.best.seq}: ${r.best.description}; validation Dice ${fmt(r.best.valDice)}; ${r.best.paramCount ?? '?'} parameters.`,
      '',
      '```json',
      JSON.stringify(r.best.spec),
      '```',
      '',
    );
  else lines.push('No candidate was trained successfully.', '');
  lines.push('## Test Dice (held-out test cases, original image geometry)', '');
  if (r.tests.length === 0) lines.push('Not evaluated yet (`segnas evaluate <id>`).', '');
  else {
    const labels = Object.keys(r.tests[0].perLabelDice);
    lines.push(
      `| candidate | split | mean | ${labels.join(' | ')} |`,
      `|---:|---:|---:|${labels.map(() => '---:|').join('')}`,
    );
    for (const t of r.tests)
      lines.push(
        `| ${t.seq} | ${t.split} | ${fmt(t.meanDice)} | ${labels.map((l) => fmt(t.perLabelDice[l])).join(' | ')} |`,
      );
    lines.push('');
    for (const s of r.acrossSplits)
      lines.push(
        `Candidate ${s.seq} over ${s.perSplit.length} splits: test Dice ${fmt(s.mean)} ± ${fmt(s.std)} (mean ± std).`,
      );
    if (r.acrossSplits.length) lines.push('');
  }
  if (r.finalTrainings.length > 0) {
    lines.push('## Final training (train + validation, polynomial learning-rate decay)', '');
    lines.push(
      "Each architecture retrained from scratch on the search split's train and validation cases, then tested on the same test cases as above.",
      '',
    );
    const labels = Object.keys(r.finalTrainings.find((f) => f.perLabelDice)?.perLabelDice ?? {});
    lines.push(
      `| candidate | epochs | status | search test Dice | final test Dice | ${labels.join(' | ')}${labels.length ? ' | ' : ''}training time |`,
      `|---:|---:|---|---:|---:|${labels.map(() => '---:|').join('')}---:|`,
    );
    for (const f of r.finalTrainings)
      lines.push(
        `| ${f.seq} | ${f.epochs} | ${f.status}${f.reason ? ` (${f.reason})` : ''} | ${fmt(f.searchTestDice)} | ${fmt(f.finalTestDice)} | ${labels.map((l) => `${fmt(f.perLabelDice?.[l])} | `).join('')}${f.seconds === null ? '–' : `${f.seconds.toFixed(0)} s`} |`,
      );
    lines.push('');
  }
  lines.push(methodsSection(r.methods));
  return `${lines.join('\n')}\n`;
}

export interface WrittenReport {
  dir: string;
  files: string[];
  report: ExperimentReport;
}

/** Writes report.json, candidates.csv and summary.md into `dir` and records them as the experiment's report artifact. */
export async function writeReport(
  store: ExperimentStore,
  experimentId: number,
  dir: string,
): Promise<WrittenReport> {
  const experiment = store.getExperiment(experimentId);
  if (!experiment) throw new Error(`there is no experiment ${experimentId} in ${store.workspaceDir}`);
  const candidates = store.listCandidates(experimentId);
  const report = buildReport(
    experiment,
    candidates,
    store.listTestEvaluations(experimentId),
    store.listFinalTrainings(experimentId),
  );
  const files = [join(dir, 'report.json'), join(dir, 'candidates.csv'), join(dir, 'summary.md')];
  await writeJsonAtomic(files[0], report);
  await writeFileAtomic(files[1], candidatesCsv(candidates));
  await writeFileAtomic(files[2], summaryMarkdown(report));
  const known = new Set(store.listArtifacts(experimentId, { kind: 'report' }).map((a) => a.path));
  for (const f of files) if (!known.has(f)) store.addArtifact({ experimentId, kind: 'report', path: f });
  return { dir, files, report };
}
