/**
 * The batch script of one candidate's job: the #SBATCH options from the cluster settings, then the
 * trainer started in the protocol's file mode (fileProtocol.ts). Pure: the same inputs give the same
 * script, which docs/cluster.md shows.
 */
import type { ClusterSettings } from '../core/searchConfig';
import { shellQuote } from './slurmCommands';

/** How a node starts the trainer. */
export interface TrainerLaunch {
  /** The interpreter: `$<variable>` when the setup script exports it, else `fallback`. */
  program: { variable: 'SEGNAS_NODE' | 'SEGNAS_PYTHON'; fallback: string };
  /** Arguments before the file-mode ones (the module to run, the device, …). */
  args: string[];
  /** Working directory of the trainer (the app's folder, so that its modules resolve). */
  cwd: string;
  /** Environment of the trainer (backend choice, PYTHONPATH). */
  env: Record<string, string>;
}

export interface JobScriptInput {
  settings: ClusterSettings;
  jobName: string;
  /** Slurm's own output (the scheduler's messages: memory limit, cancellation) goes to `slurm-<job id>.out` here. */
  outputDir: string;
  /** 1 for the first submission of a candidate, 2 for its first resubmission, … */
  attempt: number;
  trainer: TrainerLaunch;
  /** The trainer's file-mode arguments (fileModeArgs). */
  fileArgs: string[];
  /** Seconds before the time limit at which Slurm sends SIGUSR1, so the trainer stops cleanly. */
  signalBeforeS: number;
}

const sbatch = (option: string) => `#SBATCH ${option}`;

/**
 * A path as the value of an #SBATCH option: sbatch splits these lines at blanks unless quoted, and
 * reads `%` as a filename pattern (%j, %u, …), so the path is double-quoted with `%` doubled. A quote
 * or line break cannot be written there at all: refused with the path named.
 */
export function sbatchPath(path: string): string {
  if (/["\r\n\0\\]/.test(path))
    throw new Error(
      `${JSON.stringify(path)}: Slurm's #SBATCH lines cannot hold a path with a quote, backslash or line break; use a workspace path without them`,
    );
  return `"${path.replace(/%/g, '%%')}"`;
}

export function jobScript(i: JobScriptInput): string {
  const s = i.settings;
  const options = [
    `--job-name=${i.jobName}`,
    `--output=${sbatchPath(i.outputDir).slice(0, -1)}/slurm-%j.out"`,
    '--open-mode=append',
    '--nodes=1',
    '--ntasks=1',
    // Requeued by Slurm after a node failure or preemption; the trainer hears SIGUSR1 before the limit.
    '--requeue',
    `--signal=B:USR1@${i.signalBeforeS}`,
    s.partition && `--partition=${s.partition}`,
    s.account && `--account=${s.account}`,
    s.qos && `--qos=${s.qos}`,
    s.gres && `--gres=${s.gres}`,
    s.gpusPerTask && `--gpus-per-task=${s.gpusPerTask}`,
    s.cpus && `--cpus-per-task=${s.cpus}`,
    s.mem && `--mem=${s.mem}`,
    s.time && `--time=${s.time}`,
    ...(s.sbatchLines ?? []),
  ].filter((o): o is string => typeof o === 'string' && o.length > 0);
  const t = i.trainer;
  const env = Object.entries({ ...t.env, SEGNAS_ATTEMPT: String(i.attempt) }).map(
    ([k, v]) => `export ${k}=${shellQuote(v)}`,
  );
  const program = `"\${${t.program.variable}:-${t.program.fallback.replace(/["$`\\]/g, '\\$&')}}"`;
  return [
    '#!/bin/bash',
    ...options.map(sbatch),
    `# Written by SegNAS Studio: candidate job ${i.jobName}, attempt ${i.attempt}.`,
    '# The trainer reads its job from a file and reports to files on the shared filesystem (file mode).',
    'set -e',
    ...env,
    ...(s.setupScript ? [`source ${shellQuote(s.setupScript)}`] : []),
    `cd ${shellQuote(t.cwd)}`,
    // exec: the trainer becomes the batch shell, so Slurm's signals (B:USR1, SIGTERM) reach it.
    `exec ${program} ${[...t.args, ...i.fileArgs].map(shellQuote).join(' ')}`,
    '',
  ].join('\n');
}
