/**
 * The Slurm commands the cluster executor needs (sbatch, squeue, scancel, scontrol, sinfo), run on this
 * machine or on a login node over SSH. Over SSH every command goes through one reused connection
 * (OpenSSH's ControlMaster), authenticated by the user's own ~/.ssh/config, keys and agent: nothing is
 * asked for or stored here, and BatchMode makes a missing key an error instead of a password prompt.
 */
import { execFile } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ClusterPartition } from './clusterPartition';

export interface CommandResult {
  /** Exit code; null when the command could not be started or was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one command given as argv (never through a local shell). */
export type CommandRunner = (argv: readonly string[]) => Promise<CommandResult>;

const COMMAND_TIMEOUT_MS = 60_000;

function execArgv(argv: readonly string[], env?: NodeJS.ProcessEnv): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      argv[0],
      argv.slice(1),
      { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 16 << 20, env: env ?? process.env },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({
          code,
          stdout: String(stdout),
          stderr: String(stderr || (error && code === null ? error.message : '')),
        });
      },
    );
  });
}

/** Runs the commands on this machine (a submit host). */
export function localRunner(env?: NodeJS.ProcessEnv): CommandRunner {
  return (argv) => execArgv(argv, env);
}

/** Quotes a word for a POSIX shell (the remote side of ssh runs the command through the user's shell). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The shared connection's socket: private to the user, one per (host, port, user) by ssh's %C hash. */
export const DEFAULT_CONTROL_PATH = join(homedir(), '.ssh', 'segnas-%C');

/** The ssh command line that runs `argv` on `target` through the shared connection. */
export function sshCommandLine(
  target: string,
  argv: readonly string[],
  controlPath: string = DEFAULT_CONTROL_PATH,
): string[] {
  if (target.startsWith('-')) throw new Error(`ssh target must not start with '-': ${target}`);
  return [
    'ssh',
    '-o',
    'BatchMode=yes',
    '-o',
    'ControlMaster=auto',
    '-o',
    `ControlPath=${controlPath}`,
    '-o',
    'ControlPersist=600',
    '-o',
    'ConnectTimeout=20',
    target,
    '--',
    argv.map(shellQuote).join(' '),
  ];
}

/** Runs the commands on a login node over SSH (one reused connection). */
export function sshRunner(target: string, controlPath?: string): CommandRunner {
  return (argv) => execArgv(sshCommandLine(target, argv, controlPath));
}

export class SlurmCommandError extends Error {
  override name = 'SlurmCommandError';
}

function check(what: string, r: CommandResult): string {
  if (r.code === 0) return r.stdout;
  const why = r.stderr.trim().split('\n').slice(-3).join(' | ') || `exit code ${r.code}`;
  throw new SlurmCommandError(`${what} failed: ${why}`);
}

/** Submits a job script; answers the job id (`sbatch --parsable` prints "id" or "id;cluster"). */
export async function sbatch(run: CommandRunner, scriptPath: string): Promise<string> {
  const out = check(`sbatch ${scriptPath}`, await run(['sbatch', '--parsable', scriptPath])).trim();
  const id = out.split('\n').pop()?.split(';')[0]?.trim() ?? '';
  if (!/^\d+(_\d+)?$/.test(id))
    throw new SlurmCommandError(`sbatch answered no job id: ${out.slice(0, 200)}`);
  return id;
}

/** A job as squeue shows it. */
export interface QueuedJob {
  jobId: string;
  /** PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, PREEMPTED, NODE_FAIL, OUT_OF_MEMORY, … */
  state: string;
  reason: string;
  /** The node it runs or ran on; null while pending. */
  node: string | null;
  name: string;
}

const SQUEUE_FORMAT = '%i|%T|%r|%N|%j';

export function parseSqueue(text: string): QueuedJob[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [jobId, state, reason, node, ...name] = l.split('|');
      return { jobId, state, reason: reason ?? '', node: node ? node : null, name: name.join('|') };
    })
    .filter((j) => j.jobId && j.state);
}

/**
 * The states of many jobs in one call (finished ones too, while Slurm still keeps them: MinJobAge).
 * Jobs Slurm no longer knows are absent from the answer.
 */
export async function squeue(run: CommandRunner, jobIds: readonly string[]): Promise<Map<string, QueuedJob>> {
  if (jobIds.length === 0) return new Map();
  const out = check(
    'squeue',
    await run([
      'squeue',
      '--noheader',
      '--states=all',
      `--format=${SQUEUE_FORMAT}`,
      `--jobs=${jobIds.join(',')}`,
    ]),
  );
  return new Map(parseSqueue(out).map((j) => [j.jobId, j]));
}

/** Jobs with this name (to adopt a job submitted just before a crash, whose id was never recorded). */
export async function squeueByName(run: CommandRunner, name: string): Promise<QueuedJob[]> {
  const out = check(
    'squeue',
    await run(['squeue', '--noheader', '--states=all', `--format=${SQUEUE_FORMAT}`, `--name=${name}`]),
  );
  return parseSqueue(out);
}

export async function scancel(run: CommandRunner, jobIds: readonly string[]): Promise<void> {
  if (jobIds.length > 0) check('scancel', await run(['scancel', ...jobIds]));
}

/** `scontrol show job` as key=value pairs (Reason, ExitCode, Restarts, …); empty when unknown. */
export async function scontrolShowJob(run: CommandRunner, jobId: string): Promise<Record<string, string>> {
  const r = await run(['scontrol', '--oneliner', 'show', 'job', jobId]);
  if (r.code !== 0) return {};
  const fields: Record<string, string> = {};
  for (const m of r.stdout.matchAll(/(\w+)=(\S*)/g)) fields[m[1]] ??= m[2];
  return fields;
}

export function parseSinfo(text: string): ClusterPartition[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [p, available, timeLimit, nodes, gres, cpus, mem, state] = l.split('|');
      return {
        name: p.replace(/\*$/, ''),
        isDefault: p.endsWith('*'),
        available,
        timeLimit,
        nodes: Number(nodes),
        gres: gres && gres !== '(null)' ? gres : null,
        cpusPerNode: cpus,
        memoryMBPerNode: mem,
        state,
      };
    });
}

/** The cluster's partitions with their GPUs (`segnas cluster test`, the setup page's "Test connection"). */
export async function sinfo(run: CommandRunner): Promise<ClusterPartition[]> {
  const out = check('sinfo', await run(['sinfo', '--noheader', '--format=%P|%a|%l|%D|%G|%c|%m|%t']));
  return parseSinfo(out);
}
