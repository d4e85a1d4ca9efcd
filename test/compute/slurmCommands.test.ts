// The pieces of the Slurm executor that need no cluster: the job script it writes, the ssh command
// lines it runs on a login node, and how it reads squeue and sinfo. (The executor itself runs against a
// real one-node cluster in test/search/slurmSearch.test.ts.)
import { describe, expect, it } from 'vitest';
import { clusterSettings } from '../../main/cli/clusterOptions';
import { parseSinfo, parseSqueue, shellQuote, sshCommandLine } from '../../main/compute/slurmCommands';
import { jobScript, sbatchPath } from '../../main/compute/slurmScript';
import { clusterSettingsSchema } from '../../main/core/searchConfig';

describe('the job script', () => {
  const script = jobScript({
    settings: {
      executor: 'slurm',
      partition: 'gpu',
      account: 'lab42',
      qos: 'normal',
      gres: 'gpu:1',
      cpus: 8,
      mem: '32G',
      time: '2:00:00',
      maxJobs: 16,
      sbatchLines: ['--constraint=a100'],
      setupScript: "/shared/env/it's.sh",
    },
    jobName: 'segnas-ab12cd34-e3-c17',
    outputDir: '/shared/my ws 100%/experiments/3/jobs/e3-c17',
    attempt: 2,
    trainer: {
      program: { variable: 'SEGNAS_PYTHON', fallback: '/opt/py/bin/python3' },
      args: ['-m', 'segnas_torch', '--device', 'cuda'],
      cwd: '/opt/segnas/engines/pytorch',
      env: { PYTHONUNBUFFERED: '1' },
    },
    fileArgs: ['--job-file', '/shared/ws/a b/job.json'],
    signalBeforeS: 120,
  });

  it('asks Slurm for what the settings say, requeue and a warning signal before the time limit', () => {
    for (const line of [
      '#SBATCH --partition=gpu',
      '#SBATCH --account=lab42',
      '#SBATCH --qos=normal',
      '#SBATCH --gres=gpu:1',
      '#SBATCH --cpus-per-task=8',
      '#SBATCH --mem=32G',
      '#SBATCH --time=2:00:00',
      '#SBATCH --constraint=a100',
      '#SBATCH --requeue',
      '#SBATCH --signal=B:USR1@120',
      '#SBATCH --job-name=segnas-ab12cd34-e3-c17',
      // A workspace path with a blank and a % stays one path, its % not a Slurm pattern.
      '#SBATCH --output="/shared/my ws 100%%/experiments/3/jobs/e3-c17/slurm-%j.out"',
    ])
      expect(script).toContain(line);
    expect(script.startsWith('#!/bin/bash\n')).toBe(true);
  });

  it('activates the environment, then execs the trainer in file mode with every path quoted', () => {
    expect(script).toContain(`source '/shared/env/it'\\''s.sh'`);
    expect(script).toContain('export SEGNAS_ATTEMPT=2');
    expect(script).toContain(
      `exec "\${SEGNAS_PYTHON:-/opt/py/bin/python3}" -m segnas_torch --device cuda --job-file '/shared/ws/a b/job.json'`,
    );
    expect(script.indexOf('source')).toBeLessThan(script.indexOf('exec'));
  });

  it('refuses settings that would put shell syntax into the script', () => {
    const base = { executor: 'slurm', maxJobs: 2 };
    expect(clusterSettingsSchema.safeParse({ ...base, partition: 'gpu; rm -rf ~' }).success).toBe(false);
    expect(clusterSettingsSchema.safeParse({ ...base, sbatchLines: ['--x\nrm -rf ~'] }).success).toBe(false);
    expect(clusterSettingsSchema.safeParse({ ...base, setupScript: '/a/$(id).sh' }).success).toBe(false);
    expect(clusterSettingsSchema.safeParse({ ...base, ssh: '-oProxyCommand=x' }).success).toBe(false);
  });
});

