/** `segnas show <id>`: one experiment: configuration, progress, best candidates, test Dice, files. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describeResolvedBackend } from '../../core/backendKey';
import { describeProtocol } from '../../core/datasetPlan';
import { formatBytes, printable } from '../../core/format';
import { learningDiagnosis } from '../../core/learningDiagnosis';
import { describeSpec } from '../../core/spec';
import { type CandidateStatus, type ExperimentStatus, shownCandidateStatus } from '../../core/status';
import { modelsDirOf, reportDirOf } from '../../search/afterSearch';
import { markInterrupted } from '../../search/resume';
import { openStore } from '../../store';
import type { CandidateJob } from '../../store/types';
import { ONNX_FILE, PREPROCESSING_FILE } from '../../train/onnx/portableModel';
import { defineCommand, experimentIdArg, intOption } from '../command';

function diagnosisSuffix(curve: Parameters<typeof learningDiagnosis>[0]): string {
  const diagnosis = learningDiagnosis(curve);
  return diagnosis ? ` ${diagnosis}` : '';
}

function peakSuffix(bytes: number | null): string {
  return bytes === null ? '' : `, ${formatBytes(bytes)} peak`;
}

/** The counts by the state each row shows: an unfinished row of a search that is not running is not training. */
function shownCounts(counts: Record<string, number>, experiment: ExperimentStatus): Record<string, number> {
  const shown: Record<string, number> = {};
  for (const [status, n] of Object.entries(counts)) {
    const as = shownCandidateStatus(status as CandidateStatus, experiment);
    shown[as] = (shown[as] ?? 0) + n;
  }
  return shown;
}

/** "12 trained, 3 illegal, 1 oom": the candidates by status, in words rather than a JSON object. */
export function countsLine(counts: Record<string, number>): string {
  const parts = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`);
  return parts.length ? parts.join(', ') : 'none yet';
}

/** "32³, 10 epochs, batch 1, learning rate 0.001, augmentation on, dropout 0.1, seed 1". */
export function trainingLine(t: Record<string, unknown>): string {
  const named: Record<string, (v: unknown) => string> = {
    // Under the native protocol `size` is the patch's shortest side; the patch itself is on the protocol line.
    size: (v) => (t.protocol === 'native' ? `patch side ≥ ${v}` : `${v}³`),
    protocol: () => '',
    epochs: (v) => `${v} epochs`,
    batch: (v) => `batch ${v}`,
    learningRate: (v) => `learning rate ${v}`,
    augmentation: (v) => `augmentation ${v ? 'on' : 'off'}`,
  };
  return Object.entries(t)
    .filter(([, v]) => v !== undefined && v !== null && typeof v !== 'object')
    .map(([k, v]) => named[k]?.(v) ?? `${k} ${v}`)
    .filter((part) => part !== '')
    .join(', ');
}

/** The Slurm jobs the store records for the experiment's candidates (empty where it ran locally). */
function slurmJobLines(jobs: readonly CandidateJob[]): string[] {
  if (jobs.length === 0) return [];
  return [
    `Slurm jobs (${jobs.length}; sacct -j <id> tells more):`,
    ...jobs.map(
      (j) =>
        `  #${j.seq}  job ${j.jobId ?? '(being submitted)'}  ${j.state}${j.node ? ` on ${j.node}` : ''}${j.attempts > 1 ? `, ${j.attempts} submissions` : ''}`,
    ),
    '',
  ];
}

/**
 * The kept models and their files for use outside the app (docs/engines.md): model.onnx and
 * preprocessing.json beside model.json; a folder from before them gets both from `segnas bundle`.
 */
function keptModelLines(workspace: string, id: number): string[] {
  const dir = modelsDirOf(workspace, id);
  if (!existsSync(dir)) return [];
  const kept = readdirSync(dir)
    .filter((name) => /^\d+(-split\d+)?$/.test(name) && existsSync(join(dir, name, 'model.json')))
    .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10) || a.localeCompare(b));
  if (kept.length === 0) return [];
  return [
    'kept models (model.onnx: input image [N, C, D, H, W], output probabilities; preprocessing.json says how to feed it):',
    ...kept.map((name) => {
      const onnx = join(dir, name, ONNX_FILE);
      return existsSync(onnx)
        ? `  #${name}  ${onnx}${existsSync(join(dir, name, PREPROCESSING_FILE)) ? '' : ' (no preprocessing.json yet: segnas bundle adds it)'}`
        : `  #${name}  ${join(dir, name)} (no model.onnx yet: segnas bundle adds it)`;
    }),
    '',
  ];
}

