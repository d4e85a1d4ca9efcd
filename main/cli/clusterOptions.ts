/** `segnas search`'s options for training the candidates on a Slurm cluster (docs/cluster.md). */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ClusterSettings, clusterSettingsSchema } from '../core/searchConfig';
import { intOption, type OptionValues, UsageError } from './command';

export const CLUSTER_OPTIONS = {
  executor: {
    type: 'string',
    arg: 'NAME',
    help: 'where candidates train: local (this machine, default) or slurm (one batch job each)',
  },
  partition: { type: 'string', arg: 'NAME', help: "slurm: partition of the jobs (default: the cluster's)" },
  account: { type: 'string', arg: 'NAME', help: 'slurm: account charged' },
  qos: { type: 'string', arg: 'NAME', help: 'slurm: quality of service' },
  gres: { type: 'string', arg: 'SPEC', help: 'slurm: generic resources per job, e.g. gpu:1' },
  'gpus-per-task': { type: 'string', arg: 'N', help: 'slurm: --gpus-per-task of each job' },
  cpus: { type: 'string', arg: 'N', help: 'slurm: CPUs per job' },
  mem: { type: 'string', arg: 'SIZE', help: 'slurm: memory per job, e.g. 16G' },
  time: { type: 'string', arg: 'LIMIT', help: 'slurm: time limit per job, e.g. 2:00:00' },
  'max-jobs': { type: 'string', arg: 'N', help: 'slurm: jobs queued or running at once (default 4)' },
  ssh: {
    type: 'string',
    arg: 'USER@HOST',
    help: `slurm: submit through this login node (one reused connection, your ~/.ssh keys
and config); the workspace must be on a filesystem both see at the same path`,
  },
  'sbatch-line': {
    type: 'string',
    multiple: true,
    arg: 'OPTION',
    help: 'slurm: an extra #SBATCH option, e.g. --constraint=a100 (repeatable)',
  },
  'setup-script': {
    type: 'string',
    arg: 'FILE',
    help: `slurm: a shell file on the shared filesystem each job sources first (modules,
conda/venv activation; may export SEGNAS_NODE or SEGNAS_PYTHON)`,
  },
  'requeue-limit': {
    type: 'string',
    arg: 'N',
    help: 'slurm: resubmissions after preemption, time limit or a silent job (default 3)',
  },
  'heartbeat-grace': {
    type: 'string',
    arg: 'S',
    help: 'slurm: seconds a running job may stay silent before it is resubmitted (default 300)',
  },
} as const;

type Values = OptionValues<typeof CLUSTER_OPTIONS>;

const OPTION_OF: Record<string, string> = {
  gpusPerTask: 'gpus-per-task',
  maxJobs: 'max-jobs',
  sbatchLines: 'sbatch-line',
  setupScript: 'setup-script',
  requeueLimit: 'requeue-limit',
  heartbeatGraceS: 'heartbeat-grace',
};

const SLURM_ONLY = Object.keys(CLUSTER_OPTIONS).filter((k) => k !== 'executor') as (keyof Values)[];

/** The cluster settings an invocation asks for; undefined to train on this machine. */
export function clusterSettings(values: Values): ClusterSettings | undefined {
  const executor = values.executor ?? 'local';
  if (executor === 'local') {
    const given = SLURM_ONLY.filter((k) => values[k] !== undefined);
    if (given.length > 0)
      throw new UsageError(`--${given[0]} is a Slurm option; add --executor slurm or drop it`);
    return undefined;
  }
  if (executor !== 'slurm') throw new UsageError(`--executor must be local or slurm (got ${executor})`);
  const setup = values['setup-script'];
  if (setup !== undefined && !existsSync(setup))
    throw new UsageError(
      `--setup-script ${setup}: no such file (it must be on the filesystem the nodes share)`,
    );
  const int = (name: keyof Values, min = 1) =>
    values[name] === undefined ? undefined : intOption(name, values[name] as string, 0, min);
  const raw = {
    executor: 'slurm' as const,
    partition: values.partition,
    account: values.account,
    qos: values.qos,
    gres: values.gres,
    gpusPerTask: int('gpus-per-task'),
    cpus: int('cpus'),
    mem: values.mem,
    time: values.time,
    maxJobs: int('max-jobs') ?? 4,
    sbatchLines: values['sbatch-line'],
    setupScript: setup === undefined ? undefined : resolve(setup),
    ssh: values.ssh,
    requeueLimit: int('requeue-limit', 0),
    heartbeatGraceS: int('heartbeat-grace', 5),
  };
  const settings = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
  const parsed = clusterSettingsSchema.safeParse(settings);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue.path[0] ?? 'executor');
    throw new UsageError(`--${OPTION_OF[field] ?? field}: ${issue.message}`);
  }
  return parsed.data;
}
