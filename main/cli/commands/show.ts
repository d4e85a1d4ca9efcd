/** `segnas show <id>`: one experiment: configuration, progress, best candidates, test Dice, files. */
import { parseArgs } from 'node:util';
import { reportDirOf } from '../../search/afterSearch';
import { describeSpec } from '../../search/report';
import { markInterrupted } from '../../search/resume';
import { openStore } from '../../store';
import { experimentIdArg, WORKSPACE_HELP } from '../searchSession';

const HELP = `usage: segnas show <id> [--json] [--top N] [--workspace DIR]

Shows experiment <id>: status, configuration, the best candidates (validation Dice), test Dice, and
where its report, models and predictions are.

  --json           everything as one JSON object: experiment, candidates (with curves), tests, artifacts
  --top N          candidates listed (default 10)
${WORKSPACE_HELP}
  --help           this text`;

export async function run(argv: string[]): Promise<number> {
  let id: number;
  let values: { json?: boolean; top?: string; workspace?: string; help?: boolean };
  try {
    const parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        top: { type: 'string' },
        workspace: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    values = parsed.values;
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    id = experimentIdArg(parsed.positionals, 'show');
  } catch (e) {
    console.error(`segnas show: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const store = openStore(values.workspace);
  try {
    markInterrupted(store);
    const experiment = store.getExperiment(id);
    if (!experiment) {
      console.error(
        `segnas show: there is no experiment ${id} in ${store.workspaceDir} (segnas list shows them)`,
      );
      return 1;
    }
    const tests = store.listTestEvaluations(id);
    if (values.json) {
      console.log(
        JSON.stringify(
          { experiment, candidates: store.listCandidates(id), tests, artifacts: store.listArtifacts(id) },
          null,
          1,
        ),
      );
      return 0;
    }
    const summary = store.listExperiments().find((s) => s.id === id);
    const top = store.listCandidates(id, {
      status: ['trained'],
      sortBy: 'f',
      limit: Number(values.top ?? 10),
      curves: false,
    });
    const lines = [
      `experiment ${id}: ${experiment.name}`,
      `status ${experiment.status}${experiment.statusReason ? ` (${experiment.statusReason})` : ''}; ${summary?.total ?? 0}/${experiment.config.budget.evaluations} evaluations ${JSON.stringify(summary?.counts ?? {})}`,
      `dataset ${experiment.config.datasetPath}; variant ${experiment.config.variant}; backend ${experiment.backend} (${experiment.device})`,
      `training ${JSON.stringify(experiment.config.training)}; seeds ${JSON.stringify(experiment.seeds)}`,
      '',
      'best candidates (validation Dice):',
      ...top.map(
        (c) =>
          `  #${c.seq}  ${c.valDice?.toFixed(3)}  ${c.paramCount ?? '?'} params  ${describeSpec(c.spec)}`,
      ),
      '',
      tests.length ? 'test Dice:' : `not tested yet: segnas evaluate ${id}`,
      ...tests.map(
        (t) =>
          `  #${t.seq} split ${t.split}: ${t.meanDice.toFixed(3)}  ${Object.entries(t.perLabelDice)
            .map(([k, v]) => `${k} ${v.toFixed(3)}`)
            .join(', ')}`,
      ),
      '',
      `report: ${reportDirOf(store.workspaceDir, id)}`,
    ];
    if (['interrupted', 'paused', 'stopped', 'failed'].includes(experiment.status))
      lines.push(`continue with: segnas resume ${id}`);
    console.log(lines.join('\n'));
    return 0;
  } finally {
    store.close();
  }
}