describe('commands over ssh', () => {
  it('go through one shared connection, never prompt, and quote each word for the remote shell', () => {
    const argv = sshCommandLine(
      'alice@login.hpc.example',
      ['sbatch', '--parsable', "/shared/my job's.sh"],
      '/home/alice/.ssh/segnas-%C',
    );
    expect(argv.slice(0, 11)).toEqual([
      'ssh',
      '-o',
      'BatchMode=yes',
      '-o',
      'ControlMaster=auto',
      '-o',
      'ControlPath=/home/alice/.ssh/segnas-%C',
      '-o',
      'ControlPersist=600',
      '-o',
      'ConnectTimeout=20',
    ]);
    expect(argv.slice(11)).toEqual([
      'alice@login.hpc.example',
      '--',
      `sbatch --parsable '/shared/my job'\\''s.sh'`,
    ]);
    expect(() => sshCommandLine('-oProxyCommand=evil', ['sinfo'])).toThrow(/must not start/);
    expect(shellQuote('--jobs=1,2,3')).toBe('--jobs=1,2,3');
    expect(shellQuote('$(id)')).toBe(`'$(id)'`);
  });
});

describe('reading Slurm', () => {
  it('reads squeue and sinfo lines', () => {
    expect(
      parseSqueue('12|RUNNING|None|node07|segnas-x-e1-c0\n13|PENDING|Priority||segnas-x-e1-c1\n'),
    ).toEqual([
      { jobId: '12', state: 'RUNNING', reason: 'None', node: 'node07', name: 'segnas-x-e1-c0' },
      { jobId: '13', state: 'PENDING', reason: 'Priority', node: null, name: 'segnas-x-e1-c1' },
    ]);
    expect(
      parseSinfo('gpu*|up|2-00:00:00|4|gpu:a100:4|64|512000|mix\ncpu|up|infinite|10|(null)|32|256000|idle'),
    ).toEqual([
      {
        name: 'gpu',
        isDefault: true,
        available: 'up',
        timeLimit: '2-00:00:00',
        nodes: 4,
        gres: 'gpu:a100:4',
        cpusPerNode: '64',
        memoryMBPerNode: '512000',
        state: 'mix',
      },
      {
        name: 'cpu',
        isDefault: false,
        available: 'up',
        timeLimit: 'infinite',
        nodes: 10,
        gres: null,
        cpusPerNode: '32',
        memoryMBPerNode: '256000',
        state: 'idle',
      },
    ]);
  });
});

describe('segnas search cluster options', () => {
  it('become the stored settings, and a wrong one names its option', () => {
    expect(
      clusterSettings({
        executor: 'slurm',
        partition: 'gpu',
        gres: 'gpu:1',
        time: '2:00:00',
        'max-jobs': '16',
        ssh: 'alice@login',
      }),
    ).toEqual({
      executor: 'slurm',
      partition: 'gpu',
      gres: 'gpu:1',
      time: '2:00:00',
      maxJobs: 16,
      ssh: 'alice@login',
    });
    expect(clusterSettings({})).toBeUndefined();
    expect(() => clusterSettings({ partition: 'gpu' })).toThrow(/--partition is a Slurm option/);
    expect(() => clusterSettings({ executor: 'slurm', time: '2h' })).toThrow(/--time/);
    expect(() => clusterSettings({ executor: 'slurm', 'max-jobs': '0' })).toThrow(/--max-jobs/);
    expect(() => clusterSettings({ executor: 'slurm', 'setup-script': '/no/such/file.sh' })).toThrow(
      /--setup-script/,
    );
  });
});

describe('paths in #SBATCH lines', () => {
  it('refuses a workspace path that no #SBATCH line can hold, naming it', () => {
    expect(() => sbatchPath('/shared/a"b')).toThrow(/"\/shared\/a\\"b": Slurm's #SBATCH lines cannot hold/);
    expect(() => sbatchPath('/shared/a\nb')).toThrow(
      /cannot hold a path with a quote, backslash or line break/,
    );
  });
});