export const { run } = defineCommand({
  name: 'show',
  usage: 'segnas show <id> [--json] [--top N] [--workspace DIR]',
  description: `Shows experiment <id>: status, configuration, the best candidates (validation Dice), test Dice (of
the search's models and, after a final training, of the final models), and where its report, kept models
(with model.onnx, for use outside the app) and predictions are.`,
  options: {
    json: {
      type: 'boolean',
      help: 'everything as one JSON object: experiment, candidates (with curves), tests, finalTrainings, artifacts (final models have meta.final)',
    },
    top: { type: 'string', arg: 'N', help: 'candidates listed (default 10)' },
  },
  positionals: true,
  workspace: true,
  action({ values, positionals }) {
    const id = experimentIdArg(positionals);
    const limit = intOption('top', values.top, 10);
    const store = openStore(values.workspace);
    try {
      markInterrupted(store);
      const experiment = store.getExperiment(id);
      if (!experiment)
        throw new Error(`there is no experiment ${id} in ${store.workspaceDir} (segnas list shows them)`);
      const tests = store.listTestEvaluations(id);
      const finals = store.listFinalTrainings(id);
      if (values.json) {
        console.log(
          JSON.stringify(
            {
              experiment,
              candidates: store.listCandidates(id),
              tests,
              finalTrainings: finals,
              artifacts: store.listArtifacts(id),
            },
            null,
            1,
          ),
        );
        return 0;
      }
      const summary = store.listExperiments().find((s) => s.id === id);
      // With curves: a candidate that never learned says so (learningDiagnosis reads the curve).
      const top = store.listCandidates(id, { status: ['trained'], sortBy: 'f', limit });
      const lines = [
        `experiment ${id}: ${printable(experiment.name)}`,
        `status ${experiment.status}${experiment.statusReason ? ` (${printable(experiment.statusReason)})` : ''}; ${(summary?.total ?? 0) - (summary?.counts.running ?? 0)}/${experiment.config.budget.evaluations} evaluations (${countsLine(shownCounts(summary?.counts ?? {}, experiment.status))})`,
        `dataset ${printable(experiment.config.datasetPath)}; variant ${experiment.config.variant}; backend ${describeResolvedBackend(experiment.backend, experiment.config.extra)} (${experiment.device})`,
        `protocol ${describeProtocol(experiment.config.training)}`,
        `training ${trainingLine(experiment.config.training)}; seeds ${Object.entries(experiment.seeds)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
        '',
        'best candidates (validation Dice):',
        ...top.map(
          (c) =>
            `  #${c.seq}  ${c.valDice?.toFixed(3)}${diagnosisSuffix(c.curve)}  ${c.paramCount ?? '?'} params${peakSuffix(c.peakMemoryBytes)}  ${describeSpec(c.spec)}`,
        ),
        '',
        tests.length ? 'test Dice:' : `not tested yet: segnas evaluate ${id}`,
        ...tests.map(
          (t) =>
            `  #${t.seq} split ${t.split}: ${t.meanDice.toFixed(3)}  ${Object.entries(t.perLabelDice)
              .map(([k, v]) => `${k} ${v.toFixed(3)}`)
              .join(', ')}`,
        ),
        ...(finals.length
          ? [
              '',
              'final training (train + validation, poly learning-rate decay; search test Dice → final test Dice):',
              ...finals.map((f) => {
                const search = tests.find((t) => t.seq === f.seq && t.split === 0)?.meanDice;
                const dice = f.meanDice === null ? f.status : f.meanDice.toFixed(3);
                return `  #${f.seq} ${f.epochs} epochs: ${search?.toFixed(3) ?? '–'} → ${dice}${f.reason ? ` (${f.reason})` : ''}`;
              }),
            ]
          : tests.length && experiment.status === 'finished'
            ? [
                '',
                `no final training: segnas evaluate ${id} --final-epochs E retrains the best from scratch on train + validation (the network to use; docs/search.md)`,
              ]
            : []),
        '',
        ...slurmJobLines(store.listCandidateJobs(id)),
        ...keptModelLines(store.workspaceDir, id),
        `report: ${reportDirOf(store.workspaceDir, id)}`,
      ];
      if (['interrupted', 'paused', 'stopped', 'failed'].includes(experiment.status))
        lines.push(`continue with: segnas resume ${id}`);
      console.log(lines.join('\n'));
      return 0;
    } finally {
      store.close();
    }
  },
});
