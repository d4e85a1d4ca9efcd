/** `segnas cluster test`: checks that Slurm answers (here or on a login node) and shows its partitions. */
import type { ClusterPartition } from '../../compute/clusterPartition';
import { localRunner, sinfo, sshRunner } from '../../compute/slurmCommands';
import { defineCommand, UsageError } from '../command';

export function formatPartitions(partitions: readonly ClusterPartition[]): string {
  const rows = [
    ['PARTITION', 'STATE', 'TIME LIMIT', 'NODES', 'CPUS/NODE', 'MEMORY/NODE', 'GPUS (GRES)'],
    ...partitions.map((p) => [
      `${p.name}${p.isDefault ? ' (default)' : ''}`,
      `${p.available}/${p.state}`,
      p.timeLimit,
      String(p.nodes),
      p.cpusPerNode,
      `${p.memoryMBPerNode} MB`,
      p.gres ?? '-',
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export const { run } = defineCommand({
  name: 'cluster',
  usage: 'segnas cluster test [--ssh USER@HOST] [--json]',
  description: `Runs sinfo on this machine (a Slurm submit host) or, with --ssh, on a login node through your
own SSH configuration and keys, and shows the partitions with their nodes, CPUs, memory and GPUs: the
check to run before segnas search --executor slurm.`,
  options: {
    ssh: { type: 'string', arg: 'USER@HOST', help: 'the login node (a Host of ~/.ssh/config works too)' },
    json: { type: 'boolean', help: 'print the partitions as JSON' },
  },
  positionals: true,
  async action({ values, positionals }) {
    if (positionals[0] !== 'test' || positionals.length > 1)
      throw new UsageError(`expected "segnas cluster test", got "segnas cluster ${positionals.join(' ')}"`);
    if (values.ssh?.startsWith('-')) throw new UsageError(`--ssh ${values.ssh}: must not start with -`);
    const partitions = await sinfo(values.ssh ? sshRunner(values.ssh) : localRunner());
    if (values.json) console.log(JSON.stringify(partitions, null, 2));
    else {
      console.log(`Slurm answers${values.ssh ? ` on ${values.ssh}` : ''}: ${partitions.length} partition(s)`);
      console.log(formatPartitions(partitions));
    }
    return 0;
  },
});
