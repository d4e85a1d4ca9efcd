/**
 * A real one-node Slurm cluster for the tests: slurm.conf, state and spool in a temporary folder,
 * munged (started if it is not running), slurmctld and slurmd on this machine, and clients pointed at it
 * through $SLURM_CONF. Settings that work in an unprivileged-looking container as root (docs/cluster.md):
 * SlurmUser=root, proctrack/linuxproc, task/none, cons_tres with CR_Core_Memory, memory limits enforced
 * by jobacct_gather/linux polling (no cgroups). Missing binaries fail the test with the apt command.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

const BINARIES = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scancel', 'scontrol', 'sinfo'];
const INSTALL = 'apt-get install -y slurm-wlm munge';

export interface SlurmCluster {
  dir: string;
  conf: string;
  node: string;
  /** Runs a Slurm client command against this cluster; answers stdout. */
  client(argv: string[]): string;
  stop(): Promise<void>;
}

const which = (name: string) =>
  spawnSync('sh', ['-c', `command -v ${name} || test -x /usr/sbin/${name}`]).status === 0;

const pids = (name: string) =>
  (spawnSync('pgrep', ['-x', name]).stdout?.toString() ?? '').split('\n').filter(Boolean).map(Number);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts munged if no munged runs: /run/munge owned by munge, a key made if there is none. Answers the
 * pid of the munged it started (stopped with the cluster), or undefined when one was running already.
 */
function ensureMunge(): number | undefined {
  if (pids('munged').length > 0) return undefined;
  mkdirSync('/run/munge', { recursive: true });
  const uid = Number(execFileSync('id', ['-u', 'munge']).toString());
  const gid = Number(execFileSync('id', ['-g', 'munge']).toString());
  chownSync('/run/munge', uid, gid);
  if (!existsSync('/etc/munge/munge.key')) {
    const made = spawnSync('mungekey', ['--create']);
    if (made.status !== 0)
      execFileSync('sh', ['-c', 'dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none']);
    chownSync('/etc/munge/munge.key', uid, gid);
  }
  const r = spawnSync('runuser', ['-u', 'munge', '--', 'munged']);
  if (r.status !== 0) throw new Error(`munged did not start: ${r.stderr?.toString()}`);
  return pids('munged')[0];
}

export async function startSlurmCluster(): Promise<SlurmCluster> {
  const missing = BINARIES.filter((b) => !which(b));
  if (missing.length > 0)
    throw new Error(`These tests run a one-node Slurm cluster and need ${missing.join(', ')}: ${INSTALL}`);
  const running = pids('slurmctld');
  if (running.length > 0)
    throw new Error(
      `a slurmctld already runs on this machine (pid ${running.join(', ')}); the tests start their own cluster and need it stopped`,
    );
  const munged = ensureMunge();
  const dir = mkdtempSync(join(tmpdir(), 'segnas-slurm-'));
  const node = hostname().split('.')[0];
  const probe = execFileSync('slurmd', ['-C']).toString();
  const cpus = /CPUs=(\d+)/.exec(probe)?.[1] ?? '2';
  const memory = /RealMemory=(\d+)/.exec(probe)?.[1] ?? '2000';
  // Ports of their own, so that a cluster left by another run on the default ports does not answer.
  const port = 20000 + Math.floor(Math.random() * 20000);
  for (const d of ['state', 'spool']) mkdirSync(join(dir, d));
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    `ClusterName=segnastest
SlurmctldHost=${node}
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${port}
SlurmdPort=${port + 1}
AuthType=auth/munge
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool
SlurmctldPidFile=${dir}/slurmctld.pid
SlurmdPidFile=${dir}/slurmd.pid
SlurmctldLogFile=${dir}/slurmctld.log
SlurmdLogFile=${dir}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=1
JobAcctGatherParams=OverMemoryKill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
ReturnToService=2
MinJobAge=300
SchedulerType=sched/builtin
MpiDefault=none
NodeName=${node} CPUs=${cpus} RealMemory=${memory} State=UNKNOWN
PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP
`,
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const client = (argv: string[]) => execFileSync(argv[0], argv.slice(1), { env }).toString();
  const daemon = (name: string, args: string[]) => {
    const r = spawnSync(name, ['-f', conf, ...args], { env });
    if (r.status !== 0) throw new Error(`${name} did not start: ${r.stderr?.toString()}`);
  };
  const pidOf = (name: string) => {
    try {
      return Number(readFileSync(join(dir, `${name}.pid`), 'utf8'));
    } catch {
      return undefined;
    }
  };
  const stop = async () => {
    try {
      client(['scancel', '--full', `--partition=debug`]);
    } catch {
      // nothing to cancel, or the controller is already gone
    }
    await sleep(500);
    for (const name of ['slurmd', 'slurmctld']) {
      const pid = pidOf(name);
      if (pid) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    }
    for (let i = 0; i < 50 && ['slurmd', 'slurmctld'].some((n) => pidAlive(pidOf(n))); i++) await sleep(100);
    for (const name of ['slurmd', 'slurmctld']) {
      const pid = pidOf(name);
      if (pidAlive(pid)) process.kill(pid as number, 'SIGKILL');
    }
    if (munged && pidAlive(munged)) process.kill(munged, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    daemon('slurmctld', ['-i']);
    daemon('slurmd', []);
    for (let i = 0; ; i++) {
      const state = (() => {
        try {
          return client(['sinfo', '--noheader', '--format=%t']).trim();
        } catch {
          return '';
        }
      })();
      if (state === 'idle') break;
      if (i > 60)
        throw new Error(`the one-node cluster did not become idle (sinfo: ${state || 'no answer'})`);
      await sleep(500);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  process.env.SLURM_CONF = conf;
  return { dir, conf, node, client, stop };
}

function pidAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
