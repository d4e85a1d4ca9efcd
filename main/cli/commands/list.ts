/** `segnas list`: the experiments of a workspace, newest first; interrupted ones are offered for resume. */

import { printable } from '../../core/format';
import { markInterrupted } from '../../search/resume';
import { type ExperimentSummary, openStore } from '../../store';
import { defineCommand } from '../command';

export function formatList(rows: readonly ExperimentSummary[]): string {
  if (rows.length === 0) return 'no experiments yet (segnas search --help, or segnas demo)';
  const header = ['id', 'status', 'done', 'best Dice', 'variant', 'updated', 'name'];
  const body = rows.map((e) => [
    String(e.id),
    e.status,
    `${e.total}/${e.evaluationsBudget}`,
    e.best?.valDice != null ? e.best.valDice.toFixed(3) : '–',
    e.variant,
    e.updatedAt.slice(0, 19).replace('T', ' '),
    printable(e.name),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  const hints = rows
    .filter((e) => e.status === 'interrupted' || e.status === 'paused' || e.status === 'stopped')
    .map((e) => `experiment ${e.id} is ${e.status}: segnas resume ${e.id}`);
  return [line(header), ...body.map(line), ...(hints.length ? ['', ...hints] : [])].join('\n');
}

export const { run } = defineCommand({
  name: 'list',
  usage: 'segnas list [--json] [--workspace DIR]',
  description: `Lists the experiments of the workspace, newest first: status, evaluations done of the budget, the
best validation Dice. Experiments left running by a process that is gone are marked interrupted
here, and can be continued with segnas resume <id>.`,
  options: {
    json: { type: 'boolean', help: 'one JSON array (for scripts)' },
  },
  workspace: true,
  action({ values }) {
    const store = openStore(values.workspace);
    try {
      markInterrupted(store);
      const rows = store.listExperiments();
      console.log(values.json ? JSON.stringify(rows, null, 1) : formatList(rows));
      return 0;
    } finally {
      store.close();
    }
  },
});
