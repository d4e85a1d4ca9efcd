/**
 * A search's candidates on a Slurm cluster: the executor of one experiment, its job ledger kept in the
 * store (only this process writes it), and how a node starts the experiment's trainer.
 */
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { CandidateExecutor } from '../compute/executor';
import { pytorchEngineDir, trainerEntry } from '../compute/runtimeFiles';
import { type CommandRunner, localRunner, sshRunner } from '../compute/slurmCommands';
import { type JobLedger, SlurmExecutor } from '../compute/slurmExecutor';
import type { TrainerLaunch } from '../compute/slurmScript';
import { type BackendKey, requireBackendKey, torchDeviceOf } from '../core/backendKey';
import type { ClusterSettings, SearchConfig } from '../core/searchConfig';
import { type CandidateJob, type Experiment, type ExperimentStore, experimentDir } from '../store';

export interface ClusterRunOptions {
  /** Runs Slurm's commands; default: this machine, or ssh to the settings' login node. */
  run?: CommandRunner;
  /** Milliseconds between polls of the cluster. Default $SEGNAS_SLURM_POLL_MS, else 3000. */
  pollMs?: number;
  /** Seconds between the trainers' heartbeats. Default 30. */
  heartbeatS?: number;
  /** The Python that nodes run for the PyTorch engine when the setup script does not export $SEGNAS_PYTHON. */
  python?: string;
}

/** The seq of a candidate's job (`e<experiment>-c<seq>`, runSearch's trainJob), or undefined for other jobs. */
export function candidateSeqOf(jobKey: string, experimentId: number): number | undefined {
  const m = /^e(\d+)-c(\d+)$/.exec(jobKey);
  return m && Number(m[1]) === experimentId ? Number(m[2]) : undefined;
}

/** The seq of a candidate's final-training job (`e<experiment>-cfinal-<seq>`, finalTraining's), or undefined. */
export function finalSeqOf(jobKey: string, experimentId: number): number | undefined {
  const m = /^e(\d+)-cfinal-(\d+)$/.exec(jobKey);
  return m && Number(m[1]) === experimentId ? Number(m[2]) : undefined;
}

/**
 * Candidates' jobs go to the store's candidate_jobs table and final trainings' to final_training_jobs,
 * so that a resume re-attaches to both; other jobs (test retraining) only to memory.
 */
export function storeLedger(store: ExperimentStore, experimentId: number): JobLedger {
  const others = new Map<string, Parameters<JobLedger['put']>[1]>();
  const toRecord = (row: CandidateJob | undefined) =>
    row && { jobId: row.jobId, state: row.state, node: row.node, attempts: row.attempts };
  return {
    get(key) {
      const seq = candidateSeqOf(key, experimentId);
      if (seq !== undefined)
        return toRecord(store.listCandidateJobs(experimentId).find((j) => j.seq === seq));
      const final = finalSeqOf(key, experimentId);
      if (final !== undefined)
        return toRecord(store.listFinalTrainingJobs(experimentId).find((j) => j.seq === final));
      return others.get(key);
    },
    put(key, record) {
      const seq = candidateSeqOf(key, experimentId);
      const final = finalSeqOf(key, experimentId);
      if (seq !== undefined) store.putCandidateJob({ experimentId, seq, ...record });
      else if (final !== undefined) store.putFinalTrainingJob({ experimentId, seq: final, ...record });
      else others.set(key, record);
    },
  };
}

/** How a node starts the trainer of a recorded backend ("pytorch-cuda": PyTorch; else TensorFlow.js). */
export function trainerLaunch(backend: BackendKey, python = 'python3'): TrainerLaunch {
  const torchDevice = torchDeviceOf(backend);
  if (torchDevice)
    return {
      program: { variable: 'SEGNAS_PYTHON', fallback: python },
      args: ['-m', 'segnas_torch', '--device', torchDevice],
      cwd: pytorchEngineDir(),
      env: { PYTHONUNBUFFERED: '1' },
    };
  const entry = trainerEntry();
  return {
    program: { variable: 'SEGNAS_NODE', fallback: process.execPath },
    args: [...entry.execArgv, entry.modulePath],
    cwd: entry.cwd ?? dirname(entry.modulePath),
    env: backend.engine === 'tfjs' ? { SEGNAS_BACKEND: backend.backend } : {},
  };
}

export function commandRunnerFor(settings: ClusterSettings): CommandRunner {
  return settings.ssh ? sshRunner(settings.ssh) : localRunner();
}

/** The job name prefix of a workspace: two workspaces' experiment 1 never share job names. */
function workspaceTag(workspaceDir: string): string {
  return createHash('sha256').update(workspaceDir).digest('hex').slice(0, 8);
}

export function clusterExecutor(
  store: ExperimentStore,
  experiment: Experiment,
  settings: ClusterSettings,
  options: ClusterRunOptions = {},
): CandidateExecutor {
  const tag = workspaceTag(store.workspaceDir);
  return new SlurmExecutor({
    settings,
    jobsDir: join(experimentDir(store.workspaceDir, experiment.id), 'jobs'),
    jobName: (key) => `segnas-${tag}-${key}`,
    trainer: trainerLaunch(
      requireBackendKey(experiment.backend, `experiment ${experiment.id}'s recorded backend`),
      options.python,
    ),
    ledger: storeLedger(store, experiment.id),
    run: options.run ?? commandRunnerFor(settings),
    pollMs: options.pollMs ?? (Number(process.env.SEGNAS_SLURM_POLL_MS) || 3000),
    ...(options.heartbeatS !== undefined && { heartbeatS: options.heartbeatS }),
  });
}

/** What a search started on a cluster records: the trainers' backend, and the "device" it ran on. */
export function clusterStart(
  config: SearchConfig,
  settings: ClusterSettings,
): { settings: ClusterSettings; backend: string; engine: string; device: string } {
  const torch = config.engine?.engine === 'pytorch';
  const where = [
    settings.partition && `partition ${settings.partition}`,
    settings.gres,
    settings.ssh && `via ${settings.ssh}`,
  ].filter(Boolean);
  return {
    settings,
    backend: torch ? `pytorch-${config.engine?.device ?? 'cuda'}` : config.backend,
    engine: torch ? 'pytorch' : 'tfjs',
    device: `Slurm cluster${where.length ? ` (${where.join(', ')})` : ''}`,
  };
}
